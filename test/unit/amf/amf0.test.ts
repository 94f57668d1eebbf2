import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { Amf0Decoder, decodeAmf0, encodeAmf0, writeAmf0Value } from '../../../src/amf/amf0.js';
import {
  CLASS_NAME,
  ECMA_ARRAY,
  classNameOf,
  ecmaArray,
  isAmfObject,
  isEcmaArray,
  typedObject,
  type AmfObject,
  type AmfValue,
} from '../../../src/amf/value.js';
import { ByteReader } from '../../../src/bytes/byte-reader.js';
import { ByteWriter } from '../../../src/bytes/byte-writer.js';
import { AmfError, LimitError } from '../../../src/errors.js';
import { hex } from '../../helpers/hex.js';

/** `connect` as ffmpeg (Lavf 60) sends it when publishing to rtmp://localhost:1935/live. */
const CONNECT = hex(`
  02 0007 636f6e6e656374                 // string 'connect'
  00 3ff0000000000000                    // number 1 (transaction id)
  03                                     // object
    0003 617070                          //   key 'app'
    02 0004 6c697665                     //   string 'live'
    0004 74797065                        //   key 'type'
    02 000a 6e6f6e70726976617465         //   string 'nonprivate'
    0008 666c617368566572                //   key 'flashVer'
    02 0024 464d4c452f332e302028636f6d70617469626c653b204c61766636302e31362e31303029
                                         //   string 'FMLE/3.0 (compatible; Lavf60.16.100)'
    0005 746355726c                      //   key 'tcUrl'
    02 001a 72746d703a2f2f6c6f63616c686f73743a313933352f6c697665
                                         //   string 'rtmp://localhost:1935/live'
  0000 09                                // object end
`);
const CONNECT_VALUES: AmfValue[] = [
  'connect',
  1,
  { app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; Lavf60.16.100)', tcUrl: 'rtmp://localhost:1935/live' },
];
/** Offsets where a top-level value ends (a cut there is a shorter, valid message). */
const CONNECT_BOUNDARIES = [10, 19];

/** nginx-rtmp's answer to `connect`: properties and information objects. */
const RESULT = hex(`
  02 0007 5f726573756c74                 // string '_result'
  00 3ff0000000000000                    // number 1 (transaction id)
  03                                     // object (properties)
    0006 666d73566572                    //   key 'fmsVer'
    02 000d 464d532f332c302c312c313233   //   string 'FMS/3,0,1,123'
    000c 6361706162696c6974696573        //   key 'capabilities'
    00 403f000000000000                  //   number 31
  0000 09                                // object end
  03                                     // object (information)
    0005 6c6576656c                      //   key 'level'
    02 0006 737461747573                 //   string 'status'
    0004 636f6465                        //   key 'code'
    02 001d 4e6574436f6e6e656374696f6e2e436f6e6e6563742e53756363657373
                                         //   string 'NetConnection.Connect.Success'
    000b 6465736372697074696f6e          //   key 'description'
    02 0015 436f6e6e656374696f6e207375636365656465642e
                                         //   string 'Connection succeeded.'
    000e 6f626a656374456e636f64696e67    //   key 'objectEncoding'
    00 0000000000000000                  //   number 0
  0000 09                                // object end
`);
const RESULT_VALUES: AmfValue[] = [
  '_result',
  1,
  { fmsVer: 'FMS/3,0,1,123', capabilities: 31 },
  { level: 'status', code: 'NetConnection.Connect.Success', description: 'Connection succeeded.', objectEncoding: 0 },
];
const RESULT_BOUNDARIES = [10, 19, 70];

