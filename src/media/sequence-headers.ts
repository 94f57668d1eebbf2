/**
 * The codec configurations a receiver needs before frames: the last video and
 * audio sequence header of every track. A plain stream has one of each; an
 * Enhanced RTMP multitrack stream has one per track (track 0 often as plain
 * messages, the others in multitrack messages), and keeping only the last
 * header would lose all but one track's configuration.
 */
import { parseExAudioMessage, parseExVideoMessage } from './enhanced.js';
import { isAudioSequenceHeader, isVideoSequenceHeader, PacketType, type MediaPacket } from './packet.js';

/** Distinct track sets remembered; trackId is a UI8, and real streams use a handful. */
const MAX_KEYS = 32;

/** Which tracks a header message configures: "0" unless it is multitrack. */
function trackKey(p: MediaPacket): string {
  const packetType = p.payload[0]! & 0x0f;
  const video = p.type === PacketType.Video;
  // Multitrack (video 6, audio 5) or ModEx (7) in an Enhanced message: the track ids are inside.
  const ex = video ? (p.payload[0]! & 0x80) !== 0 : p.payload[0]! >> 4 === 9;
  if (!ex || (packetType !== (video ? 6 : 5) && packetType !== 7)) return '0';
  try {
    const m = video ? parseExVideoMessage(p.payload) : parseExAudioMessage(p.payload);
    return m.tracks.map((t) => t.trackId).join(',');
  } catch {
    return 'malformed';
  }
}

export class SequenceHeaders {
  private readonly video = new Map<string, MediaPacket>();
  private readonly audio = new Map<string, MediaPacket>();

  /** Remembers `p` if it is a sequence header; returns whether it was one. */
  update(p: MediaPacket): boolean {
    let map: Map<string, MediaPacket>;
    if (p.type === PacketType.Video && isVideoSequenceHeader(p.payload)) map = this.video;
    else if (p.type === PacketType.Audio && isAudioSequenceHeader(p.payload)) map = this.audio;
    else return false;
    const key = trackKey(p);
    map.delete(key);
    if (map.size >= MAX_KEYS) map.delete(map.keys().next().value!);
    map.set(key, p);
    return true;
  }

  /** True once a video sequence header was seen. */
  get hasVideo(): boolean {
    return this.video.size > 0;
  }

  /** Video headers, then audio headers, each in the order they last came. */
  list(): MediaPacket[] {
    return [...this.video.values(), ...this.audio.values()];
  }

  clear(): void {
    this.video.clear();
    this.audio.clear();
  }
}
