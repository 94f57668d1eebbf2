/**
 * The value model shared by the AMF0 and AMF3 codecs.
 *
 * AMF values map onto plain JavaScript values. The two AMF object flavours
 * that plain objects cannot express (AMF0 ECMA array 0x08 and typed objects
 * 0x10 / AMF3 sealed classes) are recorded as non-enumerable symbol-keyed
 * markers, so that `Object.keys`, `JSON.stringify` and spreading see only the
 * properties, while the encoder can still round-trip the original type.
 */

import { AmfError, LimitError } from '../errors.js';
import type { ShortReadError } from '../bytes/byte-reader.js';

/** Any value the AMF codecs decode or encode. */
export type AmfValue =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Uint8Array
  | AmfValue[]
  | AmfObject;

/** An AMF object: string keys to AMF values (plain, ECMA array or typed). */
export interface AmfObject {
  [key: string]: AmfValue;
}

/** Marker property: `true` on an object that is (or should be encoded as) an AMF0 ECMA array. */
export const ECMA_ARRAY: unique symbol = Symbol.for('rtmp-toolkit.amf.ecmaArray');

/** Marker property: the class name of a typed object (AMF0 0x10, AMF3 sealed class). */
export const CLASS_NAME: unique symbol = Symbol.for('rtmp-toolkit.amf.className');

/** True for a plain object (prototype `Object.prototype` or `null`): not an array, Date, byte array or null. */
export function isAmfObject(v: unknown): v is AmfObject {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Set `obj[key] = value` as an ordinary own data property, even for keys such
 * as `__proto__` whose plain assignment would change the prototype instead.
 */
export function setOwn(obj: AmfObject, key: string, value: AmfValue): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

function mark(obj: AmfObject, sym: symbol, value: unknown): AmfObject {
  Object.defineProperty(obj, sym, { value, writable: false, enumerable: false, configurable: true });
  return obj;
}

/** Copy `props` into a fresh object marked as an AMF0 ECMA array (0x08). */
export function ecmaArray(props: AmfObject = {}): AmfObject {
  const out: AmfObject = {};
  for (const key of Object.keys(props)) setOwn(out, key, props[key]);
  return markEcmaArray(out);
}

/** Copy `props` into a fresh object marked with `className` (AMF0 typed object 0x10). */
export function typedObject(className: string, props: AmfObject = {}): AmfObject {
  const out: AmfObject = {};
  for (const key of Object.keys(props)) setOwn(out, key, props[key]);
  return markClassName(out, className);
}

/** Mark an existing object in place as an ECMA array; used by the decoders. */
export function markEcmaArray(obj: AmfObject): AmfObject {
  return mark(obj, ECMA_ARRAY, true);
}

/** Mark an existing object in place with a class name; used by the decoders. */
export function markClassName(obj: AmfObject, className: string): AmfObject {
  return mark(obj, CLASS_NAME, className);
}

/** True when `v` is an object carrying the ECMA array marker. */
export function isEcmaArray(v: unknown): boolean {
  return isAmfObject(v) && (v as { [ECMA_ARRAY]?: unknown })[ECMA_ARRAY] === true;
}

/** The class name of a typed object, or `undefined` for anything else. */
export function classNameOf(v: unknown): string | undefined {
  if (!isAmfObject(v)) return undefined;
  const name = (v as { [CLASS_NAME]?: unknown })[CLASS_NAME];
  return typeof name === 'string' ? name : undefined;
}

/**
 * Short-read factory for `ByteReader`s over AMF data: running past the end of
 * an AMF buffer is malformed AMF, so it raises `AmfError` naming the offset.
 */
export const amfShortRead: ShortReadError = (what, needed, offset, available) =>
  new AmfError(`truncated ${what}: needed ${needed} bytes at offset ${offset}, ${available} available`);

/**
 * Rethrow typed AMF and limit errors unchanged; wrap anything else (a short
 * read from a reader built with another factory, an unexpected bug) in an
 * `AmfError` so callers only ever see the typed hierarchy.
 */
export function asAmfError(e: unknown, offset: number): AmfError | LimitError {
  if (e instanceof AmfError || e instanceof LimitError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new AmfError(`malformed AMF value starting at offset ${offset}: ${msg}`, { cause: e });
}
