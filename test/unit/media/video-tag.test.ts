import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVideoTagHeader, type VideoTagInfo } from '../../../src/media/video-tag.js';
import { hex } from '../../helpers/hex.js';

/** Every strict prefix of a header that needs `headerSize` bytes parses to undefined. */
function assertPrefixesUndefined(payload: Buffer, headerSize: number): void {
  for (let n = 0; n < headerSize; n++) assert.equal(parseVideoTagHeader(payload.subarray(0, n)), undefined, `${n} bytes`);
}

test('legacy AVC sequence header', () => {
  const p = hex('17 // FrameType 1 (key), CodecID 7 (AVC)', '00 // AVCPacketType 0: sequence header', '000000 // CompositionTime 0', '01 4d 40 0d');
  assert.deepEqual(parseVideoTagHeader(p), {
    enhanced: false,
    codec: 'avc',
    codecId: 7,
    frameType: 1,
    packetType: 0,
    sequenceHeader: true,
    keyframe: false,
    compositionTime: 0,
    headerSize: 5,
  } satisfies VideoTagInfo);
  assertPrefixesUndefined(p, 5);
});

test('legacy AVC NALUs with a negative composition time', () => {
  const key = parseVideoTagHeader(hex('17 01 // key frame, AVC NALU', '000050 // CompositionTime +80', '00000002 0910'));
  assert.equal(key?.keyframe, true);
  assert.equal(key?.compositionTime, 80);
  const inter = parseVideoTagHeader(hex('27 // FrameType 2 (inter), AVC', '01 // NALU', 'ffffd8 // CompositionTime -40 (SI24)', '00'));
  assert.equal(inter?.keyframe, false);
  assert.equal(inter?.frameType, 2);
  assert.equal(inter?.compositionTime, -40);
  assert.equal(parseVideoTagHeader(hex('27 01 800000 // most negative SI24'))?.compositionTime, -0x800000);
  assert.equal(parseVideoTagHeader(hex('17 02 000000 // AVC end of sequence'))?.packetType, 2);
});

test('legacy HEVC (CodecID 12) has the same layout as AVC', () => {
  const p = parseVideoTagHeader(hex('1c // key frame, CodecID 12 (HEVC)', '00 000000 // sequence header'));
  assert.equal(p?.codec, 'hevc');
  assert.equal(p?.sequenceHeader, true);
  assert.equal(parseVideoTagHeader(hex('2c 01 fffff6 // HEVC NALU, cts -10'))?.compositionTime, -10);
});

test('other legacy codecs are one header byte', () => {
  const cases: Array<[string, string, number, boolean]> = [
    ['12', 'h263', 1, true],
    ['33', 'screen', 3, false],
    ['24', 'vp6', 2, false],
    ['15', 'vp6a', 1, true],
    ['46', 'screen2', 4, true],
  ];
  for (const [byte, codec, frameType, keyframe] of cases) {
    const p = parseVideoTagHeader(hex(byte, '00 00'));
    assert.equal(p?.codec, codec, byte);
    assert.equal(p?.frameType, frameType, byte);
    assert.equal(p?.keyframe, keyframe, byte);
    assert.equal(p?.headerSize, 1, byte);
    assert.equal(p?.packetType, undefined, byte);
  }
  assert.equal(parseVideoTagHeader(hex('1f // CodecID 15'))?.codec, 'unknown');
});

test('a legacy command frame carries a command byte', () => {
  const p = parseVideoTagHeader(hex('57 // FrameType 5 (command), AVC', '01 // end of client-side seek'));
  assert.equal(p?.command, 1);
  assert.equal(p?.headerSize, 2);
  assert.equal(p?.keyframe, false);
  assert.equal(parseVideoTagHeader(hex('57')), undefined);
});

test('Enhanced RTMP sequence start and coded frames', () => {
  const start = hex('90 // IsExHeader, FrameType 1, PacketType 0 (SequenceStart)', '68766331 // "hvc1"', '01 02');
  assert.deepEqual(parseVideoTagHeader(start), {
    enhanced: true,
    codec: 'hevc',
    fourcc: 'hvc1',
    frameType: 1,
    packetType: 0,
    sequenceHeader: true,
    keyframe: false,
    compositionTime: 0,
    headerSize: 5,
  } satisfies VideoTagInfo);
  assertPrefixesUndefined(start, 5);

  const coded = hex('91 // key frame, PacketType 1 (CodedFrames)', '68766331 // "hvc1"', 'ffff9c // CompositionTime -100', '00000001');
  const p = parseVideoTagHeader(coded);
  assert.equal(p?.compositionTime, -100);
  assert.equal(p?.headerSize, 8);
  assert.equal(p?.keyframe, true);
  assertPrefixesUndefined(coded, 8);

  const avc = parseVideoTagHeader(hex('a1 // inter frame, CodedFrames', '61766331 // "avc1"', '000028 // +40'));
  assert.equal(avc?.codec, 'avc');
  assert.equal(avc?.compositionTime, 40);

  const x = parseVideoTagHeader(hex('93 // key, PacketType 3 (CodedFramesX: no composition time)', '68766331', 'aa'));
  assert.equal(x?.compositionTime, 0);
  assert.equal(x?.headerSize, 5);
  assert.equal(x?.keyframe, true);
});

