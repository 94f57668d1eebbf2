/**
 * Shape helpers for the command layer. Command arguments come from the peer
 * and may have any shape; these read them without indexing and hoping, and
 * turn a wrong shape into `undefined` or a `ProtocolError` naming the field.
 */

import { ProtocolError } from '../errors.js';
import { classNameOf, isAmfObject, isEcmaArray, type AmfObject, type AmfValue } from './value.js';

/** `v` when it is an object (plain, ECMA array or typed), else `undefined`. */
export function asObject(v: AmfValue | undefined): AmfObject | undefined {
  return isAmfObject(v) ? v : undefined;
}

/** An own property of `o` (never one inherited from `Object.prototype`). */
function own(o: AmfObject | undefined, key: string): AmfValue {
  return o !== undefined && Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

/** `o[key]` when it is a string, else `undefined`. */
export function getString(o: AmfObject | undefined, key: string): string | undefined {
  const v = own(o, key);
  return typeof v === 'string' ? v : undefined;
}

/** `o[key]` when it is a number, else `undefined`. */
export function getNumber(o: AmfObject | undefined, key: string): number | undefined {
  const v = own(o, key);
  return typeof v === 'number' ? v : undefined;
}

/** `o[key]` when it is a boolean, else `undefined`. */
export function getBoolean(o: AmfObject | undefined, key: string): boolean | undefined {
  const v = own(o, key);
  return typeof v === 'boolean' ? v : undefined;
}

/** `v` if it is a string; otherwise a `ProtocolError` naming `what` and showing what came instead. */
export function expectString(v: AmfValue | undefined, what: string): string {
  if (typeof v === 'string') return v;
  throw new ProtocolError(`expected ${what} to be a string, got ${describeAmf(v, 80)}`);
}

/** `v` if it is a number; otherwise a `ProtocolError` naming `what` and showing what came instead. */
export function expectNumber(v: AmfValue | undefined, what: string): number {
  if (typeof v === 'number') return v;
  throw new ProtocolError(`expected ${what} to be a number, got ${describeAmf(v, 80)}`);
}

/** Containers nested deeper than this render as `{…}` / `[…]`. */
const MAX_DESCRIBE_DEPTH = 6;

/**
 * A compact one-line rendering for traces, e.g.
 * `{code:'NetStream.Publish.Start', level:'status'}`; ECMA arrays render as
 * `ecma{…}`, typed objects as `ClassName{…}`, cycles as `[Circular]`. The
 * walk stops once `maxLen` characters are produced, and the result is cut
 * to `maxLen` with a trailing `…`.
 */
export function describeAmf(v: AmfValue, maxLen = 200): string {
  const out: string[] = [];
  let len = 0;
  const full = (): boolean => len > maxLen;
  const put = (s: string): void => {
    out.push(s);
    len += s.length;
  };
  const seen: object[] = [];

  const walk = (x: AmfValue, depth: number): void => {
    if (full()) return;
    if (typeof x === 'string') return put(quote(x, maxLen));
    if (typeof x !== 'object' || x === null) return put(String(x));
    if (x instanceof Date) return put(Number.isNaN(x.getTime()) ? 'Date(invalid)' : `Date(${x.toISOString()})`);
    if (x instanceof Uint8Array) return put(`<${x.byteLength} bytes>`);
    if (seen.includes(x)) return put('[Circular]');
    const isArr = Array.isArray(x);
    const prefix = isArr ? '' : isEcmaArray(x) ? 'ecma' : (classNameOf(x) ?? '');
    if (depth >= MAX_DESCRIBE_DEPTH) return put(isArr ? '[…]' : `${prefix}{…}`);
    seen.push(x);
    put(isArr ? '[' : `${prefix}{`);
    const keys = isArr ? [] : Object.keys(x);
    const n = isArr ? x.length : keys.length;
    for (let i = 0; i < n && !full(); i++) {
      if (i > 0) put(', ');
      if (isArr) {
        walk(x[i], depth + 1);
      } else {
        const key = keys[i]!;
        put(`${/^[A-Za-z_$][\w$]*$/.test(key) ? key : quote(key, maxLen)}:`);
        walk((x as AmfObject)[key], depth + 1);
      }
    }
    put(isArr ? ']' : '}');
    seen.pop();
  };

  walk(v, 0);
  const s = out.join('');
  return s.length <= maxLen ? s : `${s.slice(0, Math.max(0, maxLen - 1))}…`;
}

/** Single-quoted, with quotes, backslashes and control characters escaped; long strings cut early. */
function quote(s: string, maxLen: number): string {
  const cut = s.length > maxLen ? s.slice(0, maxLen) : s;
  return `'${cut.replace(/[\\'\u0000-\u001f\u007f]/g, (c) => (c === '\\' || c === "'" ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))}'`;
}
