/**
 * Shared machinery for the property-based tests and `npm run fuzz`: the
 * typed-error check, a per-call time bound, byte-mutation and split
 * arbitraries, and an exact equality for AMF values.
 *
 * A property here is "hostile input is bounded" (issue #6): whatever bytes
 * come in, the only exceptions are `RtmpError`s (and none of them wraps an
 * untyped error as its cause), every call returns promptly, buffered state
 * stays under a limit-derived bound, and round trips are exact.
 */
import fc from 'fast-check';
import { RtmpError } from '../../src/errors.js';
import { classNameOf, isAmfObject, isEcmaArray, type AmfValue } from '../../src/amf/value.js';

/** Seed for `npm test` runs: FC_SEED, default 42. */
export const SEED = Number.parseInt(process.env.FC_SEED ?? '42', 10);

/** Multiplies every property's run count in `npm test` (FC_RUNS_SCALE, default 1). */
export const RUNS_SCALE = Number(process.env.FC_RUNS_SCALE ?? '1');

/** One call on hostile input taking longer than this counts as a hang. */
export const SLOW_CALL_MS = Number(process.env.FC_SLOW_MS ?? '2000');

/** A property with a name shared by the tests and the fuzzer. */
export interface NamedProperty {
  name: string;
  /** Runs per `npm test`. */
  runs: number;
  /** Builds the fast-check property (fresh each time, so runs do not share state). */
  make: () => fc.IProperty<unknown[]>;
}

/** Declares a property over one or more arbitraries (typed loosely for the registry). */
export function prop<Ts extends unknown[]>(
  name: string,
  runs: number,
  arbs: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  predicate: (...args: Ts) => void,
): NamedProperty {
  return {
    name,
    runs,
    make: () => (fc.property as unknown as (...a: unknown[]) => fc.IProperty<unknown[]>)(...arbs, predicate),
  };
}

/** Thrown by a property when an input produced something other than a typed error. */
export class PropertyViolation extends Error {}

/**
 * Checks that `e` is an `RtmpError` and that no error in its `cause` chain is
 * untyped (a wrapped RangeError is still a bug in a pure codec).
 */
export function assertTypedError(e: unknown, where: string): RtmpError {
  if (!(e instanceof RtmpError)) {
    const desc = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    throw new PropertyViolation(`${where} threw an untyped ${desc}`, { cause: e });
  }
  let c: unknown = e.cause;
  for (let i = 0; c !== undefined && i < 16; i++) {
    if (!(c instanceof RtmpError)) {
      const desc = c instanceof Error ? `${c.constructor.name}: ${c.message}` : String(c);
      throw new PropertyViolation(`${where} threw ${e.code} wrapping an untyped ${desc}`, { cause: e });
    }
    c = c.cause;
  }
  return e;
}

/** Outcome of one guarded call. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: RtmpError };

/** Runs `fn`; a throw must be typed and the call must return within SLOW_CALL_MS. */
export function guarded<T>(where: string, fn: () => T): Outcome<T> {
  const t0 = performance.now();
  let out: Outcome<T>;
  try {
    out = { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof PropertyViolation) throw e;
    out = { ok: false, error: assertTypedError(e, where) };
  }
  const ms = performance.now() - t0;
  if (ms > SLOW_CALL_MS) throw new PropertyViolation(`${where} took ${ms.toFixed(0)} ms (limit ${SLOW_CALL_MS} ms)`);
  return out;
}

/** Fails the property with `message` unless `cond`. */
export function check(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new PropertyViolation(typeof message === 'string' ? message : message());
}

// ---------------------------------------------------------------- bytes

/** Random bytes up to `maxLength`. */
export function bytes(maxLength: number, minLength = 0): fc.Arbitrary<Buffer> {
  return fc.uint8Array({ minLength, maxLength }).map((a) => Buffer.from(a));
}

/** One edit applied to a valid encoding. */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'u24'; at: number; value: number }
  | { kind: 'insert'; at: number; data: Uint8Array }
  | { kind: 'delete'; at: number; n: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; at: number; n: number };

const interestingByte = fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x05, 0x07, 0x08, 0x09, 0x0a, 0x11, 0x12, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xfe, 0xff);
const interestingU32 = fc.oneof(
  fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff),
  fc.nat({ max: 0xffffffff }),
);
const at = fc.nat({ max: 1 << 20 });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at, value: fc.oneof(interestingByte, fc.nat({ max: 255 })) }),
  fc.record({ kind: fc.constant('u32' as const), at, value: interestingU32 }),
  fc.record({ kind: fc.constant('u24' as const), at, value: fc.oneof(fc.constantFrom(0, 0xffffff, 0x7fffff, 0x800000), fc.nat({ max: 0xffffff })) }),
  fc.record({ kind: fc.constant('insert' as const), at, data: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at, n: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('duplicate' as const), at, n: fc.integer({ min: 1, max: 32 }) }),
);

