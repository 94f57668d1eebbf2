/**
 * librtmp's `conn=` syntax (rtmpdump --conn) for extra AMF arguments of
 * `connect`, one item per option:
 *
 *   B:1  N:3.5  S:text  Z:            a boolean, number, string, null
 *   O:1 ... O:0                       an object: opened by O:1, closed by O:0
 *   NB:name:1  NN:name:3.5  NS:name:value  NZ:name:  NO:name:1
 *                                     named members, only inside an object
 *
 * The value is everything after the type's colon (a string may contain
 * colons). Items are appended to connect after the command object.
 */
import type { AmfObject, AmfValue } from '../amf/value.js';
import { setOwn } from '../amf/value.js';
import { UsageError } from '../errors.js';

const TYPES = 'B, N, S, O or Z';

/** Parses the items in order into the values they encode; a bad item is a UsageError naming it. */
export function parseConnArgs(items: readonly string[]): AmfValue[] {
  const top: AmfValue[] = [];
  /** The objects open now, innermost last. */
  const open: AmfObject[] = [];
  items.forEach((item, i) => {
    const fail = (why: string): never => {
      throw new UsageError(`--conn item ${i + 1} '${item}': ${why}`);
    };
    let type: string;
    let name: string | undefined;
    let value: string;
    if (item.length >= 2 && item[1] === ':') {
      type = item[0]!;
      value = item.slice(2);
    } else if (item[0] === 'N' && item.length >= 3 && item[2] === ':') {
      type = item[1]!;
      const rest = item.slice(3);
      const colon = rest.indexOf(':');
      if (colon < 0) fail(`a named item is N<type>:<name>:<value>`);
      name = rest.slice(0, colon);
      value = rest.slice(colon + 1);
      if (name === '') fail('the member name is empty');
    } else {
      return fail(`expected <type>:<value> or N<type>:<name>:<value>, with type ${TYPES}`);
    }
    const inner = open[open.length - 1];
    if (type === 'O' && value === '0' && name === undefined) {
      if (!inner) fail('O:0 closes an object, but none is open');
      open.pop();
      return;
    }
    if (name === undefined && inner) fail('inside an object every member needs a name (NB:, NN:, NS:, NO:, NZ:)');
    if (name !== undefined && !inner) fail('a named member must be inside an object (open one with O:1)');
    let v: AmfValue;
    switch (type) {
      case 'B':
        if (value === '1' || value.toLowerCase() === 'true') v = true;
        else if (value === '0' || value.toLowerCase() === 'false') v = false;
        else return fail(`a boolean is 0 or 1, not '${value}'`);
        break;
      case 'N': {
        const n = value.trim() === '' ? NaN : Number(value);
        if (!Number.isFinite(n)) fail(`'${value}' is not a number`);
        v = n;
        break;
      }
      case 'S':
        v = value;
        break;
      case 'Z':
        v = null;
        break;
      case 'O':
        if (value !== '1') fail(name === undefined ? 'an object item is O:1 (open) or O:0 (close)' : 'a named object is NO:<name>:1; close it with O:0');
        v = {};
        break;
      default:
        return fail(`unknown type '${type}' (expected ${TYPES})`);
    }
    if (inner && name !== undefined) setOwn(inner, name, v);
    else top.push(v);
    if (type === 'O') open.push(v as AmfObject);
  });
  if (open.length > 0) throw new UsageError(`--conn: ${open.length} object${open.length === 1 ? ' is' : 's are'} not closed (end each with O:0)`);
  return top;
}
