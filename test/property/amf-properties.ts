/**
 * AMF0/AMF3 properties: random and mutated bytes only ever raise typed
 * errors and respect the collection limit; AMF0 encode → decode and a small
 * reference AMF3 encoder → decode are exact round trips; the nesting limit
 * holds exactly at its boundary.
 */
import fc from 'fast-check';
import { decodeAmf0, encodeAmf0 } from '../../src/amf/amf0.js';
import { decodeAmf3 } from '../../src/amf/amf3.js';
import { asObject, describeAmf } from '../../src/amf/expect.js';
import { ecmaArray, setOwn, typedObject, type AmfObject, type AmfValue } from '../../src/amf/value.js';
import { AmfError, LimitError, ProtocolError } from '../../src/errors.js';
import { buildMetadataForFile, ON_METADATA, parseScriptData } from '../../src/flv/script-data.js';
import { decodeCommand, statusInfo } from '../../src/rtmp/commands.js';
import { amfToJson } from '../../src/pipeline/probe-report.js';
import { DEFAULT_LIMITS } from '../../src/limits.js';
import { amfDiff, bytes, check, guarded, largestCollection, mutated, prop, type NamedProperty } from './harness.js';

// ---------------------------------------------------------------- generators

/** Strings that survive UTF-8 (lone surrogates do not, by design of UTF-8). */
function wellFormed(s: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return s.filter((x) => Buffer.from(x, 'utf8').toString('utf8') === x);
}

const shortString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: wellFormed(fc.string({ unit: 'binary', maxLength: 12 })) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
);

/** Around the 65535-byte switch between AMF0 string and long string. */
const longString = fc.oneof(
  fc.integer({ min: 65530, max: 65540 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 32766, max: 32769 }).map((n) => 'é'.repeat(n)),
);

const amfString = fc.oneof({ weight: 40, arbitrary: shortString }, { weight: 1, arbitrary: longString });

const propertyName = fc.oneof(
  { weight: 4, arbitrary: shortString.filter((s) => s !== '') },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', '0', '1', '10', 'duration', 'é', '😀') },
);

const amfNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 31), 0xffffffff),
);

const amfDate = fc.oneof(fc.date({ noInvalidDate: false }), fc.double().map((d) => new Date(d)));

function objectOf(entries: Array<[string, AmfValue]>): AmfObject {
  const o: AmfObject = {};
  for (const [k, v] of entries) setOwn(o, k, v);
  return o;
}

const amf0Leaf: fc.Arbitrary<AmfValue> = fc.oneof(
  amfNumber,
  fc.boolean(),
  amfString,
  fc.constant(null),
  fc.constant(undefined),
  amfDate,
);

/** Values AMF0 can carry, nested at most 8 deep (well within maxAmfDepth). */
const amf0Value: fc.Arbitrary<AmfValue> = fc.letrec<{ value: AmfValue }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 8, depthSize: 'small' },
    { weight: 4, arbitrary: amf0Leaf },
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(fc.tuple(propertyName, tie('value')), { maxLength: 5 }).map(objectOf),
    fc.array(fc.tuple(propertyName, tie('value')), { maxLength: 5 }).map((e) => ecmaArray(objectOf(e))),
    fc.tuple(shortString, fc.array(fc.tuple(propertyName, tie('value')), { maxLength: 4 })).map(([name, e]) => typedObject(name, objectOf(e))),
  ),
})).value;

const amf0Values = fc.array(amf0Value, { minLength: 1, maxLength: 4 });

/** Any value AMF0 can carry, for other properties' generators. */
export const amf0ValueArbitrary: fc.Arbitrary<AmfValue> = amf0Value;

/** A valid AMF0 body to mutate. */
const amf0Encoding = amf0Values.map((vs) => encodeAmf0(...vs));

/** Small limits so that random input reaches them. */
const SMALL = { maxAmfDepth: 6, maxAmfCollection: 16 };

// ---------------------------------------------------------------- AMF3 reference encoder (tests only)

function u29(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x4000) return [(n >> 7) | 0x80, n & 0x7f];
  if (n < 0x200000) return [(n >> 14) | 0x80, ((n >> 7) & 0x7f) | 0x80, n & 0x7f];
  return [((n >> 22) & 0x7f) | 0x80, ((n >> 15) & 0x7f) | 0x80, ((n >> 8) & 0x7f) | 0x80, n & 0xff];
}

