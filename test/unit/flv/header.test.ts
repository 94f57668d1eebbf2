import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlvFormatError } from '../../../src/errors.js';
import { encodeFlvFileHeader, matchesFlvSignature, parseFlvFileHeader } from '../../../src/flv/header.js';
import { hex } from '../../helpers/hex.js';

const AV_HEADER = hex(
  '464c56   // signature "FLV"',
  '01       // version 1',
  '05       // flags: reserved 00000, audio 1, reserved 0, video 1',
  '00000009 // DataOffset 9',
);

test('encodes the version 1 header for each flag combination', () => {
  assert.deepEqual(encodeFlvFileHeader({ audio: true, video: true }), AV_HEADER);
  assert.deepEqual(encodeFlvFileHeader({ audio: true, video: false }), hex('464c56 01 04 00000009 // audio only'));
  assert.deepEqual(encodeFlvFileHeader({ audio: false, video: true }), hex('464c56 01 01 00000009 // video only'));
  assert.deepEqual(encodeFlvFileHeader({ audio: false, video: false }), hex('464c56 01 00 00000009 // neither'));
});

test('parses the header and ignores reserved flag bits', () => {
  assert.deepEqual(parseFlvFileHeader(AV_HEADER), { version: 1, hasAudio: true, hasVideo: true, dataOffset: 9 });
  const reserved = hex('464c56 01', 'fa // reserved bits set, audio 0, video 0', '0000000d // DataOffset 13');
  assert.deepEqual(parseFlvFileHeader(reserved), { version: 1, hasAudio: false, hasVideo: false, dataOffset: 13 });
});

test('a wrong signature is "not an FLV file" at offset 0', () => {
  const err = catchError(() => parseFlvFileHeader(hex('464c57 01 05 00000009 // "FLW"')));
  assert.ok(err instanceof FlvFormatError);
  assert.equal(err.offset, 0);
  assert.match(err.message, /not an FLV file/);
  assert.equal(err.code, 'RTMP_ERR_FLV_FORMAT');
});

test('an unsupported version is an error at the version byte', () => {
  const err = catchError(() => parseFlvFileHeader(hex('464c56 02 // version 2', '05 00000009')));
  assert.ok(err instanceof FlvFormatError);
  assert.equal(err.offset, 3);
  assert.match(err.message, /unsupported FLV version 2/);
});

test('a DataOffset below 9 is an error at the DataOffset field', () => {
  const err = catchError(() => parseFlvFileHeader(hex('464c56 01 05', '00000008 // DataOffset 8')));
  assert.ok(err instanceof FlvFormatError);
  assert.equal(err.offset, 5);
  assert.match(err.message, /DataOffset 8/);
});

test('short and empty input are explained', () => {
  assert.match(catchError(() => parseFlvFileHeader(Buffer.alloc(0))).message, /empty/);
  assert.match(catchError(() => parseFlvFileHeader(hex('464c5601'))).message, /ended after 4 bytes/);
  assert.match(catchError(() => parseFlvFileHeader(hex('3c68746d6c3e // "<html>"'))).message, /not an FLV file/);
});

test('matchesFlvSignature checks only the bytes present', () => {
  assert.equal(matchesFlvSignature(Buffer.alloc(0)), true);
  assert.equal(matchesFlvSignature(hex('46')), true);
  assert.equal(matchesFlvSignature(hex('464c')), true);
  assert.equal(matchesFlvSignature(hex('47')), false);
  assert.equal(matchesFlvSignature(hex('464c56 01')), true);
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Error);
    return err;
  }
  assert.fail('expected an error');
}
