import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { createAmf3Context, decodeAmf3, decodeAmf3Value } from '../../../src/amf/amf3.js';
import { classNameOf, isEcmaArray, type AmfObject } from '../../../src/amf/value.js';
import { ByteReader } from '../../../src/bytes/byte-reader.js';
import { AmfError, LimitError } from '../../../src/errors.js';
import { resolveLimits, type Limits } from '../../../src/limits.js';
import { hex } from '../../helpers/hex.js';

/** One vector per AMF3 type: bytes and the value they decode to. */
const VECTORS: { name: string; bytes: Buffer; value: unknown }[] = [
  { name: 'undefined', bytes: hex('00'), value: undefined },
  { name: 'null', bytes: hex('01'), value: null },
  { name: 'false', bytes: hex('02'), value: false },
  { name: 'true', bytes: hex('03'), value: true },
  { name: 'integer 0', bytes: hex('04 00'), value: 0 },
  { name: 'integer 127 (1 byte)', bytes: hex('04 7f'), value: 127 },
  { name: 'integer 128 (2 bytes)', bytes: hex('04 81 00'), value: 128 },
  { name: 'integer 16384 (3 bytes)', bytes: hex('04 81 80 00'), value: 16384 },
  { name: 'integer max 2^28-1 (4 bytes)', bytes: hex('04 bf ff ff ff'), value: 268435455 },
  { name: 'integer -1 (sign-extended 29 bits)', bytes: hex('04 ff ff ff ff'), value: -1 },
  { name: 'integer min -2^28', bytes: hex('04 c0 80 80 00'), value: -268435456 },
  { name: 'double 1.5', bytes: hex('05 3ff8000000000000'), value: 1.5 },
  { name: 'string', bytes: hex('06 07 616263 // U29 (3<<1)|1, "abc"'), value: 'abc' },
  { name: 'empty string', bytes: hex('06 01'), value: '' },
  { name: 'XMLDocument', bytes: hex('07 09 3c612f3e // "<a/>"'), value: '<a/>' },
  { name: 'XML', bytes: hex('0b 09 3c612f3e // "<a/>"'), value: '<a/>' },
  { name: 'date', bytes: hex('08 01 4278cc820db2e000 // 2024-01-02T03:04:05.678Z'), value: new Date(1704164645678) },
  {
    name: 'dense array',
    bytes: hex('09 07 // 3 dense', '01 // no associative part', '04 01 04 02 04 03'),
    value: [1, 2, 3],
  },
  {
    name: 'anonymous dynamic object',
    bytes: hex('0a 0b // inline traits, dynamic, 0 sealed', '01 // class ""', '03 61 04 01 // a: 1', '01 // end'),
    value: { a: 1 },
  },
  { name: 'ByteArray', bytes: hex('0c 07 010203'), value: new Uint8Array([1, 2, 3]) },
  { name: 'vector int', bytes: hex('0d 05 00 // 2 items, not fixed', 'ffffffff 00000002'), value: [-1, 2] },
  { name: 'vector uint', bytes: hex('0e 05 00', 'ffffffff 00000002'), value: [4294967295, 2] },
  { name: 'vector double', bytes: hex('0f 03 00', '3ff8000000000000'), value: [1.5] },
  {
    name: 'vector object',
    bytes: hex('10 05 00 // 2 items', '03 2a // type name "*"', '06 03 61 // "a"', '04 01 // 1'),
    value: ['a', 1],
  },
  {
    name: 'dictionary',
    bytes: hex('11 05 00 // 2 entries, strong keys', '06 03 61 04 01 // "a" -> 1', '04 02 06 03 62 // 2 -> "b"'),
    value: { a: 1, '2': 'b' },
  },
];