function f64(d: number): number[] {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleBE(d, 0);
  return [...b];
}

function str3(s: string): number[] {
  const b = Buffer.from(s, 'utf8');
  return [...u29((b.length << 1) | 1), ...b];
}

/** A value for the AMF3 round trip, with what it must decode to. */
type Amf3Case =
  | { t: 'leaf'; v: AmfValue }
  | { t: 'dense'; items: Amf3Case[] }
  | { t: 'assoc'; entries: Array<[string, Amf3Case]> }
  | { t: 'dynamic'; entries: Array<[string, Amf3Case]> }
  | { t: 'sealed'; className: string; entries: Array<[string, Amf3Case]> }
  | { t: 'bytes'; b: Uint8Array };

function encode3(c: Amf3Case, out: number[]): void {
  switch (c.t) {
    case 'leaf': {
      const v = c.v;
      if (v === undefined) out.push(0x00);
      else if (v === null) out.push(0x01);
      else if (v === false) out.push(0x02);
      else if (v === true) out.push(0x03);
      else if (typeof v === 'number') {
        if (Number.isInteger(v) && !Object.is(v, -0) && v >= -(2 ** 28) && v < 2 ** 28) out.push(0x04, ...u29(v & 0x1fffffff));
        else out.push(0x05, ...f64(v));
      } else if (typeof v === 'string') out.push(0x06, ...str3(v));
      else if (v instanceof Date) out.push(0x08, 0x01, ...f64(v.getTime()));
      else throw new Error('not a leaf');
      return;
    }
    case 'bytes':
      out.push(0x0c, ...u29((c.b.length << 1) | 1), ...c.b);
      return;
    case 'dense':
      out.push(0x09, ...u29((c.items.length << 1) | 1), 0x01);
      for (const i of c.items) encode3(i, out);
      return;
    case 'assoc':
      out.push(0x09, 0x01); // no dense part
      for (const [k, v] of c.entries) {
        out.push(...str3(k));
        encode3(v, out);
      }
      out.push(0x01);
      return;
    case 'dynamic':
      out.push(0x0a, 0x0b, 0x01); // inline traits, dynamic, 0 sealed, anonymous
      for (const [k, v] of c.entries) {
        out.push(...str3(k));
        encode3(v, out);
      }
      out.push(0x01);
      return;
    case 'sealed':
      out.push(0x0a, ...u29((c.entries.length << 4) | 0x03), ...str3(c.className));
      for (const [k] of c.entries) out.push(...str3(k));
      for (const [, v] of c.entries) encode3(v, out);
      return;
  }
}

function expected3(c: Amf3Case): AmfValue {
  switch (c.t) {
    case 'leaf':
      return c.v;
    case 'bytes':
      return c.b;
    case 'dense':
      return c.items.map(expected3);
    case 'assoc':
      return ecmaArray(objectOf(c.entries.map(([k, v]) => [k, expected3(v)])));
    case 'dynamic':
      return objectOf(c.entries.map(([k, v]) => [k, expected3(v)]));
    case 'sealed':
      return typedObject(c.className, objectOf(c.entries.map(([k, v]) => [k, expected3(v)])));
  }
}

const amf3Leaf: fc.Arbitrary<Amf3Case> = fc
  .oneof(amfNumber, fc.integer({ min: -(2 ** 28), max: 2 ** 28 - 1 }), fc.boolean(), shortString, fc.constant(null), fc.constant(undefined), amfDate)
  .map((v) => ({ t: 'leaf' as const, v }));

/** Distinct keys: AMF3 members with repeated names would overwrite each other. */
const keys3 = fc.uniqueArray(propertyName, { maxLength: 5 });

