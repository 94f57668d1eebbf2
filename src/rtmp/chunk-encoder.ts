/**
 * RTMP chunk stream encoder (Adobe RTMP specification 5.3): splits messages
 * into chunks with the shortest header the receiver can expand unambiguously.
 * The payload is never copied; the result interleaves small header buffers
 * with subarrays of the message payload, ready for a vectored socket write.
 */
import { ts32, tsDiff } from '../media/timestamp.js';
import type { RtmpMessage } from './message.js';

/** The 24-bit timestamp field value that announces a 4-byte extended timestamp. */
const EXTENDED = 0xffffff;

/** Largest chunk size the spec allows (31 bits). */
const MAX_CHUNK_SIZE = 0x7fffffff;

/** Largest message the 24-bit length field can describe. */
const MAX_MESSAGE_LENGTH = 0xffffff;

/** What the encoder last told the peer on one chunk stream. */
interface SentHeader {
  timestamp: number;
  /**
   * Delta a format 3 header would make the peer add, or undefined when
   * peers disagree about it (after a format 0 header with a nonzero
   * timestamp: ffmpeg and librtmp reuse the timestamp, nginx-rtmp uses 0).
   */
  delta: number | undefined;
  length: number;
  typeId: number;
  streamId: number;
}

/** Chooses header formats per chunk stream and chunks outgoing messages. */
export class ChunkEncoder {
  private size: number;
  private readonly sent = new Map<number, SentHeader>();

  constructor(chunkSize = 128) {
    this.size = checkChunkSize(chunkSize);
  }

  /** Chunk size in force for outgoing chunks. */
  get chunkSize(): number {
    return this.size;
  }

  /**
   * Changes the outgoing chunk size. Call it right after encoding the Set
   * Chunk Size message that announces the new size, and before the next one.
   */
  setChunkSize(n: number): void {
    this.size = checkChunkSize(n);
  }

  /**
   * Chunks one message. Header format per chunk stream: 0 the first time, when
   * the message stream id changes, or when the timestamp goes backwards; 1 when
   * the length or type changed; 2 when only the delta changed; 3 when delta,
   * length and type all repeat. Timestamps are taken modulo 2^32, so a jump
   * past 2^32 is a small forward delta.
   */
  encode(msg: RtmpMessage): Buffer[] {
    checkMessage(msg);
    const payload = msg.payload;
    const length = payload.length;
    const timestamp = ts32(msg.timestamp);
    const prev = this.sent.get(msg.csid);
    const diff = prev ? tsDiff(prev.timestamp, timestamp) : -1;

    let fmt: 0 | 1 | 2 | 3;
    let value: number; // absolute timestamp (format 0) or delta (1..3)
    if (!prev || prev.streamId !== msg.streamId || diff < 0) {
      fmt = 0;
      value = timestamp;
    } else {
      value = diff;
      if (length !== prev.length || msg.typeId !== prev.typeId) fmt = 1;
      else if (prev.delta !== diff) fmt = 2;
      else fmt = 3;
    }
    // For format 3 `value` equals the delta of the header it repeats, so the
    // peer expects the extended field exactly when we write it.
    const extended = value >= EXTENDED;

    this.sent.set(msg.csid, {
      timestamp,
      delta: fmt === 0 ? (timestamp === 0 ? 0 : undefined) : diff,
      length,
      typeId: msg.typeId,
      streamId: msg.streamId,
    });

    const basic = basicHeaderLength(msg.csid);
    const first = Buffer.allocUnsafe(basic + [11, 7, 3, 0][fmt]! + (extended ? 4 : 0));
    let o = writeBasicHeader(first, fmt, msg.csid);
    if (fmt <= 2) {
      first.writeUIntBE(extended ? EXTENDED : value, o, 3);
      o += 3;
    }
    if (fmt <= 1) {
      first.writeUIntBE(length, o, 3);
      first[o + 3] = msg.typeId;
      o += 4;
    }
    if (fmt === 0) {
      first.writeUInt32LE(msg.streamId, o);
      o += 4;
    }
    if (extended) first.writeUInt32BE(value, o);

    const out: Buffer[] = [first];
    if (length === 0) return out;
    out.push(payload.subarray(0, Math.min(this.size, length)));
    if (length <= this.size) return out;

    // Continuation chunks: format 3, repeating the extended timestamp as
    // ffmpeg, librtmp and nginx-rtmp expect. One shared header buffer.
    const cont = Buffer.allocUnsafe(basic + (extended ? 4 : 0));
    writeBasicHeader(cont, 3, msg.csid);
    if (extended) cont.writeUInt32BE(value, basic);
    for (let off = this.size; off < length; off += this.size) {
      out.push(cont, payload.subarray(off, Math.min(off + this.size, length)));
    }
    return out;
  }

  /** `encode()` joined into one buffer (copies; for tests and small control messages). */
  encodeMessage(msg: RtmpMessage): Buffer {
    return Buffer.concat(this.encode(msg));
  }
}

function checkChunkSize(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_CHUNK_SIZE) {
    throw new RangeError(`chunk size must be an integer from 1 to ${MAX_CHUNK_SIZE}, got ${n}`);
  }
  return n;
}

function checkMessage(msg: RtmpMessage): void {
  if (!Number.isInteger(msg.csid) || msg.csid < 2 || msg.csid > 65599) {
    throw new RangeError(`chunk stream id must be 2..65599, got ${msg.csid}`);
  }
  if (!Number.isInteger(msg.typeId) || msg.typeId < 0 || msg.typeId > 0xff) {
    throw new RangeError(`message type id must be 0..255, got ${msg.typeId}`);
  }
  if (!Number.isInteger(msg.streamId) || msg.streamId < 0 || msg.streamId > 0xffffffff) {
    throw new RangeError(`message stream id must be an unsigned 32-bit integer, got ${msg.streamId}`);
  }
  if (!Number.isInteger(msg.timestamp)) {
    throw new RangeError(`timestamp must be an integer, got ${msg.timestamp}`);
  }
  if (msg.payload.length > MAX_MESSAGE_LENGTH) {
    throw new RangeError(`message of ${msg.payload.length} bytes exceeds the 24-bit length field`);
  }
}

/** 1 byte for csid 2..63, 2 bytes for 64..319, 3 bytes for 320..65599 (spec 5.3.1.1). */
function basicHeaderLength(csid: number): number {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

function writeBasicHeader(buf: Buffer, fmt: number, csid: number): number {
  if (csid < 64) {
    buf[0] = (fmt << 6) | csid;
    return 1;
  }
  const id = csid - 64;
  if (csid < 320) {
    buf[0] = fmt << 6;
    buf[1] = id;
    return 2;
  }
  buf[0] = (fmt << 6) | 1;
  buf[1] = id & 0xff;
  buf[2] = id >> 8;
  return 3;
}