describe('AMF3 vectors', () => {
  for (const v of VECTORS) {
    it(`decodes ${v.name}`, () => {
      assert.deepEqual(decodeAmf3(v.bytes), [v.value]);
    });
  }

  it('throws AmfError at every truncation point of every vector', () => {
    for (const v of VECTORS) {
      for (let cut = 1; cut < v.bytes.length; cut++) {
        assert.throws(() => decodeAmf3(v.bytes.subarray(0, cut)), AmfError, `${v.name} cut at ${cut}`);
      }
    }
  });

  it('decodes an array with an associative part as an ECMA-marked object', () => {
    const [v] = decodeAmf3(hex('09 03 // 1 dense', '03 61 04 01 // a: 1', '01 // end of associative', '04 02 // [0] = 2'));
    assert.deepEqual(v, { a: 1, '0': 2 });
    assert.equal(isEcmaArray(v), true);
  });

  it('decodes sealed typed objects, traits references and object references', () => {
    const out = decodeAmf3(
      hex(`
        0a 13        // object, inline traits, 1 sealed member, not dynamic
           05 5074   //   class "Pt"
           03 78     //   sealed member "x"
           04 05     //   x = 5
        0a 01        // object, traits reference #0 (Pt)
           04 06     //   x = 6
        0a 00        // object reference #0 (the first Pt)
      `),
    );
    assert.deepEqual(out, [{ x: 5 }, { x: 6 }, { x: 5 }]);
    assert.equal(classNameOf(out[0]), 'Pt');
    assert.equal(classNameOf(out[1]), 'Pt');
    assert.equal(out[2], out[0]);
  });

  it('decodes sealed and dynamic members together', () => {
    const [v] = decodeAmf3(hex('0a 1b 01 03 78 // dynamic, 1 sealed "x", class ""', '04 01 // x', '03 79 04 02 01 // y: 2, end'));
    assert.deepEqual(v, { x: 1, y: 2 });
    assert.equal(classNameOf(v), undefined);
  });

  it('resolves string, date and array references and self-references', () => {
    const out = decodeAmf3(
      hex(`
        06 07 616263    // "abc" (string #0)
        06 01           // "" is never added to the table
        06 00           // string reference #0
        08 01 0000000000000000 // date (object #0)
        08 00           // object reference #0
        09 03 01 09 02  // array #1 = [reference #1 (itself)]
      `),
    );
    assert.equal(out[0], 'abc');
    assert.equal(out[1], '');
    assert.equal(out[2], 'abc');
    assert.equal(out[4], out[3]);
    const arr = out[5] as unknown[];
    assert.equal(arr[0], arr);
  });

  it('unwraps Flex ArrayCollection, rejects unknown externalizable classes', () => {
    const wrapped = hex(
      '0a 07 // object, externalizable traits inline',
      '43 666c65782e6d6573736167696e672e696f2e4172726179436f6c6c656374696f6e // "flex.messaging.io.ArrayCollection"',
      '09 03 01 04 01 // body: [1]',
    );
    assert.deepEqual(decodeAmf3(wrapped), [[1]]);
    assert.throws(() => decodeAmf3(hex('0a 07 07 616263 00')), /externalizable class 'abc'/);
  });

  it('keeps "__proto__" as an ordinary own key of dynamic objects and dictionaries', () => {
    const proto = '13 5f5f70726f746f5f5f'; // "__proto__"
    const [obj, dict] = decodeAmf3(hex(`0a 0b 01 ${proto} 03 01`, `11 03 00 06 00 03`)) as [AmfObject, AmfObject];
    assert.equal(Object.getPrototypeOf(obj), Object.prototype);
    assert.deepEqual(Object.keys(obj), ['__proto__']);
    assert.deepEqual(Object.keys(dict), ['__proto__']);
    assert.equal(({} as { [k: string]: unknown })['x'], undefined);
  });

  it('shares a context across calls on one reader and continues the depth', () => {
    const r = new ByteReader(hex('06 07 616263 06 00'));
    const limits = resolveLimits();
    const ctx = createAmf3Context();
    assert.equal(decodeAmf3Value(r, limits, ctx), 'abc');
    assert.equal(decodeAmf3Value(r, limits, ctx), 'abc');
    assert.equal(ctx.strings.length, 1);
    assert.throws(
      () => decodeAmf3Value(new ByteReader(hex('09 01 01')), resolveLimits({ maxAmfDepth: 2 }), undefined, 2),
      LimitError,
    );
  });
});

