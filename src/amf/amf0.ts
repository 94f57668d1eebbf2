/**
 * AMF0 encoder and decoder (Adobe "Action Message Format -- AMF 0", 2007).
 *
 * RTMP commands (message type 20) and data messages (type 18, onMetaData)
 * are sequences of AMF0 values. Decoding is whole-buffer over a bounds-checked
 * cursor; every count and length from the wire is checked against the limits
 * and the bytes actually present before anything is allocated.
 */

import { ByteReader } from '../bytes/byte-reader.js';
import { ByteWriter } from '../bytes/byte-writer.js';
import { AmfError, LimitError } from '../errors.js';
import { resolveLimits, type Limits } from '../limits.js';
import { createAmf3Context, decodeAmf3Value, type Amf3Context } from './amf3.js';
import {
  amfShortRead,
  asAmfError,
  classNameOf,
  isAmfObject,
  isEcmaArray,
  markClassName,
  markEcmaArray,
  setOwn,
  type AmfObject,
  type AmfValue,
} from './value.js';

/** AMF0 type markers (spec section 2.1). */
export const Amf0Marker = {
  number: 0x00,
  boolean: 0x01,
  string: 0x02,
  object: 0x03,
  movieclip: 0x04,
  null: 0x05,
  undefined: 0x06,
  reference: 0x07,
  ecmaArray: 0x08,
  objectEnd: 0x09,
  strictArray: 0x0a,
  date: 0x0b,
  longString: 0x0c,
  unsupported: 0x0d,
  recordset: 0x0e,
  xmlDocument: 0x0f,
  typedObject: 0x10,
  avmplus: 0x11,
} as const;

/** Deepest value the encoder walks; guards against runaway recursion on our own input. */
const MAX_ENCODE_DEPTH = 256;

/** Encode `values` one after another, as an RTMP command or data message body. */
export function encodeAmf0(...values: AmfValue[]): Buffer {
  const w = new ByteWriter();
  for (const v of values) writeAmf0Value(w, v);
  return w.finish();
}

/**
 * Append one AMF0 value. Arrays become strict arrays, objects marked with
 * `ECMA_ARRAY` ECMA arrays, objects with a `CLASS_NAME` typed objects. Throws
 * `AmfError` for values AMF0 cannot carry (byte arrays, functions, cycles).
 */
export function writeAmf0Value(w: ByteWriter, v: AmfValue): void {
  writeValue(w, v, []);
}

function writeValue(w: ByteWriter, v: AmfValue, parents: object[]): void {
  if (typeof v === 'number') {
    w.u8(Amf0Marker.number).f64(v);
  } else if (typeof v === 'boolean') {
    w.u8(Amf0Marker.boolean).u8(v ? 1 : 0);
  } else if (typeof v === 'string') {
    const n = Buffer.byteLength(v, 'utf8');
    if (n > 0xffff) w.u8(Amf0Marker.longString).u32(n);
    else w.u8(Amf0Marker.string).u16(n);
    w.utf8(v);
  } else if (v === null) {
    w.u8(Amf0Marker.null);
  } else if (v === undefined) {
    w.u8(Amf0Marker.undefined);
  } else if (v instanceof Date) {
    // Time zone is "reserved, not supported; should be set to 0x0000" (spec 2.13).
    w.u8(Amf0Marker.date).f64(v.getTime()).i16(0);
  } else if (Array.isArray(v)) {
    enterEncode(v, parents);
    w.u8(Amf0Marker.strictArray).u32(v.length);
    for (let i = 0; i < v.length; i++) writeValue(w, v[i], parents);
    parents.pop();
  } else if (isAmfObject(v)) {
    enterEncode(v, parents);
    const keys = Object.keys(v);
    const className = classNameOf(v);
    if (isEcmaArray(v)) {
      w.u8(Amf0Marker.ecmaArray).u32(keys.length);
    } else if (className !== undefined) {
      w.u8(Amf0Marker.typedObject);
      writeName(w, className, 'class name');
    } else {
      w.u8(Amf0Marker.object);
    }
    for (const key of keys) {
      if (key === '') throw new AmfError('an empty property name cannot be encoded in AMF0 (it reads as the object end)');
      writeName(w, key, 'property name');
      writeValue(w, v[key], parents);
    }
    w.u16(0).u8(Amf0Marker.objectEnd);
    parents.pop();
  } else {
    throw new AmfError(`cannot encode ${describeType(v)} as AMF0 (no AMF0 type carries it)`);
  }
}

function enterEncode(v: object, parents: object[]): void {
  if (parents.includes(v)) throw new AmfError('cannot encode a cyclic value as AMF0');
  if (parents.length >= MAX_ENCODE_DEPTH) throw new AmfError(`cannot encode AMF0 values nested deeper than ${MAX_ENCODE_DEPTH}`);
  parents.push(v);
}

