/**
 * FLV structure check: a pure, incremental walk over a file's bytes that says
 * whether the file is whole, merely needs its metadata or tail repaired (as a
 * recording cut short by SIGKILL does), or is broken in the middle.
 *
 * Like FlvReader it is a state machine over a BufferList, but it keeps only
 * what it must: tag headers, PreviousTagSize fields and the onMetaData body.
 * Media bodies are skipped as they stream past, so memory stays bounded by one
 * read chunk plus the metadata tag. The I/O shell is pipeline/flv-check.ts.
 *
 * How a tag is judged (Adobe FLV spec v10, annex E.4):
 *  - StreamID (always 0 by the spec) non-zero: not a tag header; the walk stops
 *    there and the file is 'damaged' at that offset (garbage mid-file);
 *  - an unknown TagType whose PreviousTagSize agrees: reported, harmless; one
 *    whose PreviousTagSize does not agree: garbage, the walk stops;
 *  - a wrong PreviousTagSize after a known tag: counted, 'damaged';
 *  - input ending inside a tag header, body or PreviousTagSize: a partial
 *    tail, 'repairable' by truncating at the end of the last whole tag.
 */
import { FlvFormatError } from '../errors.js';
import { BufferList } from '../bytes/buffer-list.js';
import { PacketType } from '../media/packet.js';
import { TimestampUnwrapper } from '../media/timestamp.js';
import { FLV_HEADER_SIZE, PREVIOUS_TAG_SIZE_BYTES, matchesFlvSignature, notFlv, parseFlvFileHeader } from './header.js';
import { ON_METADATA, peekScriptDataName } from './script-data.js';
import { FLV_TAG_HEADER_SIZE, parseFlvTagHeader } from './tag.js';
import { judgeMetadata, type FlvMetadataCheck } from './check-metadata.js';

export type { FlvMetadataCheck } from './check-metadata.js';

/** 'ok': nothing to do; 'repairable': stale metadata or a partial last tag; 'damaged': broken mid-file. */
export type FlvCheckState = 'ok' | 'repairable' | 'damaged';

/** One finding, with the byte offset it concerns. `severity` says which state it implies. */
export interface FlvCheckProblem {
  kind: 'partial-tail' | 'metadata-missing' | 'metadata-field-missing' | 'metadata-stale'
    | 'previous-tag-size' | 'invalid-tag' | 'unknown-tag' | 'timestamp-backwards';
  severity: 'warning' | 'repairable' | 'damaged';
  offset: number;
  message: string;
}

/** First/last media timestamps of one track (ms, unwrapped across 32 bits). */
export interface FlvTrackTimes {
  tags: number;
  firstMs: number | null;
  lastMs: number | null;
  /** Tags whose timestamp is lower than the previous tag's of the same track. */
  backwards: number;
  firstBackwardsOffset: number | null;
}

/** Everything the check learned. Offsets are bytes from the start of the file. */
export interface FlvCheckResult {
  state: FlvCheckState;
  /** Bytes examined (the file size). */
  size: number;
  header: { hasAudio: boolean; hasVideo: boolean; dataOffset: number };
  tags: { audio: number; video: number; data: number; unknown: number };
  /** Distinct unknown TagType values seen. */
  unknownTypes: number[];
  audio: FlvTrackTimes;
  video: FlvTrackTimes;
  /** Last minus first media timestamp over both tracks (ms), as a recorder computes it. */
  durationMs: number;
  metadata: FlvMetadataCheck | null;
  previousTagSize: { mismatches: number; firstOffset: number | null };
  tail: {
    /** End of the last whole tag's body (or of the header when there is no tag). */
    lastTagEnd: number;
    /** The PreviousTagSize that belongs at `lastTagEnd`. */
    lastPreviousTagSize: number;
    /** Size of the file once its tail is repaired: `lastTagEnd + 4`. */
    repairedSize: number;
    /** What follows the last whole tag, when the file does not end cleanly. */
    partial: { offset: number; bytes: number; what: string } | null;
  };
  /** Where the structure breaks, when it does. */
  damage: { offset: number; message: string } | null;
  problems: FlvCheckProblem[];
}

/** Options for FlvChecker. */
export interface FlvCheckOptions {
  /** Largest accepted difference between declared and measured duration (ms). Default 500: a frame or two of slack. */
  durationToleranceMs?: number;
}