/** Applies edits in order; positions are taken modulo the current length. */
export function applyMutations(input: Buffer, muts: readonly Mutation[]): Buffer {
  let b = Buffer.from(input);
  for (const m of muts) {
    const len = b.length;
    const pos = len === 0 ? 0 : m.at % len;
    switch (m.kind) {
      case 'flip':
        if (len > 0) b[pos] = b[pos]! ^ (1 << m.bit);
        break;
      case 'set':
        if (len > 0) b[pos] = m.value;
        break;
      case 'u32':
        if (len >= 4) b.writeUInt32BE(m.value >>> 0, m.at % (len - 3));
        break;
      case 'u24':
        if (len >= 3) b.writeUIntBE(m.value, m.at % (len - 2), 3);
        break;
      case 'insert': {
        const p = m.at % (len + 1);
        b = Buffer.concat([b.subarray(0, p), Buffer.from(m.data), b.subarray(p)]);
        break;
      }
      case 'delete':
        if (len > 0) b = Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(len, pos + m.n))]);
        break;
      case 'truncate':
        b = b.subarray(0, m.at % (len + 1));
        break;
      case 'duplicate':
        if (len > 0) {
          const piece = b.subarray(pos, Math.min(len, pos + m.n));
          b = Buffer.concat([b.subarray(0, pos), piece, b.subarray(pos)]);
        }
        break;
    }
  }
  return b;
}

/** `base` with 1..maxEdits edits applied. */
export function mutated(base: fc.Arbitrary<Buffer>, maxEdits = 4): fc.Arbitrary<Buffer> {
  return fc
    .tuple(base, fc.array(mutation, { minLength: 1, maxLength: maxEdits }))
    .map(([b, muts]) => applyMutations(b, muts));
}

/** Raw split points; `pieces()` maps them onto a buffer of any length. */
export const splits: fc.Arbitrary<number[]> = fc.array(fc.nat({ max: 1 << 20 }), { maxLength: 12 });

/**
 * Cuts `data` at the given points (modulo its length + 1, sorted; repeated
 * points give empty pieces). Each piece is a copy, so nothing can rely on the
 * pieces sharing memory.
 */
export function pieces(data: Buffer, raw: readonly number[]): Buffer[] {
  const cuts = raw.map((x) => x % (data.length + 1)).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...cuts, data.length]) {
    out.push(Buffer.from(data.subarray(prev, c)));
    prev = c;
  }
  return out;
}

/** Code and message of an error, for comparing outcomes of different splits. */
export function errorKey(e: RtmpError | undefined): string | undefined {
  return e === undefined ? undefined : `${e.code}: ${e.message}`;
}

/** Reads a private field of an object under test (memory-bound checks only). */
export function peekPrivate<T>(obj: object, field: string): T {
  return (obj as Record<string, unknown>)[field] as T;
}

// ---------------------------------------------------------------- AMF values

/** Describes the first difference between two AMF values, or undefined when they are exactly equal. */
export function amfDiff(a: AmfValue, b: AmfValue, path = '$'): string | undefined {
  if (typeof a === 'number' || typeof b === 'number') {
    return typeof a === 'number' && typeof b === 'number' && Object.is(a, b) ? undefined : `${path}: ${show(a)} != ${show(b)}`;
  }
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return a === b ? undefined : `${path}: ${show(a)} != ${show(b)}`;
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime()) ? undefined : `${path}: date ${show(a)} != ${show(b)}`;
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b)) ? undefined : `${path}: bytes differ`;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return `${path}: array vs object`;
    if (a.length !== b.length) return `${path}: length ${a.length} != ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = amfDiff(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (!isAmfObject(a) || !isAmfObject(b)) return `${path}: not plain objects`;
  if (isEcmaArray(a) !== isEcmaArray(b)) return `${path}: ECMA array marker ${isEcmaArray(a)} != ${isEcmaArray(b)}`;
  if (classNameOf(a) !== classNameOf(b)) return `${path}: class name ${show(classNameOf(a))} != ${show(classNameOf(b))}`;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join('\u0000') !== kb.join('\u0000') || ka.length !== kb.length) return `${path}: keys ${show(ka)} != ${show(kb)}`;
  for (const k of ka) {
    const d = amfDiff(a[k], b[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

function show(v: unknown): string {
  try {
    return fc.stringify(v);
  } catch {
    return String(v);
  }
}

/**
 * Largest number of entries in any array or object reachable from `v`
 * (decoded AMF may be cyclic through references, so visited values are skipped).
 */
export function largestCollection(v: AmfValue, seen = new Set<object>()): number {
  if (typeof v !== 'object' || v === null || v instanceof Date || v instanceof Uint8Array) return 0;
  if (seen.has(v)) return 0;
  seen.add(v);
  const children: AmfValue[] = Array.isArray(v) ? v : Object.keys(v).map((k) => v[k]);
  let max = children.length;
  for (const c of children) max = Math.max(max, largestCollection(c, seen));
  return max;
}
