/**
 * AMF3 decoder (Adobe "AMF 3 Specification", January 2013).
 *
 * RTMP peers send AMF3 inside AMF0 after the AVM+ switch marker (0x11) and in
 * the AMF3 command/data message types. Strings, complex values and traits are
 * sent once and later referred to by index, so decoding keeps three reference
 * tables in an `Amf3Context` that lives for one message.
 */

import { ByteReader } from '../bytes/byte-reader.js';
import { AmfError, LimitError } from '../errors.js';
import { resolveLimits, type Limits } from '../limits.js';
import {
  amfShortRead,
  asAmfError,
  markClassName,
  markEcmaArray,
  setOwn,
  type AmfObject,
  type AmfValue,
} from './value.js';

/** AMF3 type markers (spec section 3.1). */
export const Amf3Marker = {
  undefined: 0x00,
  null: 0x01,
  false: 0x02,
  true: 0x03,
  integer: 0x04,
  double: 0x05,
  string: 0x06,
  xmlDoc: 0x07,
  date: 0x08,
  array: 0x09,
  object: 0x0a,
  xml: 0x0b,
  byteArray: 0x0c,
  vectorInt: 0x0d,
  vectorUint: 0x0e,
  vectorDouble: 0x0f,
  vectorObject: 0x10,
  dictionary: 0x11,
} as const;

/** Traits of an object: its class, sealed member names and flags (spec 3.12). */
export interface Amf3Traits {
  className: string;
  dynamic: boolean;
  externalizable: boolean;
  sealed: string[];
}

/** The three reference tables of one AMF3 message. */
export interface Amf3Context {
  strings: string[];
  objects: AmfValue[];
  traits: Amf3Traits[];
}

/** A fresh, empty set of reference tables. */
export function createAmf3Context(): Amf3Context {
  return { strings: [], objects: [], traits: [] };
}

/**
 * Externalizable classes whose body is known to be exactly one AMF3 value
 * (Flex's collection wrappers); any other externalizable class has an opaque,
 * unsized body and cannot be skipped safely.
 */
const WRAPPER_CLASSES = new Set([
  'flex.messaging.io.ArrayCollection',
  'flex.messaging.io.ArrayList',
  'flex.messaging.io.ObjectProxy',
]);

/**
 * Decode one AMF3 value at the reader's position. `ctx` carries the reference
 * tables (share one per message); `depth` is the nesting depth already used by
 * an enclosing AMF0 value. Throws `AmfError` on malformed input and
 * `LimitError` when `maxAmfDepth` or `maxAmfCollection` is exceeded.
 */
export function decodeAmf3Value(
  reader: ByteReader,
  limits: Limits,
  ctx: Amf3Context = createAmf3Context(),
  depth = 0,
): AmfValue {
  const start = reader.offset;
  try {
    return new Amf3Reader(reader, limits, ctx).value(depth);
  } catch (e) {
    throw asAmfError(e, start);
  }
}

/** Decode every AMF3 value in `buf` with one shared context. */
export function decodeAmf3(buf: Buffer, limits?: Partial<Limits>): AmfValue[] {
  const reader = new ByteReader(buf, amfShortRead);
  const lim = resolveLimits(limits);
  const ctx = createAmf3Context();
  const out: AmfValue[] = [];
  while (reader.remaining > 0) out.push(decodeAmf3Value(reader, lim, ctx));
  return out;
}

class Amf3Reader {
  constructor(
    private readonly r: ByteReader,
    private readonly limits: Limits,
    private readonly ctx: Amf3Context,
  ) {}

  value(depth: number): AmfValue {
    const at = this.r.offset;
    const marker = this.r.u8('AMF3 type marker');
    switch (marker) {
      case Amf3Marker.undefined:
        return undefined;
      case Amf3Marker.null:
        return null;
      case Amf3Marker.false:
        return false;
      case Amf3Marker.true:
        return true;
      case Amf3Marker.integer:
        // 29-bit two's complement: shift the sign bit up to bit 31 and back.
        return (this.u29() << 3) >> 3;
      case Amf3Marker.double:
        return this.r.f64('AMF3 double');
      case Amf3Marker.string:
        return this.string();
      case Amf3Marker.xmlDoc:
      case Amf3Marker.xml:
        return this.xml();
      case Amf3Marker.date:
        return this.date();
      case Amf3Marker.array:
        return this.array(this.enter(depth));
      case Amf3Marker.object:
        return this.object(this.enter(depth));
      case Amf3Marker.byteArray:
        return this.byteArray();
      case Amf3Marker.vectorInt:
      case Amf3Marker.vectorUint:
      case Amf3Marker.vectorDouble:
      case Amf3Marker.vectorObject:
        return this.vector(marker, this.enter(depth));
      case Amf3Marker.dictionary:
        return this.dictionary(this.enter(depth));
      default:
        throw new AmfError(`unknown AMF3 type marker 0x${hex2(marker)} at offset ${at}`);
    }
  }