/** `@setDataFrame` + onMetaData ECMA array, as ffmpeg's flvenc/rtmp muxer writes it. */
const METADATA_HEAD = `
  02 000d 40736574446174614672616d65     // string '@setDataFrame'
  02 000a 6f6e4d65746144617461           // string 'onMetaData'
  08 00000005                            // ECMA array, count 5
    0008 6475726174696f6e                //   key 'duration'
    00 0000000000000000                  //   number 0
    0005 7769647468                      //   key 'width'
    00 4094000000000000                  //   number 1280
    0006 686569676874                    //   key 'height'
    00 4086800000000000                  //   number 720
    0006 73746572656f                    //   key 'stereo'
    01 01                                //   boolean true
    0007 656e636f646572                  //   key 'encoder'
    02 000d 4c61766636302e31362e313030   //   string 'Lavf60.16.100'
`;
const METADATA = hex(METADATA_HEAD, '0000 09 // object end');
const META_OBJECT = { duration: 0, width: 1280, height: 720, stereo: true, encoder: 'Lavf60.16.100' };
/** Offsets of top-level ends and of ECMA entry ends (a cut there is tolerated). */
const METADATA_BOUNDARIES = [16, 29, 34, 53, 69, 86, 96, 121];

function decodeOk(buf: Buffer): AmfValue[] {
  return decodeAmf0(buf);
}

/** Every cut of `buf` that is not at a tolerated boundary must throw AmfError, nothing else. */
function assertTruncationsThrow(buf: Buffer, boundaries: number[]): void {
  for (let cut = 1; cut < buf.length; cut++) {
    const prefix = buf.subarray(0, cut);
    if (boundaries.includes(cut)) {
      assert.doesNotThrow(() => decodeAmf0(prefix), `cut at ${cut}`);
      continue;
    }
    assert.throws(() => decodeAmf0(prefix), AmfError, `cut at ${cut}`);
  }
}

describe('AMF0 known vectors', () => {
  it('decodes ffmpeg connect whole and re-encodes it byte for byte', () => {
    assert.deepEqual(decodeOk(CONNECT), CONNECT_VALUES);
    assert.deepEqual(encodeAmf0(...CONNECT_VALUES), CONNECT);
  });

  it('decodes nginx-rtmp _result whole and re-encodes it byte for byte', () => {
    assert.deepEqual(decodeOk(RESULT), RESULT_VALUES);
    assert.deepEqual(encodeAmf0(...RESULT_VALUES), RESULT);
  });

  it('decodes onMetaData as a marked ECMA array and re-encodes it byte for byte', () => {
    const [name, event, meta] = decodeOk(METADATA);
    assert.equal(name, '@setDataFrame');
    assert.equal(event, 'onMetaData');
    assert.deepEqual(meta, META_OBJECT);
    assert.equal(isEcmaArray(meta), true);
    assert.deepEqual(encodeAmf0('@setDataFrame', 'onMetaData', ecmaArray(META_OBJECT)), METADATA);
  });

  it('treats the ECMA array count as a hint (0 and too large both work)', () => {
    for (const count of ['00000000', '000000ff']) {
      const buf = Buffer.from(METADATA);
      buf.write(count, 30, 'hex');
      assert.deepEqual(decodeOk(buf)[2], META_OBJECT);
    }
  });

  it('accepts an ECMA array whose terminator is missing at the end of the buffer', () => {
    const [, , meta] = decodeOk(hex(METADATA_HEAD));
    assert.deepEqual(meta, META_OBJECT);
    assert.equal(isEcmaArray(meta), true);
  });

  it('reads a message bounded by the reader end through Amf0Decoder', () => {
    const framed = Buffer.concat([hex('ffff'), RESULT, hex('eeee')]);
    const d = new Amf0Decoder(new ByteReader(framed, undefined, 2, 2 + RESULT.length));
    const out: AmfValue[] = [];
    while (!d.done) out.push(d.readValue());
    assert.deepEqual(out, RESULT_VALUES);
  });

  it('throws AmfError at every truncation point of every vector', () => {
    assertTruncationsThrow(CONNECT, CONNECT_BOUNDARIES);
    assertTruncationsThrow(RESULT, RESULT_BOUNDARIES);
    assertTruncationsThrow(METADATA, METADATA_BOUNDARIES);
  });

  it('throws AmfError (not ProtocolError) on a short read from a reader with the default factory', () => {
    const d = new Amf0Decoder(new ByteReader(CONNECT.subarray(0, 5)));
    assert.throws(() => d.readValue(), AmfError);
  });
});

