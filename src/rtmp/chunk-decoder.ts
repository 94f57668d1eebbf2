/**
 * Incremental RTMP chunk stream decoder (Adobe RTMP specification 5.3).
 *
 * Bytes go in through `push()` split at any offset; whole messages come out.
 * The decoder is an explicit state machine over a BufferList with four named
 * stages — basic header, message header, extended timestamp, payload — and a
 * loop that stops as soon as a stage lacks bytes. Set Chunk Size and Abort are
 * applied here, the moment their message completes, so the very next chunk is
 * parsed with the new size (spec 5.4.1, 5.4.2).
 */
import { BufferList } from '../bytes/buffer-list.js';
import { LimitError, ProtocolError } from '../errors.js';
import { resolveLimits, type Limits } from '../limits.js';
import { tsAdd } from '../media/timestamp.js';
import { MessageType, type RtmpMessage } from './message.js';

/** The stage the decoder is waiting in. */
type Stage = 'basic-header' | 'message-header' | 'extended-timestamp' | 'payload';

/** Message header length in bytes by chunk format 0..3 (spec 5.3.1.2). */
const MESSAGE_HEADER_LENGTH = [11, 7, 3, 0] as const;

/** The 24-bit timestamp field value that announces a 4-byte extended timestamp. */
const EXTENDED = 0xffffff;

/** Chunk size in force until the peer sends Set Chunk Size (spec 5.4.1). */
export const DEFAULT_CHUNK_SIZE = 128;

/** What the decoder remembers per chunk stream id, so that later headers can omit fields. */
interface ChunkStream {
  readonly csid: number;
  /** Absolute timestamp of the current (or last) message. */
  timestamp: number;
  /** Delta reused by a format 3 chunk that starts a new message. */
  delta: number;
  length: number;
  typeId: number;
  streamId: number;
  /** The last format 0/1/2 header carried 0xFFFFFF, so format 3 chunks carry 4 more bytes. */
  extended: boolean;
  /** Buffer of a message spanning several chunks, allocated once at its length. */
  payload: Buffer | undefined;
  /** Bytes of `payload` filled so far. */
  received: number;
}

/**
 * Turns a byte stream from the peer into whole RTMP messages.
 *
 * After `push()` throws, the stream is out of sync: the error is remembered
 * and thrown again by every later call, and the connection must be closed.
 */
export class ChunkDecoder {
  private readonly limits: Limits;
  private readonly input = new BufferList();
  private readonly streams = new Map<number, ChunkStream>();
  private stage: Stage = 'basic-header';
  private inChunkSize = DEFAULT_CHUNK_SIZE;
  private total = 0;
  /** Bytes allocated for messages still being assembled (all chunk streams). */
  private pending = 0;
  private failure: Error | undefined;

  // The chunk being parsed.
  private fmt = 0;
  private current: ChunkStream | undefined;
  /** The 24-bit timestamp or delta field of the current header (format 0..2). */
  private field = 0;
  /** Body bytes of the current chunk not read yet. */
  private chunkLeft = 0;

  constructor(limits?: Partial<Limits>) {
    this.limits = resolveLimits(limits);
  }

  /** Chunk size the peer currently uses (128 until it sends Set Chunk Size). */
  get chunkSize(): number {
    return this.inChunkSize;
  }

  /** Every byte pushed so far; the session acknowledges against this count (spec 5.4.3). */
  get bytesReceived(): number {
    return this.total;
  }

  /**
   * Feeds received bytes and returns the messages they complete, in order.
   * Set Chunk Size and Abort are applied and still returned.
   */
  push(data: Buffer): RtmpMessage[] {
    if (this.failure) throw this.failure;
    this.total += data.length;
    this.input.push(data);
    const out: RtmpMessage[] = [];
    try {
      while (this.step(out)) {
        // each step consumed something or moved to the next stage
      }
    } catch (e) {
      this.failure = e instanceof Error ? e : new ProtocolError(String(e));
      throw e;
    }
    return out;
  }

  /** Runs the current stage once; false when it needs more bytes. */
  private step(out: RtmpMessage[]): boolean {
    switch (this.stage) {
      case 'basic-header':
        return this.readBasicHeader();
      case 'message-header':
        return this.readMessageHeader();
      case 'extended-timestamp':
        return this.readExtendedTimestamp(out);
      case 'payload':
        return this.readPayload(out);
    }
  }