test('Enhanced RTMP codecs without composition time', () => {
  for (const [fourcc, codec] of [['av01', 'av1'], ['vp09', 'vp9'], ['vp08', 'vp8'], ['xyz1', 'unknown']] as const) {
    const p = parseVideoTagHeader(Buffer.concat([hex('91 // key, CodedFrames'), Buffer.from(fourcc), hex('ffffff')]));
    assert.equal(p?.codec, codec);
    assert.equal(p?.fourcc, fourcc);
    assert.equal(p?.compositionTime, 0);
    assert.equal(p?.headerSize, 5);
  }
  const end = parseVideoTagHeader(hex('92 // SequenceEnd', '61763031 // "av01"'));
  assert.equal(end?.packetType, 2);
});

test('Enhanced RTMP metadata, command, ModEx and multitrack', () => {
  const meta = parseVideoTagHeader(hex('84 // FrameType 0 (ignored for Metadata), PacketType 4', '61763031', '02 0009'));
  assert.equal(meta?.packetType, 4);
  assert.equal(meta?.keyframe, false);

  const cmd = parseVideoTagHeader(hex('d1 // IsExHeader, FrameType 5 (command), CodedFrames', '00 // StartSeek'));
  assert.equal(cmd?.command, 0);
  assert.equal(cmd?.fourcc, undefined);
  assert.equal(cmd?.headerSize, 2);

  const modex = hex(
    '97       // key frame, PacketType 7 (ModEx)',
    '02       // modExDataSize - 1 = 2: three bytes',
    '0003e8   // TimestampOffsetNano 1000',
    '01       // ModExType 0 (TimestampOffsetNano), next PacketType 1 (CodedFrames)',
    '61766331 // "avc1"',
    '000014   // CompositionTime +20',
  );
  const m = parseVideoTagHeader(modex);
  assert.equal(m?.timestampOffsetNano, 1000);
  assert.equal(m?.packetType, 1);
  assert.equal(m?.compositionTime, 20);
  assert.equal(m?.headerSize, modex.length);
  assertPrefixesUndefined(modex, modex.length);

  const big = Buffer.concat([hex('97 ff // modExDataSize escape: UI16 follows', '0100 // 256 + 1 = 257 bytes'), Buffer.alloc(257), hex('10 // ModExType 1, SequenceStart', '61763031')]);
  const b = parseVideoTagHeader(big);
  assert.equal(b?.timestampOffsetNano, undefined);
  assert.equal(b?.sequenceHeader, true);
  assert.equal(b?.headerSize, big.length);

  const mt = parseVideoTagHeader(hex('96 // key, PacketType 6 (Multitrack)', '01 // AvMultitrackType 0 (OneTrack), PacketType 1', '68766331 // "hvc1"', '00 // track id'));
  assert.equal(mt?.multitrackType, 0);
  assert.equal(mt?.packetType, 1);
  assert.equal(mt?.codec, 'hevc');
  assert.equal(mt?.headerSize, 6);
  const many = parseVideoTagHeader(hex('96', '20 // ManyTracksManyCodecs, SequenceStart: FourCC per track', '00'));
  assert.equal(many?.multitrackType, 2);
  assert.equal(many?.fourcc, undefined);
  assert.equal(many?.headerSize, 2);
});

test('never throws on short or garbage input', () => {
  assert.equal(parseVideoTagHeader(Buffer.alloc(0)), undefined);
  assert.equal(parseVideoTagHeader(hex('07 // FrameType 0 is reserved')), undefined);
  for (let i = 0; i < 2000; i++) {
    const junk = Buffer.from(Array.from({ length: i % 12 }, (_, j) => (i * 131 + j * 71 + (i >> 3)) & 0xff));
    assert.doesNotThrow(() => parseVideoTagHeader(junk), junk.toString('hex'));
  }
});
