/**
 * Builds bit-level test vectors field by field (for SPS and AudioSpecificConfig
 * cases no encoder here produces): `u(n, v)`, Exp-Golomb `ue`/`se`, and NAL
 * packing with emulation prevention bytes.
 */
export class BitWriter {
  private readonly bits: number[] = [];

  /** n bits of v, most significant first (n ≤ 32). */
  u(n: number, v: number): this {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(v / 2 ** i) % 2);
    return this;
  }

  flag(b: boolean): this {
    return this.u(1, b ? 1 : 0);
  }

  /** ue(v): leading zeros, a one, then the low bits of v + 1. */
  ue(v: number): this {
    const x = v + 1;
    const len = Math.floor(Math.log2(x));
    return this.u(len, 0).u(len + 1, x);
  }

  /** se(v): k = 2|v| - (v > 0). */
  se(v: number): this {
    return this.ue(v > 0 ? 2 * v - 1 : -2 * v);
  }

  get length(): number {
    return this.bits.length;
  }

  /** The bits so far, zero-padded to whole bytes. */
  bytes(): Buffer {
    const out = Buffer.alloc(Math.ceil(this.bits.length / 8));
    this.bits.forEach((b, i) => {
      if (b) out[i >> 3]! |= 0x80 >> (i & 7);
    });
    return out;
  }

  /** rbsp_trailing_bits (a one, then zeros to the byte boundary) and emulation prevention: a NAL unit payload. */
  nal(): Buffer {
    this.u(1, 1);
    const rbsp = this.bytes();
    const out: number[] = [];
    let zeros = 0;
    for (const b of rbsp) {
      if (zeros >= 2 && b <= 3) {
        out.push(3);
        zeros = 0;
      }
      out.push(b);
      zeros = b === 0 ? zeros + 1 : 0;
    }
    return Buffer.from(out);
  }
}