  /** Variable-length unsigned 29-bit integer (spec 1.3.1): 7 bits per byte, the 4th byte gives 8. */
  private u29(): number {
    let v = 0;
    for (let i = 0; i < 3; i++) {
      const b = this.r.u8('AMF3 U29');
      if ((b & 0x80) === 0) return (v << 7) | b;
      v = (v << 7) | (b & 0x7f);
    }
    return (v << 8) | this.r.u8('AMF3 U29');
  }

  private enter(depth: number): number {
    const d = depth + 1;
    if (d > this.limits.maxAmfDepth) throw new LimitError('maxAmfDepth', d, this.limits.maxAmfDepth, 'AMF3 nesting depth');
    return d;
  }

  /** Check a count read from the wire against the limit and the bytes left (each item needs `minBytes`). */
  private count(n: number, minBytes: number, what: string): number {
    if (n > this.limits.maxAmfCollection) throw new LimitError('maxAmfCollection', n, this.limits.maxAmfCollection, what);
    if (n * minBytes > this.r.remaining) {
      throw new AmfError(`${what} of ${n} needs at least ${n * minBytes} bytes at offset ${this.r.offset}, ${this.r.remaining} left`);
    }
    return n;
  }

  private remember<T>(table: T[], item: T, what: string): number {
    if (table.length >= this.limits.maxAmfCollection) {
      throw new LimitError('maxAmfCollection', table.length + 1, this.limits.maxAmfCollection, what);
    }
    return table.push(item) - 1;
  }

  private ref<T>(table: T[], index: number, what: string, at: number): T {
    if (index >= table.length) throw new AmfError(`AMF3 ${what} reference #${index} at offset ${at} is not defined (${table.length} known)`);
    return table[index]!;
  }

  /** UTF-8-vr (spec 1.3.2): a reference or an inline string; empty strings are never referenced. */
  private string(): string {
    const at = this.r.offset;
    const header = this.u29();
    if ((header & 1) === 0) return this.ref(this.ctx.strings, header >>> 1, 'string', at);
    const s = this.r.bytes(header >>> 1, 'AMF3 string').toString('utf8');
    if (s.length > 0) this.remember(this.ctx.strings, s, 'AMF3 string reference table');
    return s;
  }

  /** Header of a complex value: `{ ref }` for a reference, else `{ n }` (the remaining 28 bits). */
  private header(): { ref: AmfValue; n?: undefined } | { ref?: undefined; n: number } {
    const at = this.r.offset;
    const h = this.u29();
    if ((h & 1) === 0) return { ref: this.ref(this.ctx.objects, h >>> 1, 'object', at) };
    return { n: h >>> 1 };
  }

  private xml(): AmfValue {
    const h = this.header();
    if (h.n === undefined) return h.ref;
    const s = this.r.bytes(h.n, 'AMF3 XML').toString('utf8');
    this.remember(this.ctx.objects, s, 'AMF3 object reference table');
    return s;
  }

  private date(): AmfValue {
    const h = this.header();
    if (h.n === undefined) return h.ref;
    const d = new Date(this.r.f64('AMF3 date'));
    this.remember(this.ctx.objects, d, 'AMF3 object reference table');
    return d;
  }

  private byteArray(): AmfValue {
    const h = this.header();
    if (h.n === undefined) return h.ref;
    const b = this.r.bytes(h.n, 'AMF3 ByteArray');
    const view = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    this.remember(this.ctx.objects, view, 'AMF3 object reference table');
    return view;
  }

  /**
   * Array (spec 3.11): associative part first (name/value pairs up to an empty
   * name), then `n` dense values. With no associative part this is a JS array;
   * otherwise an ECMA-array-marked object holding both, dense keys as "0", "1"...
   */
  private array(depth: number): AmfValue {
    const h = this.header();
    if (h.n === undefined) return h.ref;
    const dense = h.n;
    const slot = this.remember(this.ctx.objects, null, 'AMF3 object reference table');
    let key = this.string();
    if (key === '') {
      const arr: AmfValue[] = [];
      this.ctx.objects[slot] = arr;
      this.count(dense, 1, 'AMF3 dense array length');
      for (let i = 0; i < dense; i++) arr.push(this.value(depth));
      return arr;
    }
    const obj = markEcmaArray({});
    this.ctx.objects[slot] = obj;
    let entries = 0;
    while (key !== '') {
      this.count(++entries + dense, 0, 'AMF3 array entries');
      setOwn(obj, key, this.value(depth));
      key = this.string();
    }
    this.count(dense, 1, 'AMF3 dense array length');
    for (let i = 0; i < dense; i++) setOwn(obj, String(i), this.value(depth));
    return obj;
  }

