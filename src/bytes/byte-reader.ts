import { ProtocolError } from '../errors.js';

/** Builds the error thrown when a read runs past the end of the buffer. */
export type ShortReadError = (what: string, needed: number, offset: number, available: number) => Error;

const defaultShort: ShortReadError = (what, needed, offset, available) =>
  new ProtocolError(`truncated ${what}: needed ${needed} bytes at offset ${offset}, ${available} available`);

/**
 * Bounds-checked big-endian cursor over one whole buffer. Every read checks
 * the remaining length first and throws a typed error instead of returning
 * garbage or silently clamping.
 */
export class ByteReader {
  readonly buf: Buffer;
  offset: number;
  private readonly end: number;
  private readonly short: ShortReadError;

  constructor(buf: Uint8Array, short: ShortReadError = defaultShort, start = 0, end = buf.length) {
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.offset = start;
    this.end = end;
    this.short = short;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws unless `n` bytes remain. */
  need(n: number, what = 'data'): void {
    if (n > this.end - this.offset || n < 0) throw this.short(what, n, this.offset, this.end - this.offset);
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf[this.offset++]!;
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  u24(what = 'u24'): number {
    this.need(3, what);
    const v = this.buf.readUIntBE(this.offset, 3);
    this.offset += 3;
    return v;
  }

  /** Signed 24-bit (FLV composition time offset). */
  i24(what = 'i24'): number {
    this.need(3, what);
    const v = this.buf.readIntBE(this.offset, 3);
    this.offset += 3;
    return v;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  u32le(what = 'u32le'): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  i16(what = 'i16'): number {
    this.need(2, what);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  f64(what = 'f64'): number {
    this.need(8, what);
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** A view (no copy) of the next `n` bytes. */
  bytes(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A view of everything left. */
  rest(): Buffer {
    const v = this.buf.subarray(this.offset, this.end);
    this.offset = this.end;
    return v;
  }

  skip(n: number, what = 'bytes'): void {
    this.need(n, what);
    this.offset += n;
  }
}
