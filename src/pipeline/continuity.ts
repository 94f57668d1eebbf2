/**
 * Keeping a stream whole across reconnects: the headers a new connection
 * must get first, timestamps that keep increasing when a source restarts
 * its clock, and the backoff between attempts. Shared by relay, publish
 * --reconnect and play --reconnect.
 */
import { peekScriptDataName } from '../flv/script-data.js';
import { PacketType, isAudioSequenceHeader, isVideoSequenceHeader, type MediaPacket } from '../media/packet.js';
import { SequenceHeaders } from '../media/sequence-headers.js';
import { TimestampUnwrapper } from '../media/timestamp.js';

/** Metadata and sequence headers, replayed to a destination that (re)connects. */
export class HeaderCache {
  metadata: MediaPacket | undefined;
  /** The last video and audio sequence header of each track (one of each unless Enhanced RTMP multitrack). */
  readonly headers = new SequenceHeaders();

  update(p: MediaPacket): void {
    if (p.type === PacketType.Data && peekScriptDataName(p.payload) === 'onMetaData') this.metadata = p;
    else this.headers.update(p);
  }

  /** True once a video sequence header was seen (then a new destination waits for a keyframe). */
  get hasVideo(): boolean {
    return this.headers.hasVideo;
  }

  /** The headers stamped with `timestamp`, so the receiver's timeline never goes back. */
  replay(timestamp: number): MediaPacket[] {
    const all = this.metadata ? [this.metadata, ...this.headers.list()] : this.headers.list();
    return all.map((p) => ({ ...p, timestamp }));
  }
}

/**
 * Keeps output timestamps increasing across sessions of one source. A new
 * session either continues the same clock — a live stream we re-joined; the
 * server may replay its current GOP, i.e. frames we already have — or
 * restarts it (a new publisher starting near 0). Continuing: packets at or
 * before the last one sent on their track are dropped as duplicates.
 * Restarted: the session is shifted to start one frame after the last packet.
 */
export class Rebaser {
  private unwrap = new TimestampUnwrapper();
  private offset = 0;
  private fresh = true;
  private lastOut: number | undefined;
  private readonly lastByTrack = new Map<PacketType, number>();
  /** The last timestamp per track of the sessions before this one: what a replay may duplicate. */
  private before = new Map<PacketType, number>();
  private gap = 40;
  private lastVideo: number | undefined;

  /** A first media timestamp this close to the last one sent means the same clock. */
  static readonly SAME_CLOCK_MS = 60_000;

  /** A new session starts. */
  reset(): void {
    this.before = new Map(this.lastByTrack);
    this.unwrap = new TimestampUnwrapper();
    this.fresh = true;
    this.lastVideo = undefined;
  }

  /** The output timestamp (unwrapped ms) for a packet, or undefined for a duplicate to drop. */
  map(p: MediaPacket): number | undefined {
    const ts = this.unwrap.next(p.timestamp);
    if (this.fresh && p.type !== PacketType.Data) {
      this.fresh = false;
      const last = this.lastOut;
      if (last !== undefined && Math.abs(ts + this.offset - last) > Rebaser.SAME_CLOCK_MS) this.offset = last + this.gap - ts;
    }
    const out = ts + this.offset;
    if (p.type === PacketType.Data) return Math.max(out, this.lastOut ?? out);
    const lastBefore = this.before.get(p.type);
    if (lastBefore !== undefined && out <= lastBefore) {
      // A resent sequence header is kept (the decoder needs it), stamped so the track never goes back.
      const header = p.type === PacketType.Video ? isVideoSequenceHeader(p.payload) : isAudioSequenceHeader(p.payload);
      return header ? lastBefore : undefined;
    }
    const lastHere = this.lastByTrack.get(p.type);
    if (p.type === PacketType.Video) {
      if (this.lastVideo !== undefined && out > this.lastVideo) this.gap = out - this.lastVideo;
      this.lastVideo = out;
    }
    this.lastByTrack.set(p.type, Math.max(lastHere ?? out, out));
    this.lastOut = this.lastOut === undefined ? out : Math.max(this.lastOut, out);
    return out;
  }
}

/** Exponential backoff: min, 2·min, 4·min … capped at max. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.max(0, attempt - 1));
}

