/**
 * Incremental FLV demuxer: a pure state machine that takes bytes in any
 * chunking and returns events. No files, streams or timers here; the I/O
 * shell (pipeline/flv-file-source.ts) feeds it.
 *
 * Layout (Adobe FLV spec v10, annex E): header (DataOffset bytes),
 * PreviousTagSize0, then repeated { 11-byte tag header, body, PreviousTagSize }.
 *
 * Policy, following "tolerate the harmless, reject the unsafe":
 *  - not FLV, wrong version, DataOffset < 9, filtered tags: FlvFormatError;
 *  - a body larger than `maxFlvTagSize`: LimitError, before buffering it;
 *  - a wrong PreviousTagSize, an unknown tag type, a truncated last tag: warnings.
 */
import { FlvFormatError, LimitError } from '../errors.js';
import { resolveLimits, type Limits } from '../limits.js';
import { BufferList } from '../bytes/buffer-list.js';
import { PacketType, isMediaType, type MediaPacket } from '../media/packet.js';
import { FLV_HEADER_SIZE, PREVIOUS_TAG_SIZE_BYTES, matchesFlvSignature, notFlv, parseFlvFileHeader } from './header.js';
import { FLV_TAG_HEADER_SIZE, parseFlvTagHeader } from './tag.js';

/** What the reader reports, in file order. */
export type FlvEvent =
  | { kind: 'header'; hasAudio: boolean; hasVideo: boolean; dataOffset: number }
  | { kind: 'tag'; packet: MediaPacket; /** File offset of the tag header. */ offset: number }
  | { kind: 'warning'; message: string; offset: number };

/** Options for FlvReader. */
export interface FlvReaderOptions {
  limits?: Partial<Limits>;
}

type Stage = 'header' | 'skip' | 'tagSize0' | 'tagHeader' | 'tagBody' | 'tagSize' | 'ended';

/**
 * Feed with `push(chunk)` as bytes arrive and `end()` at end of input. Tag
 * payloads are views into the pushed chunks when a payload arrived in one
 * chunk, copies only when it spans several.
 *
 * If an error is found after some events were already produced by the same
 * `push`, those events are returned and the error is thrown by the next
 * `push`/`end`, so every valid tag before the fault is delivered whatever
 * the chunking. Once thrown, the error is thrown again by every later call.
 */
export class FlvReader {
  private readonly list = new BufferList();
  private readonly limits: Limits;
  private stage: Stage = 'header';
  private consumed = 0;
  /** Bytes still to drop in the 'skip' stage, and where to go afterwards. */
  private skipLeft = 0;
  private afterSkip: Stage = 'tagSize0';
  private skipWhat = '';
  /** The tag being read. */
  private tagType: PacketType = PacketType.Data;
  private tagSize = 0;
  private tagTimestamp = 0;
  private tagOffset = 0;
  private error: unknown;

  constructor(opts?: FlvReaderOptions) {
    this.limits = resolveLimits(opts?.limits);
  }

  /** Bytes consumed so far: the file offset of the next byte to be parsed. */
  get offset(): number {
    return this.consumed;
  }

  /** Adds a chunk and returns every event it completes. */
  push(chunk: Buffer): FlvEvent[] {
    this.check();
    if (this.stage === 'ended') throw new Error('FlvReader.push() called after end()');
    this.list.push(chunk);
    const events: FlvEvent[] = [];
    try {
      this.run(events);
    } catch (err) {
      this.error = err;
      if (events.length === 0) throw err;
    }
    return events;
  }

  /** Signals end of input; returns the last warnings, or throws if the header was incomplete. */
  end(): FlvEvent[] {
    this.check();
    if (this.stage === 'ended') return [];
    const events: FlvEvent[] = [];
    const have = this.list.length;
    const at = this.consumed;
    switch (this.stage) {
      case 'header':
        // Fewer than 9 bytes: parse what there is, which always throws the right error.
        this.error = captureError(() => parseFlvFileHeader(this.list.peek(have)));
        throw this.error;
      case 'skip':
        events.push(this.warn(`input ended inside ${this.skipWhat}: ${this.skipLeft} bytes missing; treated as end of input`, at));
        break;
      case 'tagSize0':
      case 'tagSize':
        // A missing final PreviousTagSize is harmless (ffmpeg accepts it silently); a partial one is reported.
        if (have > 0) events.push(this.warn(`truncated PreviousTagSize: ${have} of 4 bytes; treated as end of input`, at));
        break;
      case 'tagHeader':
        if (have > 0) {
          events.push(
            this.warn(`truncated tag header at offset ${at}: expected ${FLV_TAG_HEADER_SIZE} bytes, got ${have}; treated as end of input`, at),
          );
        }
        break;
      case 'tagBody': {
        const expected = FLV_TAG_HEADER_SIZE + this.tagSize;
        const got = FLV_TAG_HEADER_SIZE + have;
        events.push(
          this.warn(`truncated tag at offset ${this.tagOffset}: expected ${expected} bytes, got ${got}; treated as end of input`, this.tagOffset),
        );
        break;
      }
    }
    this.list.skip(have);
    this.consumed += have;
    this.stage = 'ended';
    return events;
  }

