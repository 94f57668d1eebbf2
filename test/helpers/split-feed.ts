/**
 * Feeding strategies for incremental parsers: whole, byte by byte, split at
 * one offset, split at seeded random offsets. Each feeder pushes copies of the
 * pieces (so a parser cannot rely on the pieces sharing memory) into anything
 * with `push(b): T[]` and returns everything it produced, in order.
 */

/** Anything that takes bytes and returns what they completed. */
export interface Pushable<T> {
  push(b: Buffer): T[];
}

/** Pushes `data` into `target` in some pieces; returns the concatenated results. */
export type Feeder = <T>(target: Pushable<T>, data: Buffer) => T[];

/** A deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [lo, hi] from a PRNG. */
export function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

function feedPieces<T>(target: Pushable<T>, data: Buffer, cuts: number[]): T[] {
  const out: T[] = [];
  let prev = 0;
  for (const cut of [...cuts, data.length]) {
    if (cut < prev) continue;
    out.push(...target.push(Buffer.from(data.subarray(prev, cut))));
    prev = cut;
  }
  return out;
}

/** One push of the whole buffer. */
export const feedWhole: Feeder = (target, data) => feedPieces(target, data, []);

/** One push per byte. */
export const feedByteByByte: Feeder = (target, data) =>
  feedPieces(target, data, Array.from({ length: data.length }, (_, i) => i + 1));

/** Two pushes: bytes before offset `i`, then the rest. */
export function feedSplitAt(i: number): Feeder {
  return (target, data) => feedPieces(target, data, [i]);
}

/** Pushes of random sizes (1..64 bytes, sometimes empty) from a seeded PRNG. */
export function feedRandomSplits(seed: number): Feeder {
  return (target, data) => {
    const rand = prng(seed);
    const cuts: number[] = [];
    let at = 0;
    while (at < data.length) {
      at += rand() < 0.05 ? 0 : randInt(rand, 1, 64);
      cuts.push(Math.min(at, data.length));
    }
    return feedPieces(target, data, cuts);
  };
}

/** Every strategy worth asserting equal: whole, byte by byte, random, and a split at every offset. */
export function everyFeeder(length: number): Array<{ name: string; feed: Feeder }> {
  const feeders = [
    { name: 'whole', feed: feedWhole },
    { name: 'byte by byte', feed: feedByteByByte },
    { name: 'random splits 1', feed: feedRandomSplits(1) },
    { name: 'random splits 2', feed: feedRandomSplits(2) },
  ];
  for (let i = 0; i <= length; i++) feeders.push({ name: `split at ${i}`, feed: feedSplitAt(i) });
  return feeders;
}

/** Hex with spaces, `#` comments and newlines ignored: annotated vectors. */
export function hex(annotated: string): Buffer {
  const clean = annotated.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(clean)) throw new Error(`bad hex vector: ${clean}`);
  return Buffer.from(clean, 'hex');
}
