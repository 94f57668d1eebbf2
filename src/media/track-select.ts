/**
 * Keeping one track of an Enhanced RTMP multitrack stream (`rtmp play
 * --track`): a multitrack message carrying the track becomes an ordinary
 * single-track message (ModEx steps kept, the track's data not copied until
 * the new payload is assembled); one without it is dropped. Messages that are
 * not multitrack are track 0, the default track, as the spec recommends and
 * OBS sends. Video command frames apply to every track and are kept.
 */
import { isRtmpError } from '../errors.js';
import { buildExAudioMessage, buildExVideoMessage, isExAudio, isExVideo, parseExAudioMessage, parseExVideoMessage, singleTrack, AudioPacketType, VideoPacketType, VideoFrameType } from './enhanced.js';
import { PacketType, type MediaPacket } from './packet.js';

/** Which track to keep of each kind; undefined keeps the kind untouched. */
export interface TrackSelection {
  video?: number;
  audio?: number;
}

/** What happened to a packet. */
export type TrackSelectResult =
  | { kind: 'keep'; packet: MediaPacket }
  | { kind: 'drop' }
  /** A multitrack message that cannot be parsed: dropped, with the reason. */
  | { kind: 'malformed'; message: string };

const DROP: TrackSelectResult = { kind: 'drop' };

/** Applies `sel` to one packet. Pure; never throws on untrusted payloads. */
export function selectTrack(p: MediaPacket, sel: TrackSelection): TrackSelectResult {
  if (p.type === PacketType.Video && sel.video !== undefined) return selectVideo(p, sel.video);
  if (p.type === PacketType.Audio && sel.audio !== undefined) return selectAudio(p, sel.audio);
  return { kind: 'keep', packet: p };
}

/** The packet type after ModEx steps, from the lenient first bytes; multitrack if it says so. */
function isMultitrack(payload: Buffer, multitrack: number, modEx: number): boolean | undefined {
  const packetType = payload[0]! & 0x0f;
  if (packetType === multitrack) return true;
  return packetType === modEx ? undefined : false;
}

function selectVideo(p: MediaPacket, trackId: number): TrackSelectResult {
  if (!isExVideo(p.payload)) return trackId === 0 ? { kind: 'keep', packet: p } : DROP;
  const multi = isMultitrack(p.payload, VideoPacketType.Multitrack, VideoPacketType.ModEx);
  if (multi === false) {
    const command = (p.payload[0]! >> 4 & 0x07) === VideoFrameType.Command;
    return trackId === 0 || command ? { kind: 'keep', packet: p } : DROP;
  }
  try {
    const m = parseExVideoMessage(p.payload);
    if (m.command !== undefined) return { kind: 'keep', packet: p };
    const one = singleTrack(m, trackId);
    if (one === undefined) return DROP;
    return { kind: 'keep', packet: one === m ? p : { ...p, payload: buildExVideoMessage(one) } };
  } catch (e) {
    if (!isRtmpError(e)) throw e;
    return { kind: 'malformed', message: e.message };
  }
}

function selectAudio(p: MediaPacket, trackId: number): TrackSelectResult {
  if (!isExAudio(p.payload)) return trackId === 0 ? { kind: 'keep', packet: p } : DROP;
  const multi = isMultitrack(p.payload, AudioPacketType.Multitrack, AudioPacketType.ModEx);
  if (multi === false) return trackId === 0 ? { kind: 'keep', packet: p } : DROP;
  try {
    const m = parseExAudioMessage(p.payload);
    const one = singleTrack(m, trackId);
    if (one === undefined) return DROP;
    return { kind: 'keep', packet: one === m ? p : { ...p, payload: buildExAudioMessage(one) } };
  } catch (e) {
    if (!isRtmpError(e)) throw e;
    return { kind: 'malformed', message: e.message };
  }
}
