/**
 * RTMP and FLV timestamps are unsigned 32-bit milliseconds that wrap after
 * 2^32 ms (about 49.7 days). These helpers keep the arithmetic modular.
 */
export const TS_MOD = 0x1_0000_0000;

/** `ts` reduced to an unsigned 32-bit value. */
export function ts32(ts: number): number {
  return ((ts % TS_MOD) + TS_MOD) % TS_MOD;
}

/** `a + b` modulo 2^32. */
export function tsAdd(a: number, b: number): number {
  return ts32(a + b);
}

/** Signed distance from `a` to `b` (b - a) in the range [-2^31, 2^31). */
export function tsDiff(a: number, b: number): number {
  const d = ts32(b - a);
  return d >= 0x8000_0000 ? d - TS_MOD : d;
}

/**
 * Unwraps a sequence of 32-bit timestamps into a monotonic-ish 53-bit timeline:
 * each value is placed nearest to the previous one.
 */
export class TimestampUnwrapper {
  private last: number | undefined;

  next(ts32value: number): number {
    if (this.last === undefined) {
      this.last = ts32value;
      return ts32value;
    }
    this.last = this.last + tsDiff(ts32(this.last), ts32value);
    return this.last;
  }
}
