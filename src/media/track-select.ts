/**
 * Keeping one track of an Enhanced RTMP multitrack stream (`rtmp play
 * --track`): a multitrack message carrying the track becomes an ordinary
 * single-track message (ModEx steps kept, the track's data not copied until
 * the new payload is assembled); one without it is dropped. Messages that are
 * not multitrack are track 0, the default track, as the spec recommends and
 * OBS sends. Video command frames apply to every track and are kept.
 */
import { isRtmpError } from '../errors.js';
import {
  AudioPacketType,
  buildExAudioMessage,
  buildExVideoMessage,
  isExAudio,
  isExVideo,
  parseExAudioMessage,
  parseExVideoMessage,
  singleTrack,
  VideoFrameType,
  VideoPacketType,
  type ExAudioMessage,
  type ExVideoMessage,
} from './enhanced.js';
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
  if (p.type === PacketType.Video && sel.video !== undefined) return select(p, sel.video, VIDEO);
  if (p.type === PacketType.Audio && sel.audio !== undefined) return select(p, sel.audio, AUDIO);
  return { kind: 'keep', packet: p };
}

interface Kind {
  isEx: (payload: Buffer) => boolean;
  multitrack: number;
  modEx: number;
  /** True for a message that applies to every track (a video command frame). */
  allTracks: (b0: number) => boolean;
  parse: (payload: Buffer) => ExAudioMessage & { command?: number };
  build: (m: ExAudioMessage) => Buffer;
}

const VIDEO: Kind = {
  isEx: isExVideo,
  multitrack: VideoPacketType.Multitrack,
  modEx: VideoPacketType.ModEx,
  allTracks: (b0) => ((b0 >> 4) & 0x07) === VideoFrameType.Command,
  parse: parseExVideoMessage,
  build: (m) => buildExVideoMessage(m as ExVideoMessage),
};

const AUDIO: Kind = {
  isEx: isExAudio,
  multitrack: AudioPacketType.Multitrack,
  modEx: AudioPacketType.ModEx,
  allTracks: () => false,
  parse: parseExAudioMessage,
  build: buildExAudioMessage,
};

function select(p: MediaPacket, trackId: number, k: Kind): TrackSelectResult {
  const keep: TrackSelectResult = { kind: 'keep', packet: p };
  if (!k.isEx(p.payload)) return trackId === 0 ? keep : DROP;
  const b0 = p.payload[0]!;
  const packetType = b0 & 0x0f;
  // Neither multitrack nor behind ModEx steps: the first byte says all.
  if (packetType !== k.multitrack && packetType !== k.modEx) return trackId === 0 || k.allTracks(b0) ? keep : DROP;
  try {
    const m = k.parse(p.payload);
    if (m.command !== undefined) return keep;
    const one = singleTrack(m, trackId);
    if (one === undefined) return DROP;
    return one === m ? keep : { kind: 'keep', packet: { ...p, payload: k.build(one) } };
  } catch (e) {
    if (!isRtmpError(e)) throw e;
    return { kind: 'malformed', message: e.message };
  }
}