const amf3Case: fc.Arbitrary<Amf3Case> = fc.letrec<{ c: Amf3Case }>((tie) => ({
  c: fc.oneof(
    { maxDepth: 6, depthSize: 'small' },
    { weight: 4, arbitrary: amf3Leaf },
    fc.uint8Array({ maxLength: 16 }).map((b) => ({ t: 'bytes' as const, b })),
    fc.array(tie('c'), { maxLength: 5 }).map((items) => ({ t: 'dense' as const, items })),
    keys3
      .filter((k) => k.length > 0)
      .chain((ks) => fc.tuple(...ks.map(() => tie('c'))).map((vs) => ({ t: 'assoc' as const, entries: ks.map((k, i): [string, Amf3Case] => [k, vs[i]!]) }))),
    keys3.chain((ks) => fc.tuple(...ks.map(() => tie('c'))).map((vs) => ({ t: 'dynamic' as const, entries: ks.map((k, i): [string, Amf3Case] => [k, vs[i]!]) }))),
    fc.tuple(shortString.filter((s) => s !== ''), keys3).chain(([className, ks]) =>
      fc.tuple(...ks.map(() => tie('c'))).map((vs) => ({ t: 'sealed' as const, className, entries: ks.map((k, i): [string, Amf3Case] => [k, vs[i]!]) })),
    ),
  ),
})).c;

const amf3Encoding = fc.array(amf3Case, { minLength: 1, maxLength: 3 }).map((cs) => {
  const out: number[] = [];
  for (const c of cs) encode3(c, out);
  return Buffer.from(out);
});

/** Bytes biased towards AMF3 markers and small U29s. */
const amf3Soup = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0x12 }), fc.nat({ max: 255 }), fc.constantFrom(0x01, 0x03, 0x0b, 0x13, 0x80, 0xff)), { maxLength: 96 })
  .map((a) => Buffer.from(a));

const amf0Soup = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0x11 }), fc.nat({ max: 255 }), fc.constantFrom(0x00, 0x09, 0xff)), { maxLength: 96 })
  .map((a) => Buffer.from(a));

// ---------------------------------------------------------------- properties

function decodes0(buf: Buffer, limits?: typeof SMALL): void {
  const r = guarded('decodeAmf0', () => decodeAmf0(buf, limits));
  if (r.ok && limits) {
    for (const v of r.value) check(largestCollection(v) <= limits.maxAmfCollection, 'a decoded AMF0 collection exceeds maxAmfCollection');
  }
  if (!r.ok) check(r.error instanceof AmfError || r.error instanceof LimitError, `decodeAmf0 threw ${r.error.code}`);
}

function decodes3(buf: Buffer, limits?: typeof SMALL): void {
  const r = guarded('decodeAmf3', () => decodeAmf3(buf, limits));
  if (r.ok && limits) {
    for (const v of r.value) check(largestCollection(v) <= limits.maxAmfCollection, 'a decoded AMF3 collection exceeds maxAmfCollection');
  }
  if (!r.ok) check(r.error instanceof AmfError || r.error instanceof LimitError, `decodeAmf3 threw ${r.error.code}`);
}

/** Nested strict arrays (0x0a, count 1) `depth` deep around a number. */
function nestedArrays(depth: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < depth; i++) parts.push(Buffer.from([0x0a, 0, 0, 0, 1]));
  parts.push(encodeAmf0(1));
  return Buffer.concat(parts);
}

/** Nested AMF3 dense arrays of length 1 (`09 03 01`) `depth` deep around an integer. */
function nestedArrays3(depth: number): Buffer {
  const parts: number[] = [];
  for (let i = 0; i < depth; i++) parts.push(0x09, 0x03, 0x01);
  parts.push(0x04, 0x01);
  return Buffer.from(parts);
}

/** Script data / command bodies: an AMF0 name, then values, sometimes behind '@setDataFrame', sometimes AMF3. */
const scriptBody = fc.oneof(
  amf0Values.map((vs) => encodeAmf0(ON_METADATA, ...vs)),
  amf0Values.map((vs) => encodeAmf0('@setDataFrame', ON_METADATA, ...vs)),
  fc.array(amf3Case, { minLength: 1, maxLength: 2 }).map((cs) => {
    const out: number[] = [...encodeAmf0(ON_METADATA)];
    for (const c of cs) {
      out.push(0x11);
      encode3(c, out);
    }
    return Buffer.from(out);
  }),
);