type Stage = 'header' | 'headerExtra' | 'previousTagSize' | 'tagHeader' | 'body' | 'stopped';

function newTrack(): FlvTrackTimes {
  return { tags: 0, firstMs: null, lastMs: null, backwards: 0, firstBackwardsOffset: null };
}

/**
 * Feed the file's bytes with `push()`, then call `end()` for the result.
 * Throws FlvFormatError only when the input is not an FLV file at all (bad
 * signature, version or DataOffset, or shorter than its header).
 */
export class FlvChecker {
  private readonly list = new BufferList();
  private readonly toleranceMs: number;
  private stage: Stage = 'header';
  private consumed = 0;
  private header = { hasAudio: false, hasVideo: false, dataOffset: FLV_HEADER_SIZE };
  private readonly tags = { audio: 0, video: 0, data: 0, unknown: 0 };
  private readonly unknownTypes = new Set<number>();
  private readonly audio = newTrack();
  private readonly video = newTrack();
  private readonly unwrap = { audio: new TimestampUnwrapper(), video: new TimestampUnwrapper() };
  private mediaFirst: number | undefined;
  private mediaMax = 0;
  private metadata: { offset: number; body: Buffer } | undefined;
  private readonly mismatch = { mismatches: 0, firstOffset: null as number | null };
  private damage: { offset: number; message: string } | null = null;
  private readonly problems: FlvCheckProblem[] = [];
  /** The tag being read. */
  private tag = { offset: 0, type: 0, size: 0, timestamp: 0, collect: false, left: 0 };
  private collected: Buffer[] = [];
  private lastTagEnd = FLV_HEADER_SIZE;
  private lastTagSize = 0;
  private skipLeft = 0;

  constructor(opts: FlvCheckOptions = {}) {
    this.toleranceMs = opts.durationToleranceMs ?? 500;
  }

  /** Adds the next bytes of the file. */
  push(chunk: Buffer): void {
    if (this.stage === 'stopped') {
      this.consumed += chunk.length;
      return;
    }
    this.list.push(chunk);
    this.run();
  }

  /** Ends the input and returns the verdict. */
  end(): FlvCheckResult {
    const have = this.list.length;
    let partial: FlvCheckResult['tail']['partial'] = null;
    switch (this.stage) {
      case 'header':
        parseFlvFileHeader(this.list.peek(have)); // always throws: fewer than 9 bytes
        throw new FlvFormatError('incomplete FLV header', have);
      case 'headerExtra':
        throw new FlvFormatError(`input ended inside the ${this.header.dataOffset}-byte FLV header`, this.consumed + have);
      case 'previousTagSize':
        if (this.consumed !== this.header.dataOffset && !isKnownType(this.tag.type)) {
          this.stop(this.tag.offset, `unknown tag type ${this.tag.type} without its PreviousTagSize at the end of the file`);
        } else {
          partial = { offset: this.lastTagEnd, bytes: 0, what: have === 0 ? 'missing PreviousTagSize' : `partial PreviousTagSize (${have} of 4 bytes)` };
        }
        break;
      case 'tagHeader':
        if (have > 0) {
          const bad = partialHeaderProblem(this.list.peek(have));
          if (bad) this.stop(this.consumed, `${bad} in the partial tag header at the end`);
          else partial = { offset: this.lastTagEnd, bytes: 0, what: `partial tag header (${have} of ${FLV_TAG_HEADER_SIZE} bytes)` };
        }
        break;
      case 'body': {
        const got = this.tag.size - this.tag.left + have;
        if (isKnownType(this.tag.type)) {
          partial = {
            offset: this.lastTagEnd,
            bytes: 0,
            what: `partial ${typeName(this.tag.type)} tag (${got} of ${this.tag.size} body bytes)`,
          };
        } else {
          this.stop(this.tag.offset, `unknown tag type ${this.tag.type} running past the end of the file`);
        }
        break;
      }
      case 'stopped':
        break;
    }
    const rest = this.list.length; // stop() may already have dropped it
    this.consumed += rest;
    this.list.skip(rest);
    if (partial) {
      partial.bytes = this.consumed - partial.offset;
      const message = `${partial.what} at byte offset ${partial.offset}: ${partial.bytes} bytes after the last whole tag`;
      this.problems.push({ kind: 'partial-tail', severity: 'repairable', offset: partial.offset, message });
    }
    this.stage = 'stopped';
    return this.result(partial);
  }