/** UTF-8 with a 16-bit length (property names and class names). */
function writeName(w: ByteWriter, s: string, what: string): void {
  const n = Buffer.byteLength(s, 'utf8');
  if (n > 0xffff) throw new AmfError(`AMF0 ${what} of ${n} bytes exceeds 65535`);
  w.u16(n).utf8(s);
}

/** What encoding a value takes: bytes, and complex values (each one a reference table entry for the reader). */
export interface Amf0Size {
  bytes: number;
  containers: number;
}

/**
 * What `writeAmf0Value(v)` would write, or undefined when it would throw (a
 * byte array, a cycle, an empty or over-long name, nesting past the encoder's
 * depth) or exceed `max` in bytes or containers. Decoded values may share
 * containers through references (AMF0 0x07, AMF3 object references), and
 * encoding expands every share, so a few hundred bytes from a peer can encode
 * to gigabytes; code that re-encodes peer data measures it first. Stops as
 * soon as `max` is passed, so the cost is bounded by `max`, not by the expansion.
 */
export function measureAmf0(v: AmfValue, max: Amf0Size): Amf0Size | undefined {
  const size: Amf0Size = { bytes: 0, containers: 0 };
  const parents: object[] = [];
  const add = (n: number): boolean => (size.bytes += n) <= max.bytes;
  const name = (s: string): boolean => {
    const n = Buffer.byteLength(s, 'utf8');
    return n <= 0xffff && add(2 + n);
  };
  const walk = (x: AmfValue): boolean => {
    if (typeof x === 'number') return add(9);
    if (typeof x === 'boolean') return add(2);
    if (typeof x === 'string') {
      const n = Buffer.byteLength(x, 'utf8');
      return add((n > 0xffff ? 5 : 3) + n);
    }
    if (x === null || x === undefined) return add(1);
    if (x instanceof Date) return add(11);
    if (!Array.isArray(x) && !isAmfObject(x)) return false;
    if (parents.includes(x) || parents.length >= MAX_ENCODE_DEPTH) return false;
    if (++size.containers > max.containers) return false;
    parents.push(x);
    if (Array.isArray(x)) {
      if (!add(5)) return false;
      for (let i = 0; i < x.length; i++) if (!walk(x[i])) return false;
    } else {
      const className = classNameOf(x);
      if (isEcmaArray(x)) {
        if (!add(5)) return false;
      } else if (className !== undefined) {
        if (!add(1) || !name(className)) return false;
      } else if (!add(1)) {
        return false;
      }
      for (const key of Object.keys(x)) {
        if (key === '' || !name(key) || !walk(x[key])) return false;
      }
      if (!add(3)) return false;
    }
    parents.pop();
    return true;
  };
  return walk(v) ? size : undefined;
}

function describeType(v: unknown): string {
  if (v instanceof Uint8Array) return 'a byte array';
  if (typeof v === 'object' && v !== null) return `an object of class ${v.constructor?.name ?? 'unknown'}`;
  return `a value of type ${typeof v}`;
}

/** Decode every AMF0 value in `buf`, in order. */
export function decodeAmf0(buf: Buffer, limits?: Partial<Limits>): AmfValue[] {
  const d = new Amf0Decoder(new ByteReader(buf, amfShortRead), limits);
  const out: AmfValue[] = [];
  while (!d.done) out.push(d.readValue());
  return out;
}

/**
 * Reads AMF0 values one at a time from a shared reader. One instance is one
 * message: the reference table (0x07) and the AMF3 tables used after an AVM+
 * switch (0x11) live as long as the decoder.
 */
export class Amf0Decoder {
  private readonly r: ByteReader;
  private readonly limits: Limits;
  private readonly refs: AmfValue[] = [];
  private amf3: Amf3Context | undefined;

  constructor(reader: ByteReader, limits?: Partial<Limits>) {
    this.r = reader;
    this.limits = resolveLimits(limits);
  }

  /** True when the reader has no bytes left. */
  get done(): boolean {
    return this.r.remaining <= 0;
  }

  /** Decode the next value; throws `AmfError` or `LimitError`, never anything else. */
  readValue(): AmfValue {
    const start = this.r.offset;
    try {
      return this.value(0);
    } catch (e) {
      throw asAmfError(e, start);
    }
  }