/** A body with AMF0 references (0x07) back to the containers being built: cycles. */
const cyclicBody = fc.tuple(fc.nat({ max: 3 }), propertyName).map(([ref, key]) => {
  const k = Buffer.from(key, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(k.length, 0);
  return Buffer.concat([encodeAmf0(ON_METADATA), Buffer.from([0x08, 0, 0, 0, 1]), len, k, Buffer.from([0x07, 0, ref]), Buffer.from([0, 0, 9])]);
});

/**
 * onMetaData whose entries share containers through AMF0 references: entry i
 * is `width` references to entry i-1, so `levels` entries expand to width^levels
 * values while the body stays a few hundred bytes.
 */
export function referenceBomb(levels: number, width: number): Buffer {
  const parts = [encodeAmf0(ON_METADATA), Buffer.from([0x08, 0, 0, 0, 0])]; // reference #0: the ECMA array
  parts.push(Buffer.from([0, 2]), Buffer.from('a0'), Buffer.from([0x0a, 0, 0, 0, 2]), encodeAmf0(1, 'x')); // #1
  for (let i = 1; i <= levels; i++) {
    const k = Buffer.from(`a${i}`);
    parts.push(Buffer.from([0, k.length]), k, Buffer.from([0x0a, 0, 0, 0, width]));
    for (let j = 0; j < width; j++) parts.push(Buffer.from([0x07, (i >> 8) & 0xff, i & 0xff]));
  }
  parts.push(Buffer.from([0, 0, 9]));
  return Buffer.concat(parts);
}

const bombBody = fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 2, max: 4 })).map(([l, w]) => referenceBomb(l, w));

/** Script bodies from a hostile peer; reference bombs are few because each costs up to the consumers' budgets. */
const hostileScript = fc.oneof(
  { weight: 4, arbitrary: scriptBody },
  { weight: 4, arbitrary: mutated(scriptBody) },
  { weight: 2, arbitrary: cyclicBody },
  { weight: 1, arbitrary: bombBody },
  { weight: 1, arbitrary: mutated(bombBody) },
);

/** The rendering amfToJson gave before it was bounded, for tree-shaped values. */
function plainJson(v: AmfValue): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.toISOString() : null;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(plainJson);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: plainJson(v[k]), enumerable: true, writable: true, configurable: true });
  return out;
}