  /** Basic header: format and chunk stream id in 1, 2 or 3 bytes (spec 5.3.1.1). */
  private readBasicHeader(): boolean {
    const input = this.input;
    if (input.length < 1) return false;
    const first = input.byteAt(0);
    const low = first & 0x3f;
    const size = low === 0 ? 2 : low === 1 ? 3 : 1;
    if (input.length < size) return false;
    let csid = low;
    if (low === 0) csid = 64 + input.byteAt(1);
    else if (low === 1) csid = 64 + input.byteAt(1) + 256 * input.byteAt(2);
    input.skip(size);
    this.fmt = first >> 6;
    this.current = this.chunkStream(csid, this.fmt);
    this.stage = 'message-header';
    return true;
  }

  /** State for `csid`; only a format 0 chunk may introduce a chunk stream. */
  private chunkStream(csid: number, fmt: number): ChunkStream {
    const known = this.streams.get(csid);
    if (known) return known;
    if (fmt !== 0) {
      throw new ProtocolError(
        `chunk stream ${csid} starts with a format ${fmt} header; a new chunk stream must start with format 0`,
      );
    }
    const max = this.limits.maxChunkStreams;
    if (this.streams.size >= max) {
      throw new LimitError('maxChunkStreams', this.streams.size + 1, max, 'chunk streams opened by the peer');
    }
    const created: ChunkStream = {
      csid, timestamp: 0, delta: 0, length: 0, typeId: 0, streamId: 0,
      extended: false, payload: undefined, received: 0,
    };
    this.streams.set(csid, created);
    return created;
  }

  /** Message header of 11, 7, 3 or 0 bytes (spec 5.3.1.2). */
  private readMessageHeader(): boolean {
    const n = MESSAGE_HEADER_LENGTH[this.fmt as 0 | 1 | 2 | 3];
    if (this.input.length < n) return false;
    const s = this.current!;
    if (n > 0) {
      if (s.payload !== undefined) {
        throw new ProtocolError(
          `chunk stream ${s.csid}: format ${this.fmt} header arrived while a message was incomplete ` +
            `(${s.received} of ${s.length} bytes); only format 3 may continue a message`,
        );
      }
      const h = this.input.consume(n);
      this.field = h.readUIntBE(0, 3);
      s.extended = this.field === EXTENDED;
      if (this.fmt <= 1) {
        const length = h.readUIntBE(3, 3);
        // Checked the moment the length is known, before anything is allocated.
        if (length > this.limits.maxMessageSize) {
          throw new LimitError('maxMessageSize', length, this.limits.maxMessageSize, `message on chunk stream ${s.csid}`);
        }
        s.length = length;
        s.typeId = h[6]!;
      }
      if (this.fmt === 0) s.streamId = h.readUInt32LE(7);
    }
    this.stage = 'extended-timestamp';
    return true;
  }