describe('AMF0 types', () => {
  it('decodes number, boolean, string, null, undefined, unsupported', () => {
    const buf = hex(`
      00 bff0000000000000   // number -1
      01 00                 // boolean false
      01 02                 // boolean: any non-zero byte is true
      02 0000               // string ''
      05                    // null
      06                    // undefined
      0d                    // unsupported -> undefined
    `);
    assert.deepEqual(decodeOk(buf), [-1, false, true, '', null, undefined, undefined]);
  });

  it('decodes a date and ignores its time zone; encodes the zone as 0', () => {
    const buf = hex('0b 4278cc820db2e000 // 2024-01-02T03:04:05.678Z', 'ff88 // time zone -120');
    const [d] = decodeOk(buf);
    assert.ok(d instanceof Date);
    assert.equal(d.toISOString(), '2024-01-02T03:04:05.678Z');
    assert.deepEqual(encodeAmf0(d), hex('0b 4278cc820db2e000 0000'));
  });

  it('decodes long strings and XML documents as strings', () => {
    const buf = hex('0c 00000003 616263 // long string "abc"', '0f 00000004 3c612f3e // XML "<a/>"');
    assert.deepEqual(decodeOk(buf), ['abc', '<a/>']);
  });

  it('encodes strings over 65535 UTF-8 bytes as long strings', () => {
    const short = 'é'.repeat(32767); // 65534 bytes
    const long = 'é'.repeat(32768); // 65536 bytes
    assert.equal(encodeAmf0(short)[0], 0x02);
    const enc = encodeAmf0(long);
    assert.deepEqual(enc.subarray(0, 5), hex('0c 00010000'));
    assert.deepEqual(decodeOk(enc), [long]);
  });

  it('decodes strict arrays and typed objects', () => {
    const buf = hex(`
      0a 00000002                   // strict array of 2
        00 3ff0000000000000         //   number 1
        02 0001 78                  //   string 'x'
      10 0005 506f696e74            // typed object 'Point'
        0001 78 00 3ff0000000000000 //   x: 1
        0001 79 00 4000000000000000 //   y: 2
      0000 09                       // object end
    `);
    const [arr, pt] = decodeOk(buf);
    assert.deepEqual(arr, [1, 'x']);
    assert.deepEqual(pt, { x: 1, y: 2 });
    assert.equal(classNameOf(pt), 'Point');
    assert.deepEqual(encodeAmf0([1, 'x'], typedObject('Point', { x: 1, y: 2 })), buf);
  });

  it('resolves references to the same already-decoded object, including itself', () => {
    const buf = hex(`
      03                        // object #0
        0004 73656c66 07 0000   //   self: reference #0
        0004 6c697374           //   list:
        0a 00000001 05          //   strict array #1 [null]
      0000 09                   // object end
      07 0001                   // top level: reference #1 (the list)
    `);
    const [obj, list] = decodeOk(buf) as [AmfObject, AmfValue];
    assert.equal(obj['self'], obj);
    assert.equal(list, obj['list']);
    assert.deepEqual(list, [null]);
  });

  it('decodes an AMF3 value after the AVM+ switch, sharing AMF3 tables per message', () => {
    const buf = hex(`
      11 0a 0b 01        // AVM+ -> AMF3 object, dynamic traits inline, class ''
         03 61 04 01     //   a: integer 1
         01              //   end of dynamic members
      11 06 07 616263    // AVM+ -> AMF3 string 'abc'
      11 06 02           // AVM+ -> AMF3 string reference #1 ('a' is #0) -> 'abc'
    `);
    assert.deepEqual(decodeOk(buf), [{ a: 1 }, 'abc', 'abc']);
  });
});