  private check(): void {
    if (this.error !== undefined) throw this.error;
  }

  private warn(message: string, offset: number): FlvEvent {
    return { kind: 'warning', message, offset };
  }

  private take(n: number): Buffer {
    const b = this.list.consume(n);
    this.consumed += n;
    return b;
  }

  private takeU32(): number {
    return this.take(4).readUInt32BE(0);
  }

  /** Advances through as many stages as the buffered bytes allow. */
  private run(events: FlvEvent[]): void {
    for (;;) {
      const have = this.list.length;
      switch (this.stage) {
        case 'header': {
          if (have < FLV_HEADER_SIZE) {
            // Reject non-FLV input as soon as the first wrong byte is seen.
            if (have > 0 && !matchesFlvSignature(this.list.peek(Math.min(have, 3)))) throw notFlv();
            return;
          }
          const h = parseFlvFileHeader(this.take(FLV_HEADER_SIZE));
          events.push({ kind: 'header', hasAudio: h.hasAudio, hasVideo: h.hasVideo, dataOffset: h.dataOffset });
          const extra = h.dataOffset - FLV_HEADER_SIZE;
          if (extra > 0) {
            events.push(this.warn(`FLV header DataOffset is ${h.dataOffset}; skipping ${extra} unknown header bytes`, FLV_HEADER_SIZE));
            this.startSkip(extra, 'tagSize0', `the ${h.dataOffset}-byte FLV header`);
          } else {
            this.stage = 'tagSize0';
          }
          break;
        }
        case 'skip': {
          const n = Math.min(have, this.skipLeft);
          this.list.skip(n);
          this.consumed += n;
          this.skipLeft -= n;
          if (this.skipLeft > 0) return;
          this.stage = this.afterSkip;
          break;
        }
        case 'tagSize0': {
          if (have < PREVIOUS_TAG_SIZE_BYTES) return;
          const at = this.consumed;
          const v = this.takeU32();
          if (v !== 0) events.push(this.warn(`PreviousTagSize0 is ${v}, expected 0`, at));
          this.stage = 'tagHeader';
          break;
        }
        case 'tagHeader': {
          if (have < FLV_TAG_HEADER_SIZE) return;
          const at = this.consumed;
          const h = parseFlvTagHeader(this.list.peek(FLV_TAG_HEADER_SIZE), at);
          if (h.dataSize > this.limits.maxFlvTagSize) {
            throw new LimitError('maxFlvTagSize', h.dataSize, this.limits.maxFlvTagSize, `FLV tag body at offset ${at}`);
          }
          this.list.skip(FLV_TAG_HEADER_SIZE);
          this.consumed += FLV_TAG_HEADER_SIZE;
          this.tagSize = h.dataSize;
          this.tagTimestamp = h.timestamp;
          this.tagOffset = at;
          if (isMediaType(h.type)) {
            this.tagType = h.type;
            this.stage = 'tagBody';
          } else {
            events.push(this.warn(`unknown tag type ${h.type} at offset ${at} (${h.dataSize} bytes); skipped`, at));
            this.startSkip(h.dataSize, 'tagSize', `the tag at offset ${at}`);
          }
          break;
        }
        case 'tagBody': {
          if (have < this.tagSize) return;
          const payload = this.take(this.tagSize);
          events.push({ kind: 'tag', packet: { type: this.tagType, timestamp: this.tagTimestamp, payload }, offset: this.tagOffset });
          this.stage = 'tagSize';
          break;
        }
        case 'tagSize': {
          if (have < PREVIOUS_TAG_SIZE_BYTES) return;
          const at = this.consumed;
          const v = this.takeU32();
          const expected = FLV_TAG_HEADER_SIZE + this.tagSize;
          if (v !== expected) {
            events.push(this.warn(`PreviousTagSize is ${v}, expected ${expected} for the tag at offset ${this.tagOffset}`, at));
          }
          this.stage = 'tagHeader';
          break;
        }
        case 'ended':
          return;
        default: {
          const never: never = this.stage;
          throw new Error(`unreachable stage ${String(never)}`);
        }
      }
    }
  }

  private startSkip(n: number, next: Stage, what: string): void {
    this.skipLeft = n;
    this.afterSkip = next;
    this.skipWhat = what;
    this.stage = 'skip';
  }
}

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return new FlvFormatError('unexpected end of input', 0);
}