  private result(partial: FlvCheckResult['tail']['partial']): FlvCheckResult {
    const durationMs = this.mediaFirst === undefined ? 0 : this.mediaMax - this.mediaFirst;
    const repairedSize = this.lastTagEnd + PREVIOUS_TAG_SIZE_BYTES;
    const metadata = this.checkMetadata(durationMs, repairedSize);
    const damaged = this.problems.some((p) => p.severity === 'damaged');
    const repairable = this.problems.some((p) => p.severity === 'repairable');
    return {
      state: damaged ? 'damaged' : repairable ? 'repairable' : 'ok',
      size: this.consumed,
      header: { ...this.header },
      tags: { ...this.tags },
      unknownTypes: [...this.unknownTypes].sort((a, b) => a - b),
      audio: { ...this.audio },
      video: { ...this.video },
      durationMs,
      metadata,
      previousTagSize: { ...this.mismatch },
      tail: { lastTagEnd: this.lastTagEnd, lastPreviousTagSize: this.lastTagSize, repairedSize, partial },
      damage: this.damage,
      problems: [...this.problems].sort((a, b) => a.offset - b.offset),
    };
  }

  private checkMetadata(durationMs: number, repairedSize: number): FlvMetadataCheck | null {
    if (!this.metadata) {
      this.problems.push({ kind: 'metadata-missing', severity: 'repairable', offset: this.header.dataOffset, message: 'no onMetaData tag' });
      return null;
    }
    const { check, problems } = judgeMetadata(this.metadata, durationMs, repairedSize, this.toleranceMs);
    this.problems.push(...problems);
    return check;
  }

  /** Records the damage and ignores the rest of the input. */
  private stop(offset: number, message: string): void {
    const full = `${message} at byte offset ${offset}`;
    this.damage ??= { offset, message: full };
    this.problems.push({ kind: 'invalid-tag', severity: 'damaged', offset, message: full });
    this.consumed += this.list.length;
    this.list.skip(this.list.length);
    this.stage = 'stopped';
  }

  private run(): void {
    for (;;) {
      const have = this.list.length;
      switch (this.stage) {
        case 'header': {
          if (have < FLV_HEADER_SIZE) {
            if (have > 0 && !matchesFlvSignature(this.list.peek(Math.min(have, 3)))) throw notFlv();
            return;
          }
          const h = parseFlvFileHeader(this.list.consume(FLV_HEADER_SIZE));
          this.consumed = FLV_HEADER_SIZE;
          this.header = { hasAudio: h.hasAudio, hasVideo: h.hasVideo, dataOffset: h.dataOffset };
          this.lastTagEnd = h.dataOffset;
          this.skipLeft = h.dataOffset - FLV_HEADER_SIZE;
          this.stage = 'headerExtra';
          break;
        }
        case 'headerExtra': {
          const n = Math.min(have, this.skipLeft);
          this.list.skip(n);
          this.consumed += n;
          this.skipLeft -= n;
          if (this.skipLeft > 0) return;
          this.stage = 'previousTagSize';
          break;
        }
        case 'previousTagSize': {
          if (have < PREVIOUS_TAG_SIZE_BYTES) return;
          const at = this.consumed;
          const value = this.list.consume(PREVIOUS_TAG_SIZE_BYTES).readUInt32BE(0);
          this.consumed += PREVIOUS_TAG_SIZE_BYTES;
          const afterUnknown = at !== this.header.dataOffset && !isKnownType(this.tag.type);
          const expected = afterUnknown ? FLV_TAG_HEADER_SIZE + this.tag.size : this.lastTagSize;
          if (value !== expected) {
            if (afterUnknown) {
              // An "unknown tag" whose back-pointer is wrong was never a tag.
              this.stop(this.tag.offset, `not a tag header (type ${this.tag.type}, PreviousTagSize ${value})`);
              return;
            }
            this.mismatch.mismatches++;
            this.mismatch.firstOffset ??= at;
            const message = `PreviousTagSize at byte offset ${at} is ${value}, expected ${expected}`;
            this.problems.push({ kind: 'previous-tag-size', severity: 'damaged', offset: at, message });
            this.damage ??= { offset: at, message };
          }
          if (afterUnknown) {
            // Only now, vouched for by its back-pointer, is an unknown tag a whole tag.
            this.lastTagEnd = at;
            this.lastTagSize = expected;
            this.countUnknown();
          }
          this.stage = 'tagHeader';
          break;
        }
        case 'tagHeader': {
          if (have < FLV_TAG_HEADER_SIZE) return;
          const at = this.consumed;
          const raw = this.list.peek(FLV_TAG_HEADER_SIZE);
          const bad = partialHeaderProblem(raw);
          if (bad) {
            this.stop(at, bad);
            return;
          }
          const h = parseFlvTagHeader(Buffer.from(raw), at);
          this.list.skip(FLV_TAG_HEADER_SIZE);
          this.consumed += FLV_TAG_HEADER_SIZE;
          const collect = h.type === PacketType.Data && this.metadata === undefined;
          this.tag = { offset: at, type: h.type, size: h.dataSize, timestamp: h.timestamp, collect, left: h.dataSize };
          this.collected = [];
          this.stage = 'body';
          break;
        }
        case 'body': {
          const n = Math.min(have, this.tag.left);
          if (this.tag.collect) this.collected.push(this.list.consume(n));
          else this.list.skip(n);
          this.consumed += n;
          this.tag.left -= n;
          if (this.tag.left > 0) return;
          this.wholeTag();
          this.stage = 'previousTagSize';
          break;
        }
        case 'stopped':
          return;
        default: {
          const never: never = this.stage;
          throw new Error(`unreachable stage ${String(never)}`);
        }
      }
    }
  }

