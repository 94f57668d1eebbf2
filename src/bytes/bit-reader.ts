import { ProtocolError } from '../errors.js';

/** Builds the error thrown when a bit read runs past the end or a code is invalid. */
export type BitReadError = (message: string) => Error;

const defaultFail: BitReadError = (message) => new ProtocolError(message);

/** Exp-Golomb codes longer than this cannot encode a 32-bit value (H.264 9.1). */
const MAX_LEADING_ZEROS = 31;

/**
 * Bounds-checked, most-significant-bit-first reader over one whole buffer,
 * with the Exp-Golomb codes of ITU-T H.264 9.1 (`ue(v)`, `se(v)`). Every read
 * checks the bits left first and throws the typed error built by `fail`,
 * naming the field, instead of reading past the end.
 */
export class BitReader {
  private readonly buf: Uint8Array;
  /** Position in bits from the start of the buffer. */
  private pos: number;
  private readonly endBit: number;
  private readonly fail: BitReadError;

  constructor(buf: Uint8Array, fail: BitReadError = defaultFail, startByte = 0, endByte = buf.length) {
    this.buf = buf;
    this.pos = startByte * 8;
    this.endBit = Math.min(endByte, buf.length) * 8;
    this.fail = fail;
  }

  /** Bits not read yet. */
  get bitsLeft(): number {
    return this.endBit - this.pos;
  }

  /** Bits read so far. */
  get bitOffset(): number {
    return this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.endBit - this.pos) {
      throw this.fail(`truncated ${what}: needed ${n} bit${n === 1 ? '' : 's'} at bit ${this.pos}, ${this.endBit - this.pos} left`);
    }
  }

  /** `u(n)`: an unsigned n-bit number, n from 0 to 32. */
  u(n: number, what = 'field'): number {
    if (!Number.isInteger(n) || n < 0 || n > 32) throw new RangeError(`BitReader.u: ${n} bits is out of range 0..32`);
    this.need(n, what);
    let v = 0;
    for (let left = n; left > 0; ) {
      const byte = this.buf[this.pos >> 3]!;
      const used = this.pos & 7;
      const take = Math.min(8 - used, left);
      const bits = (byte >> (8 - used - take)) & ((1 << take) - 1);
      // Multiplication, not <<, so that 32-bit values stay positive.
      v = v * (1 << take) + bits;
      this.pos += take;
      left -= take;
    }
    return v;
  }

  /** `u(1)` as a boolean. */
  flag(what = 'flag'): boolean {
    return this.u(1, what) === 1;
  }

  /** Skips n bits. */
  skip(n: number, what = 'bits'): void {
    this.need(n, what);
    this.pos += n;
  }

  /** `ue(v)`: unsigned Exp-Golomb, 0 .. 2^32 - 2. */
  ue(what = 'ue(v)'): number {
    let zeros = 0;
    while (!this.flag(what)) {
      zeros++;
      if (zeros > MAX_LEADING_ZEROS) throw this.fail(`invalid ${what}: Exp-Golomb code with more than ${MAX_LEADING_ZEROS} leading zeros`);
    }
    return 2 ** zeros - 1 + this.u(zeros, what);
  }

  /** `se(v)`: signed Exp-Golomb (k ↦ (-1)^(k+1) · ceil(k / 2)). */
  se(what = 'se(v)'): number {
    const k = this.ue(what);
    return k % 2 === 1 ? (k + 1) / 2 : 0 - k / 2;
  }

  /** Skips to the next byte boundary (counted from the start of the buffer). */
  align(): void {
    const pad = (8 - (this.pos & 7)) & 7;
    this.skip(pad, 'byte alignment');
  }
}
