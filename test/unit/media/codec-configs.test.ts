import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaFormatError } from '../../../src/errors.js';
import { av1LevelName, parseAv1CodecConfig } from '../../../src/media/av1.js';
import { hevcLevelName, parseHevcDecoderConfig } from '../../../src/media/hevc.js';
import { buildVpCodecConfig, parseVp9FrameHeader, parseVpCodecConfig } from '../../../src/media/vp9.js';
import { AV1_RECORDS, HEVC_RECORDS, VP9_FRAMES, VPC_RECORDS } from '../../helpers/codec-vectors.js';
import { hex } from '../../helpers/hex.js';

/** Every strict prefix of `data` is a MediaFormatError (never a RangeError or a bogus parse). */
function everyTruncationFails(data: Buffer, parse: (b: Buffer) => unknown, minimum: number): void {
  for (let n = 0; n < minimum; n++) assert.throws(() => parse(data.subarray(0, n)), MediaFormatError, `${n} bytes`);
}

test('hvcC of libx265 Main: profile, tier, level, conformance window', () => {
  const c = parseHevcDecoderConfig(HEVC_RECORDS[0]!);
  assert.deepEqual([c.profileIdc, c.levelIdc, c.chromaFormatIdc, c.bitDepthLuma, c.nalLengthSize], [1, 30, 1, 8, 4]);
  assert.deepEqual(c.arrays.map((a) => [a.nalUnitType, a.nalus.length]), [[32, 1], [33, 1], [34, 1]]);
  const s = c.spsInfo;
  assert.deepEqual([s.profile, s.tier, s.level, s.codecString], ['Main', 'Main', '1', 'hvc1.1.6.L30.90']);
  assert.deepEqual([s.codedWidth, s.codedHeight, s.width, s.height], [200, 112, 200, 110]);
  assert.deepEqual(s.crop, { left: 0, right: 0, top: 0, bottom: 2 });
  const rext = parseHevcDecoderConfig(HEVC_RECORDS[1]!).spsInfo;
  assert.deepEqual([rext.profile, rext.chromaFormat, rext.bitDepthLuma, rext.bitDepthChroma, rext.width, rext.height], ['Rext', '4:2:2', 10, 10, 176, 100]);
  // Everything up to the end of the SPS array is needed.
  everyTruncationFails(HEVC_RECORDS[0]!, parseHevcDecoderConfig, 99);
  assert.deepEqual([hevcLevelName(93), hevcLevelName(120), hevcLevelName(186)], ['3.1', '4', '6.2']);
});

test('malformed hvcC', () => {
  const bad = Buffer.from(HEVC_RECORDS[0]!);
  bad[0] = 0;
  assert.throws(() => parseHevcDecoderConfig(bad), /configurationVersion 0/);
  const noSps = Buffer.concat([HEVC_RECORDS[0]!.subarray(0, 22), hex('00 // no arrays')]);
  assert.throws(() => parseHevcDecoderConfig(noSps), /no sequence parameter set/);
  const lying = Buffer.concat([HEVC_RECORDS[0]!.subarray(0, 22), hex('01 a0 ffff // 65535 VPS NAL units in 0 bytes')]);
  assert.throws(() => parseHevcDecoderConfig(lying), /numNalus 65535/);
});

test('av1C with its sequence header: libaom 8-bit and SVT-AV1 10-bit', () => {
  const aom = parseAv1CodecConfig(AV1_RECORDS[0]!);
  assert.deepEqual([aom.seqProfile, aom.seqLevelIdx0, aom.highBitdepth, aom.chromaSubsamplingX, aom.chromaSubsamplingY], [0, 0, false, 1, 1]);
  const s = aom.sequenceHeader!;
  assert.deepEqual([s.profile, s.level, s.width, s.height, s.bitDepth, s.chromaFormat, s.codecString], ['Main', '2.0', 200, 110, 8, '4:2:0', 'av01.0.00M.08']);
  const svt = parseAv1CodecConfig(AV1_RECORDS[1]!).sequenceHeader!;
  assert.deepEqual([svt.bitDepth, svt.width, svt.height], [10, 192, 108]);
  // A record without configOBUs is valid; only the four fixed bytes are needed.
  assert.equal(parseAv1CodecConfig(AV1_RECORDS[0]!.subarray(0, 4)).sequenceHeader, undefined);
  everyTruncationFails(AV1_RECORDS[0]!, parseAv1CodecConfig, 4);
  assert.throws(() => parseAv1CodecConfig(hex('01 00 0c 00 // marker bit 0')), /marker bit/);
  assert.throws(() => parseAv1CodecConfig(Buffer.concat([AV1_RECORDS[0]!.subarray(0, 4), hex('0a 0b 00 // sequence header OBU cut short')])), MediaFormatError);
  assert.deepEqual([av1LevelName(8), av1LevelName(13), av1LevelName(31)], ['4.0', '5.1', 'max']);
});

test('vpcC in both forms, and the VP9 key frame header', () => {
  assert.deepEqual(parseVpCodecConfig(VPC_RECORDS[0]!), {
    profile: 0, levelIdc: 10, level: '1', bitDepth: 8, chromaSubsampling: 1, chromaFormat: '4:2:0', fullRange: false,
    colourPrimaries: 2, transferCharacteristics: 2, matrixCoefficients: 2, codecString: 'vp09.00.10.08',
  });
  const bare = parseVpCodecConfig(VPC_RECORDS[1]!);
  assert.deepEqual([bare.profile, bare.level, bare.bitDepth, bare.chromaFormat], [3, '3.1', 10, '4:4:4']);
  assert.throws(() => parseVpCodecConfig(hex('00 0a 92 02 02 02 0000 // bitDepth 9')), /bitDepth 9/);
  everyTruncationFails(VPC_RECORDS[0]!, parseVpCodecConfig, 12);
  // Built as ffmpeg writes it: the libvpx record byte for byte.
  assert.deepEqual(buildVpCodecConfig({ profile: 0, levelIdc: 10, bitDepth: 8, chromaSubsampling: 1, fullRange: false }), VPC_RECORDS[0]);
  assert.deepEqual(parseVpCodecConfig(buildVpCodecConfig({ profile: 2, levelIdc: 41, bitDepth: 10, chromaSubsampling: 0, fullRange: true, colourPrimaries: 9, transferCharacteristics: 16, matrixCoefficients: 9 })), {
    profile: 2, levelIdc: 41, level: '4.1', bitDepth: 10, chromaSubsampling: 0, chromaFormat: '4:2:0', fullRange: true,
    colourPrimaries: 9, transferCharacteristics: 16, matrixCoefficients: 9, codecString: 'vp09.02.41.10',
  });
  assert.throws(() => buildVpCodecConfig({ profile: 0, levelIdc: 10, bitDepth: 9, chromaSubsampling: 1, fullRange: false }), RangeError);
  assert.deepEqual(parseVp9FrameHeader(VP9_FRAMES[0]!), { profile: 0, bitDepth: 8, colorSpace: 0, fullRange: false, subsamplingX: 1, subsamplingY: 1, chromaFormat: '4:2:0', width: 200, height: 110 });
  assert.deepEqual(parseVp9FrameHeader(VP9_FRAMES[1]!)?.chromaFormat, '4:4:4');
  assert.equal(parseVp9FrameHeader(hex('86 00 // inter frame')), undefined);
  assert.throws(() => parseVp9FrameHeader(hex('82 49 83 43 // bad sync code')), /frame_sync_code/);
});
