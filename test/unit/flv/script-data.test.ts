import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeAmf0, encodeAmf0 } from '../../../src/amf/amf0.js';
import { ecmaArray, isEcmaArray, type AmfObject } from '../../../src/amf/value.js';
import {
  addSetDataFrame,
  buildMetadataForFile,
  parseScriptData,
  peekScriptDataName,
  SET_DATA_FRAME_PREFIX,
  stripSetDataFrame,
} from '../../../src/flv/script-data.js';
import { hex } from '../../helpers/hex.js';

const META = { width: 320, height: 240, videocodecid: 7, stereo: true, encoder: 'test' };

test('the @setDataFrame prefix is the AMF0 string', () => {
  assert.deepEqual(SET_DATA_FRAME_PREFIX, hex('02 // string', '000d // length 13', '40736574446174614672616d65 // "@setDataFrame"'));
  assert.deepEqual(SET_DATA_FRAME_PREFIX, encodeAmf0('@setDataFrame'));
});

test('parseScriptData reads the name and first argument, through @setDataFrame', () => {
  const plain = encodeAmf0('onMetaData', ecmaArray(META));
  assert.deepEqual(parseScriptData(plain), { name: 'onMetaData', value: ecmaArray(META) });
  const wrapped = encodeAmf0('@setDataFrame', 'onMetaData', META);
  assert.deepEqual(parseScriptData(wrapped), { name: 'onMetaData', value: META });
  assert.deepEqual(parseScriptData(encodeAmf0('onCuePoint')), { name: 'onCuePoint', value: undefined });
  assert.equal(peekScriptDataName(wrapped), 'onMetaData');
  assert.equal(peekScriptDataName(plain), 'onMetaData');
  // Bytes after the first argument are not examined.
  assert.deepEqual(parseScriptData(Buffer.concat([plain, hex('ff ff // junk')]))?.name, 'onMetaData');
});

test('parseScriptData never throws on garbage', () => {
  const garbage = [
    Buffer.alloc(0),
    hex('00 3ff0000000000000 // a number first'),
    hex('02 00ff 41 // string longer than the buffer'),
    hex('02 0002 6869', '03 0001 // object cut short'),
    hex('02 0002 6869', 'ee // unknown marker'),
  ];
  for (const g of garbage) assert.equal(parseScriptData(g), undefined, g.toString('hex'));
  for (let i = 0; i < 200; i++) {
    const junk = Buffer.from(Array.from({ length: (i % 40) + 1 }, (_, j) => (i * 31 + j * 17) & 0xff));
    assert.doesNotThrow(() => parseScriptData(junk));
    assert.doesNotThrow(() => peekScriptDataName(junk));
  }
});

test('stripSetDataFrame returns a view without the prefix; addSetDataFrame adds it once', () => {
  const inner = encodeAmf0('onMetaData', META);
  const wrapped = Buffer.concat([SET_DATA_FRAME_PREFIX, inner]);
  const stripped = stripSetDataFrame(wrapped);
  assert.deepEqual(stripped, inner);
  assert.equal(stripped.buffer, wrapped.buffer, 'a view, not a copy');
  assert.equal(stripped.byteOffset, wrapped.byteOffset + 16);
  assert.equal(stripSetDataFrame(inner), inner);
  assert.deepEqual(addSetDataFrame(inner), wrapped);
  assert.equal(addSetDataFrame(wrapped), wrapped);
});

test('buildMetadataForFile puts patchable duration and filesize doubles at reported offsets', () => {
  const built = buildMetadataForFile({ ...META, duration: 12.5 });
  assert.deepEqual(
    built.payload.subarray(0, built.filesizeOffset + 8),
    hex(
      '02 000a 6f6e4d65746144617461 // "onMetaData"',
      '08 00000007                  // ECMA array, 7 entries',
      '0008 6475726174696f6e 00     // "duration": number',
      '4029000000000000             // 12.5',
      '0008 66696c6573697a65 00     // "filesize": number',
      '0000000000000000             // 0 placeholder',
    ),
  );
  assert.equal(built.durationOffset, 29);
  assert.equal(built.filesizeOffset, 48);
  built.payload.writeDoubleBE(4.96, built.durationOffset);
  built.payload.writeDoubleBE(164791, built.filesizeOffset);
  const [name, value] = decodeAmf0(built.payload);
  assert.equal(name, 'onMetaData');
  assert.ok(isEcmaArray(value));
  assert.deepEqual({ ...(value as AmfObject) }, { duration: 4.96, filesize: 164791, ...META });
});

test('buildMetadataForFile fills missing or non-numeric fields with 0 and keeps odd keys as data', () => {
  const empty = buildMetadataForFile(undefined);
  assert.deepEqual(decodeAmf0(empty.payload), ['onMetaData', ecmaArray({ duration: 0, filesize: 0 })]);
  assert.equal(empty.payload.readDoubleBE(empty.durationOffset), 0);

  const odd: AmfObject = JSON.parse('{"__proto__": 1, "0": "first", "duration": "long", "filesize": 99}') as AmfObject;
  const built = buildMetadataForFile(odd);
  assert.equal(built.payload.readDoubleBE(built.durationOffset), 0);
  assert.equal(built.payload.readDoubleBE(built.filesizeOffset), 99);
  const value = decodeAmf0(built.payload)[1] as AmfObject;
  assert.equal(Object.prototype.hasOwnProperty.call(value, '__proto__'), true);
  assert.equal(value['0'], 'first');
});