  private value(depth: number): AmfValue {
    const r = this.r;
    const at = r.offset;
    const marker = r.u8('AMF0 type marker');
    switch (marker) {
      case Amf0Marker.number:
        return r.f64('AMF0 number');
      case Amf0Marker.boolean:
        return r.u8('AMF0 boolean') !== 0;
      case Amf0Marker.string:
        return r.bytes(r.u16('AMF0 string length'), 'AMF0 string').toString('utf8');
      case Amf0Marker.longString:
        return r.bytes(r.u32('AMF0 long string length'), 'AMF0 long string').toString('utf8');
      case Amf0Marker.xmlDocument:
        return r.bytes(r.u32('AMF0 XML length'), 'AMF0 XML document').toString('utf8');
      case Amf0Marker.null:
        return null;
      case Amf0Marker.undefined:
      case Amf0Marker.unsupported:
        return undefined;
      case Amf0Marker.date: {
        const ms = r.f64('AMF0 date');
        r.i16('AMF0 date time zone');
        return new Date(ms);
      }
      case Amf0Marker.object:
        return this.properties(this.container({}), this.enter(depth), false);
      case Amf0Marker.typedObject: {
        const d = this.enter(depth);
        const name = r.bytes(r.u16('AMF0 class name length'), 'AMF0 class name').toString('utf8');
        return this.properties(this.container(markClassName({}, name)), d, false);
      }
      case Amf0Marker.ecmaArray: {
        const d = this.enter(depth);
        // The count is only a hint: encoders write 0 or stale counts, so the
        // entries run to the object end, and ffmpeg reads them the same way.
        r.u32('AMF0 ECMA array count');
        return this.properties(this.container(markEcmaArray({})), d, true);
      }
      case Amf0Marker.strictArray:
        return this.strictArray(this.enter(depth));
      case Amf0Marker.reference: {
        const index = r.u16('AMF0 reference');
        if (index >= this.refs.length) {
          throw new AmfError(`AMF0 reference #${index} at offset ${at} is not defined (${this.refs.length} known)`);
        }
        return this.refs[index];
      }
      case Amf0Marker.avmplus:
        this.amf3 ??= createAmf3Context();
        return decodeAmf3Value(r, this.limits, this.amf3, depth);
      case Amf0Marker.objectEnd:
        throw new AmfError(`AMF0 object end marker 0x09 outside an object at offset ${at}`);
      case Amf0Marker.movieclip:
      case Amf0Marker.recordset:
        throw new AmfError(`unsupported AMF0 type marker 0x${hex2(marker)} at offset ${at}`);
      default:
        throw new AmfError(`unknown AMF0 type marker 0x${hex2(marker)} at offset ${at}`);
    }
  }

  private enter(depth: number): number {
    const d = depth + 1;
    if (d > this.limits.maxAmfDepth) throw new LimitError('maxAmfDepth', d, this.limits.maxAmfDepth, 'AMF0 nesting depth');
    return d;
  }

  /** Add a complex value to the reference table before its members, so members may refer back to it. */
  private container<T extends AmfValue>(v: T): T {
    if (this.refs.length >= this.limits.maxAmfCollection) {
      throw new LimitError('maxAmfCollection', this.refs.length + 1, this.limits.maxAmfCollection, 'AMF0 reference table');
    }
    this.refs.push(v);
    return v;
  }

  /**
   * Name/value pairs up to the empty name + 0x09 end marker. With
   * `openEnded` (ECMA arrays), running out of bytes exactly between two
   * entries also ends the list: some encoders omit the terminator of the
   * last onMetaData array.
   */
  private properties(obj: AmfObject, depth: number, openEnded: boolean): AmfObject {
    const r = this.r;
    let entries = 0;
    for (;;) {
      if (openEnded && r.remaining === 0) return obj;
      const len = r.u16('AMF0 property name length');
      if (len === 0) {
        const at = r.offset;
        const end = r.u8('AMF0 object end marker');
        if (end !== Amf0Marker.objectEnd) {
          throw new AmfError(`expected AMF0 object end marker 0x09 after an empty property name at offset ${at}, found 0x${hex2(end)}`);
        }
        return obj;
      }
      const key = r.bytes(len, 'AMF0 property name').toString('utf8');
      if (++entries > this.limits.maxAmfCollection) {
        throw new LimitError('maxAmfCollection', entries, this.limits.maxAmfCollection, 'AMF0 object properties');
      }
      setOwn(obj, key, this.value(depth));
    }
  }

  private strictArray(depth: number): AmfValue[] {
    const r = this.r;
    const at = r.offset;
    const n = r.u32('AMF0 strict array length');
    if (n > this.limits.maxAmfCollection) {
      throw new LimitError('maxAmfCollection', n, this.limits.maxAmfCollection, 'AMF0 strict array length');
    }
    // Every element takes at least its one-byte marker.
    if (n > r.remaining) {
      throw new AmfError(`AMF0 strict array length ${n} at offset ${at} exceeds the ${r.remaining} bytes left`);
    }
    const arr = this.container<AmfValue[]>([]);
    for (let i = 0; i < n; i++) arr.push(this.value(depth));
    return arr;
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