describe('AMF3 errors', () => {
  const amf = (buf: Buffer, re: RegExp, limits?: Partial<Limits>): void => {
    assert.throws(() => decodeAmf3(buf, limits), (e: unknown) => e instanceof AmfError && re.test(e.message));
  };
  const limit = (buf: Buffer, name: string, limits?: Partial<Limits>): void => {
    assert.throws(() => decodeAmf3(buf, limits), (e: unknown) => e instanceof LimitError && e.limit === name);
  };

  it('rejects unknown markers naming byte and offset', () => {
    amf(hex('01 12'), /unknown AMF3 type marker 0x12 at offset 1/);
    amf(hex('ff'), /unknown AMF3 type marker 0xff at offset 0/);
  });

  it('rejects references to unknown string, object and traits indices', () => {
    amf(hex('06 02'), /string reference #1 at offset 1 is not defined/);
    amf(hex('0a 00'), /object reference #0/);
    amf(hex('08 04'), /object reference #2/);
    amf(hex('0a 05'), /traits reference #1/);
  });

  it('enforces maxAmfDepth', () => {
    const nested = (n: number): Buffer => hex('09 03 01'.repeat(n), '01');
    assert.doesNotThrow(() => decodeAmf3(nested(3), { maxAmfDepth: 3 }));
    limit(nested(4), 'maxAmfDepth', { maxAmfDepth: 3 });
    limit(Buffer.from('0a0b010361'.repeat(40000), 'hex'), 'maxAmfDepth');
  });

  it('enforces maxAmfCollection on counts and reference tables', () => {
    limit(hex('09 bf ff ff ff 01'), 'maxAmfCollection');
    limit(hex('0d 07 00 00000001 00000002 00000003'), 'maxAmfCollection', { maxAmfCollection: 2 });
    limit(hex('06 03 61 06 03 62 06 03 63'), 'maxAmfCollection', { maxAmfCollection: 2 });
    limit(hex('08 01 0000000000000000'.repeat(3)), 'maxAmfCollection', { maxAmfCollection: 2 });
    limit(hex('0a 0b 01 03 61 01 03 62 01 03 63 01 01'), 'maxAmfCollection', { maxAmfCollection: 2 });
    limit(hex('09 01 03 61 01 03 62 01 03 63 01 01'), 'maxAmfCollection', { maxAmfCollection: 2 });
  });

  it('rejects counts larger than the bytes remaining, before allocating', () => {
    amf(hex('09 81 80 01 01 04 01'), /dense array length of 8192 needs at least 8192 bytes/);
    amf(hex('0d 09 00 00000001'), /vector length of 4 needs at least 16 bytes/);
    amf(hex('11 09 00 04 01'), /dictionary size of 4 needs at least 8 bytes/);
    amf(hex('0a 86 03 01 // inline traits, 48 sealed members'), /sealed member count of 48 needs at least 48 bytes/);
  });

  it('only ever throws AmfError or LimitError on random input', () => {
    let seed = 99;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      const base = VECTORS[i % VECTORS.length]!.bytes;
      const buf = Buffer.concat([base, Buffer.from(Array.from({ length: rand(24) }, () => rand(256)))]);
      for (let k = 0; k <= rand(3); k++) buf[rand(buf.length)] = rand(0x14);
      try {
        decodeAmf3(buf);
      } catch (e) {
        assert.ok(e instanceof AmfError || e instanceof LimitError, `iteration ${i}: ${String(e)}`);
      }
    }
  });
});
