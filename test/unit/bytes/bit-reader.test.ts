import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BitReader } from '../../../src/bytes/bit-reader.js';
import { MediaFormatError, ProtocolError } from '../../../src/errors.js';
import { BitWriter } from '../../helpers/bit-writer.js';
import { hex } from '../../helpers/hex.js';

test('u(n) reads across byte boundaries, up to 32 bits, as unsigned numbers', () => {
  const r = new BitReader(hex('a5 // 1010 0101', 'ff ff ff ff 0f'));
  assert.equal(r.u(3), 0b101);
  assert.equal(r.u(2), 0b00);
  assert.equal(r.u(3), 0b101);
  assert.equal(r.u(32), 0xffffffff);
  assert.equal(r.bitsLeft, 8);
  assert.equal(r.u(0), 0);
  assert.equal(r.u(4), 0);
  assert.equal(r.flag(), true);
  assert.equal(r.bitOffset, 45);
});

test('ue(v) and se(v) decode the Exp-Golomb codes of H.264 9.1', () => {
  // Table 9-2: 1 → 0, 010 → 1, 011 → 2, 00100 → 3, 00111 → 6, 0001000 → 7.
  const r = new BitReader(hex('a6 // 1 010 011 0', '43 // 0100 0011', '88 // 1 0001000'));
  assert.deepEqual([r.ue(), r.ue(), r.ue(), r.ue(), r.ue(), r.ue()], [0, 1, 2, 3, 6, 7]);
  assert.equal(r.bitsLeft, 0);
  const w = new BitWriter();
  const values = [0, 1, 2, 3, 6, 7, 254, 255, 65535, 2 ** 31, 2 ** 32 - 2];
  for (const v of values) w.ue(v);
  const signed = [0, 1, -1, 2, -2, 127, -128, 2 ** 31 - 1, -(2 ** 31) + 1];
  for (const v of signed) w.se(v);
  const r2 = new BitReader(w.bytes());
  assert.deepEqual(values.map(() => r2.ue()), values);
  assert.deepEqual(signed.map(() => r2.se()), signed);
});

test('a code with more than 31 leading zeros is invalid, not a huge number', () => {
  const r = new BitReader(hex('00 00 00 00 80'), (m) => new MediaFormatError('SPS', m));
  assert.throws(() => r.ue('pic_width_in_mbs_minus1'), (e: unknown) => e instanceof MediaFormatError && /pic_width_in_mbs_minus1.*leading zeros/.test(e.message));
});

test('reading past the end throws the typed error naming the field, at every position', () => {
  const data = hex('f0 0f');
  for (let start = 0; start <= 16; start++) {
    const r = new BitReader(data);
    r.skip(start);
    assert.throws(() => r.u(17 - start, 'level_idc'), (e: unknown) => e instanceof ProtocolError && /truncated level_idc/.test(e.message));
  }
  const empty = new BitReader(Buffer.alloc(0), (m) => new MediaFormatError('AudioSpecificConfig', m));
  assert.throws(() => empty.flag('frameLengthFlag'), MediaFormatError);
  assert.throws(() => empty.ue(), MediaFormatError);
  // A code whose suffix is cut off.
  assert.throws(() => new BitReader(hex('01 // 0000 0001: 7 zeros, a one, no suffix')).ue(), ProtocolError);
});

test('the end byte bounds the reader; align() skips to the next byte', () => {
  const r = new BitReader(hex('ff 00 ff'), undefined, 1, 2);
  assert.equal(r.bitsLeft, 8);
  r.u(3);
  r.align();
  assert.equal(r.bitsLeft, 0);
  r.align();
  assert.throws(() => r.u(1), ProtocolError);
  assert.throws(() => r.u(33), RangeError);
});
