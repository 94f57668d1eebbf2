import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  asObject,
  describeAmf,
  expectNumber,
  expectString,
  getBoolean,
  getNumber,
  getString,
} from '../../../src/amf/expect.js';
import { ecmaArray, typedObject, type AmfObject, type AmfValue } from '../../../src/amf/value.js';
import { ProtocolError } from '../../../src/errors.js';

describe('asObject', () => {
  it('accepts plain, ECMA and typed objects', () => {
    const plain = { a: 1 };
    assert.equal(asObject(plain), plain);
    const ecma = ecmaArray({ b: 2 });
    assert.equal(asObject(ecma), ecma);
    const typed = typedObject('T', { c: 3 });
    assert.equal(asObject(typed), typed);
  });

  it('rejects everything else', () => {
    for (const v of [undefined, null, 0, 'x', true, [], new Date(0), new Uint8Array(1)] as AmfValue[]) {
      assert.equal(asObject(v), undefined);
    }
  });
});

describe('getString / getNumber / getBoolean', () => {
  const o: AmfObject = { code: 'NetStream.Play.Start', n: 5, ok: false, nil: null };

  it('return the value when the type matches', () => {
    assert.equal(getString(o, 'code'), 'NetStream.Play.Start');
    assert.equal(getNumber(o, 'n'), 5);
    assert.equal(getBoolean(o, 'ok'), false);
  });

  it('return undefined for a wrong type, a missing key or no object', () => {
    assert.equal(getString(o, 'n'), undefined);
    assert.equal(getNumber(o, 'code'), undefined);
    assert.equal(getBoolean(o, 'nil'), undefined);
    assert.equal(getString(o, 'missing'), undefined);
    assert.equal(getString(undefined, 'code'), undefined);
  });

  it('never read inherited properties', () => {
    assert.equal(getString({}, 'toString'), undefined);
    assert.equal(getString({}, '__proto__'), undefined);
    assert.equal(getNumber({}, 'constructor'), undefined);
  });
});

describe('expectString / expectNumber', () => {
  it('return matching values', () => {
    assert.equal(expectString('_result', 'command name'), '_result');
    assert.equal(expectNumber(1, 'transaction id'), 1);
  });

  it('throw ProtocolError naming the field and showing what came', () => {
    assert.throws(
      () => expectString(42, 'command name'),
      (e: unknown) =>
        e instanceof ProtocolError && e.code === 'RTMP_ERR_PROTOCOL' && /command name/.test(e.message) && /42/.test(e.message),
    );
    assert.throws(
      () => expectNumber(undefined, 'stream id'),
      (e: unknown) => e instanceof ProtocolError && /stream id to be a number, got undefined/.test(e.message),
    );
    assert.throws(() => expectNumber('1', 'stream id'), /got '1'/);
  });
});

describe('describeAmf', () => {
  it('renders status objects compactly', () => {
    assert.equal(
      describeAmf({ code: 'NetStream.Publish.Start', level: 'status' }),
      "{code:'NetStream.Publish.Start', level:'status'}",
    );
  });

  it('renders every value kind', () => {
    assert.equal(describeAmf(null), 'null');
    assert.equal(describeAmf(undefined), 'undefined');
    assert.equal(describeAmf(1.5), '1.5');
    assert.equal(describeAmf(true), 'true');
    assert.equal(describeAmf([1, 'a', [null]]), "[1, 'a', [null]]");
    assert.equal(describeAmf(new Date(0)), 'Date(1970-01-01T00:00:00.000Z)');
    assert.equal(describeAmf(new Date(NaN)), 'Date(invalid)');
    assert.equal(describeAmf(new Uint8Array(3)), '<3 bytes>');
    assert.equal(describeAmf(ecmaArray({ duration: 0 })), 'ecma{duration:0}');
    assert.equal(describeAmf(typedObject('Point', { x: 1 })), 'Point{x:1}');
    assert.equal(describeAmf({ 'a b': 1, '': 2 }), "{'a b':1, '':2}");
  });

  it('escapes quotes, backslashes and control characters', () => {
    assert.equal(describeAmf("it's\\\n"), "'it\\'s\\\\\\x0a'");
  });

  it('marks cycles and caps nesting', () => {
    const o: AmfObject = { a: 1 };
    o['self'] = o;
    assert.equal(describeAmf(o), '{a:1, self:[Circular]}');
    assert.equal(describeAmf([[[[[[[[1]]]]]]]]), '[[[[[[[…]]]]]]]');
  });

  it('truncates to maxLen with an ellipsis and stops walking early', () => {
    const s = describeAmf({ description: 'x'.repeat(1000) }, 40);
    assert.equal(s.length, 40);
    assert.ok(s.endsWith('…'));
    assert.ok(s.startsWith("{description:'xxx"));
    const big = Array.from({ length: 1_000_000 }, (_, i) => i);
    const t0 = Date.now();
    assert.equal(describeAmf(big, 20).length, 20);
    assert.ok(Date.now() - t0 < 500);
  });
});