  /** A tag body is complete: count it and track its timestamps. */
  private wholeTag(): void {
    const { offset, type, size, timestamp } = this.tag;
    if (!isKnownType(type)) return; // whole only once its PreviousTagSize agrees
    this.lastTagEnd = this.consumed;
    this.lastTagSize = FLV_TAG_HEADER_SIZE + size;
    if (type === PacketType.Data) {
      this.tags.data++;
      if (this.tag.collect) {
        const body = Buffer.concat(this.collected);
        if (peekScriptDataName(body) === ON_METADATA) this.metadata = { offset, body };
      }
      this.collected = [];
      return;
    }
    const key = type === PacketType.Audio ? 'audio' : 'video';
    this.tags[key]++;
    const track = this[key];
    const ts = this.unwrap[key].next(timestamp);
    track.tags++;
    if (track.lastMs !== null && ts < track.lastMs) {
      track.backwards++;
      if (track.firstBackwardsOffset === null) {
        track.firstBackwardsOffset = offset;
        const message = `${key} timestamp goes back from ${track.lastMs} to ${ts} ms at byte offset ${offset}`;
        this.problems.push({ kind: 'timestamp-backwards', severity: 'warning', offset, message });
      }
    }
    track.firstMs ??= ts;
    track.lastMs = ts;
    this.mediaFirst ??= ts;
    this.mediaMax = Math.max(this.mediaMax, ts);
  }

  private countUnknown(): void {
    this.tags.unknown++;
    if (!this.unknownTypes.has(this.tag.type)) {
      this.unknownTypes.add(this.tag.type);
      const message = `unknown tag type ${this.tag.type} at byte offset ${this.tag.offset}`;
      this.problems.push({ kind: 'unknown-tag', severity: 'warning', offset: this.tag.offset, message });
    }
  }
}

function isKnownType(type: number): boolean {
  return type === PacketType.Audio || type === PacketType.Video || type === PacketType.Data;
}

function typeName(type: number): string {
  return type === PacketType.Audio ? 'audio' : type === PacketType.Video ? 'video' : 'script data';
}

/**
 * Why the (possibly partial) tag header bytes cannot be a tag header, or
 * undefined. The reserved bits and the Filter bit must be clear and StreamID
 * must be 0; a partial header must also name a known type, since only a
 * whole tag's PreviousTagSize could vouch for an unknown one.
 */
function partialHeaderProblem(bytes: Buffer): string | undefined {
  const b0 = bytes[0];
  if (b0 === undefined) return undefined;
  if ((b0 & 0xe0) !== 0) return `not a tag header (first byte 0x${b0.toString(16).padStart(2, '0')})`;
  if (bytes.length < FLV_TAG_HEADER_SIZE && !isKnownType(b0)) return `unknown tag type ${b0}`;
  for (let i = 8; i < Math.min(bytes.length, FLV_TAG_HEADER_SIZE); i++) {
    if (bytes[i] !== 0) return 'not a tag header (StreamID is not 0)';
  }
  return undefined;
}
