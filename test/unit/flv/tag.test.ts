import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlvFormatError, LimitError } from '../../../src/errors.js';
import { encodeFlvTagHeader, encodePreviousTagSize, parseFlvTagHeader, writeFlvTagHeader } from '../../../src/flv/tag.js';
import { hex } from '../../helpers/hex.js';

test('encodes and parses a video tag header', () => {
  const vector = hex(
    '09      // reserved 00, filter 0, TagType 9 (video)',
    '000123  // DataSize 291',
    '345678  // Timestamp, lower 24 bits',
    '12      // TimestampExtended, upper 8 bits',
    '000000  // StreamID 0',
  );
  assert.deepEqual(encodeFlvTagHeader(9, 0x123, 0x12345678), vector);
  assert.deepEqual(parseFlvTagHeader(vector), { type: 9, dataSize: 0x123, timestamp: 0x12345678, streamId: 0 });
});

test('timestamps use the extended byte above 24 bits, up to 2^32 - 1', () => {
  const cases: Array<[number, string]> = [
    [0, '000000 00'],
    [0xffffff, 'ffffff 00 // largest 24-bit value'],
    [0x1000000, '000000 01 // first value needing the extended byte'],
    [0xfffffffe, 'fffffe ff'],
    [0xffffffff, 'ffffff ff // 2^32 - 1'],
  ];
  for (const [ts, field] of cases) {
    const h = encodeFlvTagHeader(8, 1, ts);
    assert.deepEqual(h.subarray(4, 8), hex(field), `timestamp ${ts}`);
    assert.equal(parseFlvTagHeader(h).timestamp, ts);
  }
  // Outside the 32-bit range the value wraps, like every RTMP timestamp.
  assert.equal(parseFlvTagHeader(encodeFlvTagHeader(8, 1, 0x1_0000_0005)).timestamp, 5);
});

test('the filter bit is refused with the tag offset', () => {
  const filtered = hex('29 // reserved 00, filter 1, TagType 9', '000001 000000 00 000000');
  assert.throws(
    () => parseFlvTagHeader(filtered, 1234),
    (err: unknown) => err instanceof FlvFormatError && err.offset === 1234 && /encrypted\/filtered tags are not supported/.test(err.message),
  );
});

test('reserved bits are ignored and the stream id is reported', () => {
  const h = hex('c8 // reserved 11, filter 0, TagType 8', '000002 000010 00', '000007 // StreamID 7 (should be 0)');
  assert.deepEqual(parseFlvTagHeader(h), { type: 8, dataSize: 2, timestamp: 16, streamId: 7 });
});

test('a short header and an oversized body are rejected', () => {
  assert.throws(() => parseFlvTagHeader(hex('09 0000'), 20), (err: unknown) => err instanceof FlvFormatError && err.offset === 20);
  assert.throws(() => encodeFlvTagHeader(9, 0x1000000, 0), LimitError);
});

test('writeFlvTagHeader writes in place; PreviousTagSize is 11 + DataSize', () => {
  const buf = Buffer.alloc(15, 0xee);
  writeFlvTagHeader(buf, 2, 18, 5, 40);
  assert.deepEqual(buf, hex('eeee', '12 000005 000028 00 000000 // script data, 5 bytes, t=40', 'eeee'));
  assert.deepEqual(encodePreviousTagSize(5), hex('00000010 // 16 = 11 + 5'));
});
