import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConnArgs } from '../../../src/rtmp/conn-args.js';
import { UsageError } from '../../../src/errors.js';

test('--conn items: scalars, null and nested objects with named members, in order', () => {
  const v = parseConnArgs(['B:1', 'B:0', 'N:3.5', 'N:-2e3', 'S:text with: colon', 'S:', 'Z:', 'O:1', 'NS:name:va:lue', 'NN:n:42', 'NB:flag:0', 'NZ:nothing:', 'NO:inner:1', 'NS:k:v', 'O:0', 'O:0', 'S:after']);
  assert.deepEqual(v, [true, false, 3.5, -2000, 'text with: colon', '', null, { name: 'va:lue', n: 42, flag: false, nothing: null, inner: { k: 'v' } }, 'after']);
});

test('--conn: no items, no arguments', () => {
  assert.deepEqual(parseConnArgs([]), []);
});

test('--conn: every bad item is a UsageError naming the item and its position', () => {
  const bad: Array<[string[], RegExp]> = [
    [['X:1'], /--conn item 1 'X:1': unknown type 'X'/],
    [['B:yes'], /item 1 'B:yes': a boolean is 0 or 1/],
    [['N:abc'], /'abc' is not a number/],
    [['N:'], /'' is not a number/],
    [['S'], /item 1 'S': expected <type>:<value>/],
    [['NS:nocolon'], /a named item is N<type>:<name>:<value>/],
    [['NS::v'], /the member name is empty/],
    [['S:a', 'O:0'], /item 2 'O:0': O:0 closes an object, but none is open/],
    [['NS:a:b'], /a named member must be inside an object/],
    [['O:1', 'S:x'], /item 2 'S:x': inside an object every member needs a name/],
    [['O:2'], /an object item is O:1 \(open\) or O:0 \(close\)/],
    [['O:1', 'NO:x:0'], /a named object is NO:<name>:1/],
    [['O:1', 'NO:x:1', 'O:0'], /--conn: 1 object is not closed/],
  ];
  for (const [items, re] of bad) {
    assert.throws(() => parseConnArgs(items), (e: unknown) => e instanceof UsageError && re.test(e.message), `${items.join(' ')} should fail with ${re}`);
  }
});

test('--conn: a member named __proto__ is an ordinary member', () => {
  const [o] = parseConnArgs(['O:1', 'NS:__proto__:x', 'O:0']);
  assert.deepEqual(Object.keys(o as object), ['__proto__']);
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
});

test('any --conn items: values or a UsageError, nothing else', async () => {
  const fc = (await import('fast-check')).default;
  const item = fc.oneof(fc.string({ maxLength: 12 }), fc.tuple(fc.constantFrom('B:', 'N:', 'S:', 'O:', 'Z:', 'NB:', 'NN:', 'NS:', 'NO:', 'NZ:', 'O:1', 'O:0'), fc.string({ maxLength: 6 })).map(([a, b]) => a + b));
  fc.assert(
    fc.property(fc.array(item, { maxLength: 10 }), (items) => {
      try {
        parseConnArgs(items);
      } catch (e) {
        assert.ok(e instanceof UsageError, String(e));
      }
    }),
    { numRuns: 3000 },
  );
});