  /** Object (spec 3.12): traits inline, by reference or externalizable; sealed then dynamic members. */
  private object(depth: number): AmfValue {
    const at = this.r.offset;
    const h = this.u29();
    if ((h & 1) === 0) return this.ref(this.ctx.objects, h >>> 1, 'object', at);
    const traits = this.traits(h, at);
    const obj: AmfObject = {};
    if (traits.className !== '') markClassName(obj, traits.className);
    const slot = this.remember<AmfValue>(this.ctx.objects, obj, 'AMF3 object reference table');
    if (traits.externalizable) {
      if (!WRAPPER_CLASSES.has(traits.className)) {
        throw new AmfError(`AMF3 externalizable class '${traits.className}' at offset ${at} has an opaque body and cannot be decoded`);
      }
      const inner = this.value(depth);
      this.ctx.objects[slot] = inner;
      return inner;
    }
    this.count(traits.sealed.length, 1, 'AMF3 sealed member count');
    for (const name of traits.sealed) setOwn(obj, name, this.value(depth));
    if (traits.dynamic) {
      let members = traits.sealed.length;
      for (let key = this.string(); key !== ''; key = this.string()) {
        this.count(++members, 0, 'AMF3 object members');
        setOwn(obj, key, this.value(depth));
      }
    }
    return obj;
  }

  private traits(h: number, at: number): Amf3Traits {
    if ((h & 2) === 0) return this.ref(this.ctx.traits, h >>> 2, 'traits', at);
    let traits: Amf3Traits;
    if ((h & 4) !== 0) {
      traits = { className: this.string(), dynamic: false, externalizable: true, sealed: [] };
    } else {
      const dynamic = (h & 8) !== 0;
      const n = this.count(h >>> 4, 1, 'AMF3 sealed member count');
      const className = this.string();
      const sealed: string[] = [];
      for (let i = 0; i < n; i++) sealed.push(this.string());
      traits = { className, dynamic, externalizable: false, sealed };
    }
    this.remember(this.ctx.traits, traits, 'AMF3 traits reference table');
    return traits;
  }

  /** Vector (spec 3.15): count, fixed-length flag, then fixed-width numbers or typed values. */
  private vector(marker: number, depth: number): AmfValue {
    const h = this.header();
    if (h.n === undefined) return h.ref;
    this.r.u8('AMF3 vector fixed flag');
    const out: AmfValue[] = [];
    this.remember<AmfValue>(this.ctx.objects, out, 'AMF3 object reference table');
    if (marker === Amf3Marker.vectorObject) {
      this.string(); // element type name, e.g. "String"; not needed to decode
      this.count(h.n, 1, 'AMF3 object vector length');
      for (let i = 0; i < h.n; i++) out.push(this.value(depth));
      return out;
    }
    const width = marker === Amf3Marker.vectorDouble ? 8 : 4;
    this.count(h.n, width, 'AMF3 vector length');
    for (let i = 0; i < h.n; i++) {
      if (marker === Amf3Marker.vectorInt) out.push(this.r.u32('AMF3 vector int') | 0);
      else if (marker === Amf3Marker.vectorUint) out.push(this.r.u32('AMF3 vector uint'));
      else out.push(this.r.f64('AMF3 vector double'));
    }
    return out;
  }

  /** Dictionary (spec 3.16): keys may be any value; they become strings here. */
  private dictionary(depth: number): AmfValue {
    const h = this.header();
    if (h.n === undefined) return h.ref;
    this.r.u8('AMF3 dictionary weak-keys flag');
    const obj: AmfObject = {};
    this.remember<AmfValue>(this.ctx.objects, obj, 'AMF3 object reference table');
    this.count(h.n, 2, 'AMF3 dictionary size');
    for (let i = 0; i < h.n; i++) {
      const key = keyString(this.value(depth));
      setOwn(obj, key, this.value(depth));
    }
    return obj;
  }
}

/** A dictionary key as a property name; never calls a user-controlled toString. */
function keyString(k: AmfValue): string {
  if (typeof k === 'string') return k;
  if (k === null || typeof k !== 'object') return String(k);
  if (k instanceof Date) return Number.isNaN(k.getTime()) ? 'Invalid Date' : k.toISOString();
  if (k instanceof Uint8Array) return '[ByteArray]';
  return Array.isArray(k) ? '[Array]' : '[Object]';
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