describe('AMF0 round trips', () => {
  it('round-trips mixed values with markers intact', () => {
    const values: AmfValue[] = [
      0,
      -0.5,
      Number.MAX_VALUE,
      true,
      'héllo ✓',
      null,
      undefined,
      new Date(0),
      [1, [2, [3]], { a: null }],
      { nested: { deeper: { x: 'y' } }, list: [], empty: {} },
      ecmaArray({ '0': 'zero', name: 'n' }),
      typedObject('com.example.Thing', { id: 7 }),
    ];
    const out = decodeAmf0(encodeAmf0(...values));
    assert.deepEqual(out, values);
    assert.equal(isEcmaArray(out[10]), true);
    assert.equal(classNameOf(out[11]), 'com.example.Thing');
    assert.equal(Number.isNaN(decodeAmf0(encodeAmf0(NaN))[0]), true);
  });

  it('writeAmf0Value appends to an existing writer', () => {
    const w = new ByteWriter();
    w.u8(0x14);
    writeAmf0Value(w, 'x');
    assert.deepEqual(w.finish(), hex('14 02 0001 78'));
  });
});

describe('AMF0 errors', () => {
  const expectAmf = (buf: Buffer, re: RegExp): void => {
    assert.throws(() => decodeAmf0(buf), (e: unknown) => e instanceof AmfError && re.test(e.message));
  };
  const expectLimit = (buf: Buffer, limit: string, limits?: Parameters<typeof decodeAmf0>[1]): void => {
    assert.throws(() => decodeAmf0(buf, limits), (e: unknown) => e instanceof LimitError && e.limit === limit);
  };

  it('rejects unknown, movieclip and recordset markers naming byte and offset', () => {
    expectAmf(hex('05 12'), /unknown AMF0 type marker 0x12 at offset 1/);
    expectAmf(hex('ff'), /unknown AMF0 type marker 0xff at offset 0/);
    expectAmf(hex('04'), /unsupported AMF0 type marker 0x04 at offset 0/);
    expectAmf(hex('0e'), /unsupported AMF0 type marker 0x0e/);
  });

  it('rejects an object end marker outside an object', () => {
    expectAmf(hex('09'), /object end marker 0x09 outside an object at offset 0/);
    expectAmf(hex('0a 00000001 09'), /outside an object/);
  });

  it('rejects an empty property name not followed by 0x09', () => {
    expectAmf(hex('03 0000 05'), /expected AMF0 object end marker 0x09/);
  });

  it('enforces maxAmfDepth on objects, arrays and AMF3 after AVM+', () => {
    const nested = (n: number): Buffer => hex('03 0001 61'.repeat(n - 1), '03 0000 09', '0000 09'.repeat(n - 1));
    assert.doesNotThrow(() => decodeAmf0(nested(4), { maxAmfDepth: 4 }));
    expectLimit(nested(5), 'maxAmfDepth', { maxAmfDepth: 4 });
    expectLimit(hex('0a 00000001'.repeat(3), '05'), 'maxAmfDepth', { maxAmfDepth: 2 });
    expectLimit(hex('0a 00000001 11 09 03 01 04 01'), 'maxAmfDepth', { maxAmfDepth: 1 });
    expectLimit(Buffer.from('0a00000001'.repeat(50000), 'hex'), 'maxAmfDepth');
  });

  it('enforces maxAmfCollection on strict arrays, properties and the reference table', () => {
    expectLimit(hex('0a ffffffff'), 'maxAmfCollection');
    expectLimit(hex('0a 00000003 05 05 05'), 'maxAmfCollection', { maxAmfCollection: 2 });
    expectLimit(hex('03 0001 61 05 0001 62 05 0001 63 05 0000 09'), 'maxAmfCollection', { maxAmfCollection: 2 });
    expectLimit(hex('08 00000000 0001 61 05 0001 62 05 0001 63 05'), 'maxAmfCollection', { maxAmfCollection: 2 });
    expectLimit(hex('0a 00000000 0a 00000000 0a 00000000'), 'maxAmfCollection', { maxAmfCollection: 2 });
  });

  it('rejects a strict array count larger than the bytes remaining, before allocating', () => {
    expectAmf(hex('0a 00001000 05 05 05'), /strict array length 4096 at offset 1 exceeds the 3 bytes left/);
  });

  it('rejects references to unknown indices', () => {
    expectAmf(hex('07 0000'), /reference #0 at offset 0 is not defined/);
    expectAmf(hex('0a 00000000 07 0001'), /reference #1/);
  });

  it('keeps "__proto__" and "constructor" keys as ordinary own properties', () => {
    const buf = hex(`
      03
        0009 5f5f70726f746f5f5f        // key '__proto__'
        03 0008 706f6c6c75746564 01 01 // { polluted: true
        0000 09                        // }
        000b 636f6e7374727563746f72    // key 'constructor'
        02 0001 78                     // 'x'
      0000 09
    `);
    const [obj] = decodeOk(buf) as [AmfObject];
    assert.equal(Object.getPrototypeOf(obj), Object.prototype);
    assert.deepEqual(Object.keys(obj), ['__proto__', 'constructor']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(obj, '__proto__')?.value, { polluted: true });
    assert.equal((obj as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    assert.deepEqual(encodeAmf0(obj), buf);
  });

  it('only ever throws AmfError or LimitError on mutated and random input', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const bases = [CONNECT, RESULT, METADATA];
    for (let i = 0; i < 3000; i++) {
      const base = bases[i % bases.length]!;
      const buf = i % 10 === 9 ? Buffer.from(Array.from({ length: 1 + rand(64) }, () => rand(256))) : Buffer.from(base);
      for (let k = 0; k <= rand(4); k++) buf[rand(buf.length)] = rand(256);
      try {
        decodeAmf0(buf.subarray(0, rand(buf.length + 1)));
      } catch (e) {
        assert.ok(e instanceof AmfError || e instanceof LimitError, `iteration ${i}: ${String(e)}`);
      }
    }
  });
});

describe('AMF0 encoder errors', () => {
  it('rejects values AMF0 cannot carry', () => {
    assert.throws(() => encodeAmf0(new Uint8Array(2)), /byte array/);
    assert.throws(() => encodeAmf0((() => 1) as unknown as AmfValue), AmfError);
    assert.throws(() => encodeAmf0(new Map() as unknown as AmfValue), AmfError);
  });

  it('rejects cycles, empty keys and over-long names', () => {
    const cyclic: AmfObject = { a: 1 };
    cyclic['self'] = cyclic;
    assert.throws(() => encodeAmf0(cyclic), /cyclic/);
    assert.throws(() => encodeAmf0({ '': 1 }), /empty property name/);
    assert.throws(() => encodeAmf0({ ['k'.repeat(70000)]: 1 }), /exceeds 65535/);
    assert.throws(() => encodeAmf0(typedObject('c'.repeat(70000), {})), /class name/);
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    assert.deepEqual(decodeAmf0(encodeAmf0({ a: shared, b: shared })), [{ a: { x: 1 }, b: { x: 1 } }]);
  });
});

describe('AMF value markers', () => {
  it('are non-enumerable, invisible to keys and JSON, and survive on the marked object', () => {
    const e = ecmaArray({ a: 1 });
    const t = typedObject('T', { b: 2 });
    assert.deepEqual(Object.keys(e), ['a']);
    assert.equal(JSON.stringify(t), '{"b":2}');
    assert.equal(Object.getOwnPropertyDescriptor(e, ECMA_ARRAY)?.enumerable, false);
    assert.equal((t as { [CLASS_NAME]?: unknown })[CLASS_NAME], 'T');
    assert.equal(isEcmaArray({ ...e }), false);
    assert.equal(classNameOf({ b: 2 }), undefined);
    assert.equal(isEcmaArray([]), false);
  });

  it('isAmfObject accepts only plain objects', () => {
    assert.equal(isAmfObject({}), true);
    assert.equal(isAmfObject(Object.create(null)), true);
    for (const v of [null, undefined, [], new Date(), new Uint8Array(1), Buffer.alloc(1), new Map(), 'x', 1]) {
      assert.equal(isAmfObject(v), false);
    }
  });
});