export const amfProperties: NamedProperty[] = [
  prop('amf0.random-bytes', 600, [fc.oneof(bytes(128), amf0Soup), fc.boolean()], (buf, small) => decodes0(buf, small ? SMALL : undefined)),
  prop('amf0.mutated-encoding', 500, [mutated(amf0Encoding), fc.boolean()], (buf, small) => decodes0(buf, small ? SMALL : undefined)),
  prop('amf0.roundtrip', 400, [amf0Values], (values) => {
    const enc = guarded('encodeAmf0', () => encodeAmf0(...values));
    check(enc.ok, () => `encodeAmf0 refused a valid value: ${enc.ok ? '' : enc.error.message}`);
    const dec = guarded('decodeAmf0', () => decodeAmf0(enc.value));
    check(dec.ok, () => `decodeAmf0 refused encodeAmf0's output: ${dec.ok ? '' : dec.error.message}`);
    const d = amfDiff(values, dec.value);
    check(d === undefined, `round trip differs: ${d}`);
  }),
  prop('amf0.depth-limit-boundary', 100, [fc.integer({ min: 1, max: DEFAULT_LIMITS.maxAmfDepth + 8 }), fc.boolean()], (depth, amf3) => {
    const buf = amf3 ? Buffer.concat([Buffer.from([0x11]), nestedArrays3(depth)]) : nestedArrays(depth);
    const r = guarded('decodeAmf0', () => decodeAmf0(buf));
    if (depth <= DEFAULT_LIMITS.maxAmfDepth) check(r.ok, `depth ${depth} within maxAmfDepth was refused`);
    else check(!r.ok && r.error instanceof LimitError && r.error.limit === 'maxAmfDepth', `depth ${depth} past maxAmfDepth was not a maxAmfDepth LimitError`);
  }),
  prop(
    'amf0.declared-length-past-end',
    300,
    [fc.constantFrom(0x02, 0x0c, 0x0f, 0x0a, 0x08, 0x10), fc.nat({ max: 0xffffffff }), bytes(32)],
    (marker, declared, tail) => {
      // A length or count field larger than the bytes that follow must fail, not allocate.
      const wide = marker === 0x02 || marker === 0x10 ? 2 : 4;
      const n = wide === 2 ? declared & 0xffff : declared;
      if (n <= tail.length) return;
      const head = Buffer.alloc(1 + wide);
      head[0] = marker;
      head.writeUIntBE(n, 1, wide);
      const r = guarded('decodeAmf0', () => decodeAmf0(Buffer.concat([head, tail])));
      if (marker === 0x08 || marker === 0x10) return; // counts that are hints / names: outcome depends on the tail
      check(!r.ok, `declared length ${n} with ${tail.length} bytes left was accepted`);
    },
  ),
  prop('amf3.random-bytes', 600, [fc.oneof(bytes(128), amf3Soup), fc.boolean()], (buf, small) => decodes3(buf, small ? SMALL : undefined)),
  prop('amf3.mutated-encoding', 500, [mutated(amf3Encoding), fc.boolean()], (buf, small) => decodes3(buf, small ? SMALL : undefined)),
  prop('amf3.roundtrip', 400, [fc.array(amf3Case, { minLength: 1, maxLength: 3 })], (cases) => {
    const out: number[] = [];
    for (const c of cases) encode3(c, out);
    const buf = Buffer.from(out);
    const want = cases.map(expected3);
    const dec = guarded('decodeAmf3', () => decodeAmf3(buf));
    check(dec.ok, () => `decodeAmf3 refused a valid encoding: ${dec.ok ? '' : dec.error.message}`);
    const d = amfDiff(want, dec.value);
    check(d === undefined, `AMF3 round trip differs: ${d}`);
    // The same values behind AMF0's AVM+ switch (0x11).
    const wrapped = Buffer.concat(cases.map((c) => {
      const o: number[] = [0x11];
      encode3(c, o);
      return Buffer.from(o);
    }));
    const dec0 = guarded('decodeAmf0', () => decodeAmf0(wrapped));
    check(dec0.ok, () => `decodeAmf0 refused AVM+ values: ${dec0.ok ? '' : dec0.error.message}`);
    const d0 = amfDiff(want, dec0.value);
    check(d0 === undefined, `AMF0 AVM+ round trip differs: ${d0}`);
  }),
  prop('amf0.command-decode', 400, [fc.oneof(mutated(scriptBody), scriptBody, cyclicBody), fc.constantFrom(20, 17, 18, 15)], (payload, typeId) => {
    const r = guarded('decodeCommand', () => decodeCommand({ csid: 3, typeId, timestamp: 0, streamId: 0, payload }));
    if (!r.ok) return check(r.error instanceof AmfError || r.error instanceof LimitError || r.error instanceof ProtocolError, `decodeCommand threw ${r.error.code}`);
    const info = guarded('statusInfo', () => statusInfo(r.value));
    check(info.ok, 'statusInfo threw');
    for (const v of r.value.args) {
      const d = guarded('describeAmf', () => describeAmf(v, 120));
      check(d.ok && d.value.length <= 120, 'describeAmf threw or exceeded maxLen');
    }
  }),
  prop('amf0.script-data-to-file-metadata', 200, [hostileScript], (payload) => {
    // What a recording does with a peer's onMetaData: parse leniently, then rebuild it for the file.
    const sd = guarded('parseScriptData', () => parseScriptData(payload));
    check(sd.ok, () => `parseScriptData threw ${sd.ok ? '' : sd.error.code} (documented never to throw)`);
    const meta = asObject(sd.value?.value);
    const built = guarded('buildMetadataForFile', () => buildMetadataForFile(meta));
    check(built.ok, () => `buildMetadataForFile refused metadata decoded from the wire: ${built.ok ? '' : built.error.message}`);
    const back = parseScriptData(built.value.payload);
    check(back?.name === ON_METADATA, 'rebuilt metadata does not parse back as onMetaData');
    check(built.value.payload.length <= 0xffffff, 'rebuilt metadata does not fit an FLV tag');
  }),
  prop('amf0.probe-json', 150, [hostileScript], (payload) => {
    // What `rtmp probe` does with a peer's onMetaData and command arguments.
    const sd = parseScriptData(payload);
    const json = guarded('amfToJson', () => JSON.stringify(amfToJson(sd?.value)));
    check(json.ok, 'amfToJson threw');
    check(json.value.length <= 64 * 1024 * 1024, `amfToJson rendered ${json.value.length} characters`);
  }),
  prop('amf0.probe-json-exact', 300, [amf0Values], (values) => {
    // Bounding amfToJson must not change what it renders for ordinary (tree-shaped) values.
    for (const v of values) {
      const a = JSON.stringify(amfToJson(v));
      const b = JSON.stringify(plainJson(v));
      check(a === b, () => `amfToJson changed: ${a.slice(0, 200)} != ${b.slice(0, 200)}`);
    }
  }),
];