  /**
   * Extended timestamp, then the chunk's timing. The 4 bytes follow every
   * header whose field was 0xFFFFFF and — as ffmpeg (rtmppkt.c), librtmp and
   * nginx-rtmp all read them — every format 3 chunk after such a header.
   * On a continuation chunk their value is ignored like ffmpeg does, so a
   * peer that repeats the delta where we expect the timestamp still works.
   */
  private readExtendedTimestamp(out: RtmpMessage[]): boolean {
    const s = this.current!;
    let ext: number | undefined;
    if (s.extended) {
      if (this.input.length < 4) return false;
      ext = this.input.consume(4).readUInt32BE(0);
    }
    if (s.payload !== undefined) {
      // Continuation of a message: timing was fixed by its first chunk.
      this.chunkLeft = Math.min(this.inChunkSize, s.length - s.received);
      this.stage = 'payload';
      return true;
    }
    switch (this.fmt) {
      case 0:
        s.timestamp = ext ?? this.field;
        // A format 3 chunk starting the next message reuses this value as its
        // delta: the spec says so (5.3.1.2.4), and ffmpeg and librtmp both do it;
        // nginx-rtmp alone uses 0. We follow the majority.
        s.delta = s.timestamp;
        break;
      case 1:
      case 2:
        s.delta = ext ?? this.field;
        s.timestamp = tsAdd(s.timestamp, s.delta);
        break;
      default:
        // Format 3 starting a new message: same delta as before. With an
        // extended header the 4 bytes carry it, which is how all three peers read them.
        if (ext !== undefined) s.delta = ext;
        s.timestamp = tsAdd(s.timestamp, s.delta);
    }
    if (s.length === 0) {
      this.complete(s, Buffer.alloc(0), out);
      this.stage = 'basic-header';
      return true;
    }
    s.received = 0;
    this.chunkLeft = Math.min(this.inChunkSize, s.length);
    // A message longer than one chunk gets its buffer now, once, at its full length —
    // unless the messages already being assembled on other chunk streams would then
    // hold more than maxPendingBytes (each alone may be up to maxMessageSize).
    if (s.length > this.inChunkSize) {
      const held = this.pending + s.length;
      if (held > this.limits.maxPendingBytes) {
        throw new LimitError('maxPendingBytes', held, this.limits.maxPendingBytes, `messages being assembled at once (chunk stream ${s.csid})`);
      }
      s.payload = Buffer.allocUnsafe(s.length);
      this.pending = held;
    }
    this.stage = 'payload';
    return true;
  }

  /** Chunk body: at most one chunk size of the message. */
  private readPayload(out: RtmpMessage[]): boolean {
    const s = this.current!;
    const input = this.input;
    if (s.payload === undefined) {
      // Single-chunk message: a view when its bytes lie in one input buffer.
      if (input.length < this.chunkLeft) return false;
      const body = input.consume(this.chunkLeft);
      this.complete(s, body, out);
      this.stage = 'basic-header';
      return true;
    }
    const take = Math.min(this.chunkLeft, input.length);
    if (take === 0) return false;
    input.copyTo(s.payload, s.received, take);
    s.received += take;
    this.chunkLeft -= take;
    if (this.chunkLeft > 0) return false;
    if (s.received === s.length) {
      const body = s.payload;
      s.payload = undefined;
      s.received = 0;
      this.pending -= body.length;
      this.complete(s, body, out);
    }
    this.stage = 'basic-header';
    return true;
  }

  /** Emits a finished message and applies it if it is Set Chunk Size or Abort. */
  private complete(s: ChunkStream, payload: Buffer, out: RtmpMessage[]): void {
    const msg: RtmpMessage = {
      csid: s.csid,
      typeId: s.typeId,
      timestamp: s.timestamp,
      streamId: s.streamId,
      payload,
    };
    if (msg.typeId === MessageType.SetChunkSize) this.applySetChunkSize(payload);
    else if (msg.typeId === MessageType.Abort) this.applyAbort(payload);
    out.push(msg);
  }

  /** Spec 5.4.1: 31-bit size, top bit zero, at least 1; we also cap it by `maxChunkSize`. */
  private applySetChunkSize(payload: Buffer): void {
    if (payload.length < 4) {
      throw new ProtocolError(`Set Chunk Size message has ${payload.length} bytes; it needs 4`);
    }
    const size = payload.readUInt32BE(0);
    if (size & 0x80000000) {
      throw new ProtocolError(`Set Chunk Size 0x${size.toString(16)} has the top bit set, which the spec forbids`);
    }
    if (size === 0) throw new ProtocolError('Set Chunk Size 0 is invalid; the smallest chunk size is 1');
    if (size > this.limits.maxChunkSize) {
      throw new LimitError('maxChunkSize', size, this.limits.maxChunkSize, 'Set Chunk Size from the peer');
    }
    this.inChunkSize = size;
  }

  /** Spec 5.4.2: drop the partly received message on the named chunk stream. */
  private applyAbort(payload: Buffer): void {
    if (payload.length < 4) {
      throw new ProtocolError(`Abort message has ${payload.length} bytes; it needs 4`);
    }
    const target = this.streams.get(payload.readUInt32BE(0));
    if (target) {
      if (target.payload) this.pending -= target.payload.length;
      target.payload = undefined;
      target.received = 0;
    }
  }
}
