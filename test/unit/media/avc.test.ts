/**
 * AVCDecoderConfigurationRecord and SPS parsing, against vectors from real
 * encoder output: the Debian 12 ffmpeg 5.1 with libx264 (core 164), each
 * command given above its vector, the record taken from the FLV's AVC
 * sequence header (the bytes after the 5-byte video tag header). Expected
 * values are what ffprobe reports for the same files. Cases no encoder here
 * produces (no VUI, VUI without timing, pic_order_cnt_type 1) are built field
 * by field with the test BitWriter.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaFormatError } from '../../../src/errors.js';
import { avcLevelName, avcProfileName, parseAvcDecoderConfig, parseSps, removeEmulationPrevention, type SpsInfo } from '../../../src/media/avc.js';
import { BitWriter } from '../../helpers/bit-writer.js';
import { hex } from '../../helpers/hex.js';

/** ffmpeg -f lavfi -i testsrc2=size=320x240:rate=30 -c:v libx264 -profile:v baseline -preset veryfast -f flv */
const BASELINE_240 = hex(
  '01 // configurationVersion 1',
  '42c00d // AVCProfileIndication 66, profile_compatibility 0xc0, AVCLevelIndication 13',
  'ff // reserved 111111, lengthSizeMinusOne 3',
  'e1 // reserved 111, numOfSequenceParameterSets 1',
  '0016 // sequenceParameterSetLength 22',
  '6742c00dda0507ec0440000003004000000f03c50aa8 // SPS NAL unit (Constrained Baseline 1.3, 320x240, POC type 2, VUI 60/(2*1) = 30 fps)',
  '01 // numOfPictureParameterSets 1',
  '0004 // pictureParameterSetLength 4',
  '68ce0fc8 // PPS NAL unit',
);

/** ffmpeg -f lavfi -i testsrc2=size=128x96:rate=15 -c:v libx264 -profile:v baseline -level 1b -preset veryfast -f flv */
const L1B_BASELINE = hex(
  '01 // configurationVersion 1',
  '42d00b // AVCProfileIndication 66, profile_compatibility 0xd0, AVCLevelIndication 11',
  'ff // reserved 111111, lengthSizeMinusOne 3',
  'e1 // reserved 111, numOfSequenceParameterSets 1',
  '0017 // sequenceParameterSetLength 23',
  '6742d00bda0836c044000003000400000300783c489a80 // SPS NAL unit (Constrained Baseline, level_idc 11 + constraint_set3 = level 1b, 128x96, 15 fps)',
  '01 // numOfPictureParameterSets 1',
  '0004 // pictureParameterSetLength 4',
  '68ce0fc8 // PPS NAL unit',
);

/** ffmpeg -f lavfi -i testsrc2=size=1280x720:rate=25 -c:v libx264 -profile:v main -preset veryfast -f flv */
const MAIN_720 = hex(
  '01 // configurationVersion 1',
  '4d401f // AVCProfileIndication 77, profile_compatibility 0x40, AVCLevelIndication 31',
  'ff // reserved 111111, lengthSizeMinusOne 3',
  'e1 // reserved 111, numOfSequenceParameterSets 1',
  '0019 // sequenceParameterSetLength 25',
  '674d401feca02802dd80880000030008000003019078c18cb0 // SPS NAL unit (Main 3.1, 1280x720, VUI 50/(2*1) = 25 fps)',
  '01 // numOfPictureParameterSets 1',
  '0004 // pictureParameterSetLength 4',
  '68ef8fc8 // PPS NAL unit',
);

/** ffmpeg -f lavfi -i testsrc2=size=1920x1080:rate=30000/1001 -c:v libx264 -profile:v high -preset veryfast -f flv */
const HIGH_1080 = hex(
  '01 // configurationVersion 1',
  '640028 // AVCProfileIndication 100, profile_compatibility 0x00, AVCLevelIndication 40',
  'ff // reserved 111111, lengthSizeMinusOne 3',
  'e1 // reserved 111, numOfSequenceParameterSets 1',
  '0019 // sequenceParameterSetLength 25',
  '67640028acd940780227e5c04400000fa40003a9803c60c658 // SPS NAL unit (High 4.0, 1920x1088 cropped bottom 8, VUI 60000/(2*1001) = 29.97 fps)',
  '01 // numOfPictureParameterSets 1',
  '0004 // pictureParameterSetLength 4',
  '68ef8fcb // PPS NAL unit',
  'fdf8f800 // chroma_format 1, bit_depth_luma_minus8 0, bit_depth_chroma_minus8 0, numOfSequenceParameterSetExt 0',
);

/** ffmpeg -f lavfi -i testsrc2=size=640x360:rate=50 -c:v libx264 -pix_fmt yuv420p10le -preset veryfast -f flv */
const HIGH10 = hex(
  '01 // configurationVersion 1',
  '6e001f // AVCProfileIndication 110, profile_compatibility 0x00, AVCLevelIndication 31',
  'ff // reserved 111111, lengthSizeMinusOne 3',
  'e1 // reserved 111, numOfSequenceParameterSets 1',
  '001a // sequenceParameterSetLength 26',
  '676e001fa6cd940a02ff970110000003001000000640f1831960 // SPS NAL unit (High 10 3.1, 10-bit 4:2:0, 640x368 cropped bottom 8, 50 fps)',
  '01 // numOfPictureParameterSets 1',
  '0004 // pictureParameterSetLength 4',
  '68ef8fcb // PPS NAL unit',
  'fdfafa00 // chroma_format 1, bit_depth_luma_minus8 2, bit_depth_chroma_minus8 2, numOfSequenceParameterSetExt 0',
);

/** ffmpeg -f lavfi -i testsrc2=size=640x360:rate=24 -c:v libx264 -pix_fmt yuv422p10le -preset veryfast -f flv */
const HIGH422 = hex(
  '01 // configurationVersion 1',
  '7a001e // AVCProfileIndication 122, profile_compatibility 0x00, AVCLevelIndication 30',
  'ff // reserved 111111, lengthSizeMinusOne 3',
  'e1 // reserved 111, numOfSequenceParameterSets 1',
  '001b // sequenceParameterSetLength 27',
  '677a001eb6cd940a02ff89c044000003000400000300c03c58b658 // SPS NAL unit (High 4:2:2 3.0, 10-bit 4:2:2, 640x368 cropped bottom 8 (crop unit 1 row), 24 fps)',
  '01 // numOfPictureParameterSets 1',
  '0004 // pictureParameterSetLength 4',
  '68ef8fcb // PPS NAL unit',
  'fefafa00 // chroma_format 2, bit_depth_luma_minus8 2, bit_depth_chroma_minus8 2, numOfSequenceParameterSetExt 0',
);

/** ffmpeg -f lavfi -i testsrc2=size=352x288:rate=15 -c:v libx264 -pix_fmt yuv444p -preset veryfast -f flv */
const HIGH444 = hex(
  '01 // configurationVersion 1',
  'f4000c // AVCProfileIndication 244, profile_compatibility 0x00, AVCLevelIndication 12',
  'ff // reserved 111111, lengthSizeMinusOne 3',
  'e1 // reserved 111, numOfSequenceParameterSets 1',
  '0018 // sequenceParameterSetLength 24',
  '67f4000c919b282c12d80880000003008000000f078a14cb // SPS NAL unit (High 4:4:4 Predictive 1.2, 352x288, 15 fps)',
  '01 // numOfPictureParameterSets 1',
  '0006 // pictureParameterSetLength 6',
  '68ef8f192190 // PPS NAL unit',
  'fff8f800 // chroma_format 3, bit_depth_luma_minus8 0, bit_depth_chroma_minus8 0, numOfSequenceParameterSetExt 0',
);

/** ffmpeg -f lavfi -i testsrc2=size=1920x1080:rate=25 -c:v libx264 -flags +ildct+ilme -x264-params tff=1 -preset veryfast -f flv */
const INTERLACED = hex(
  '01 // configurationVersion 1',
  '640028 // AVCProfileIndication 100, profile_compatibility 0x00, AVCLevelIndication 40',
  'ff // reserved 111111, lengthSizeMinusOne 3',
  'e1 // reserved 111, numOfSequenceParameterSets 1',
  '001a // sequenceParameterSetLength 26',
  '67640028acd94078044fde0220000003002000000643e2c5b2c0 // SPS NAL unit (High 4.0, frame_mbs_only 0: 34 map units x 32 rows = 1088, cropped bottom 8, 25 fps)',
  '01 // numOfPictureParameterSets 1',
  '0004 // pictureParameterSetLength 4',
  '68fe8fcb // PPS NAL unit',
  'fdf8f800 // chroma_format 1, bit_depth_luma_minus8 0, bit_depth_chroma_minus8 0, numOfSequenceParameterSetExt 0',
);

/** ffmpeg -f lavfi -i testsrc2=size=720x576:rate=25 -vf setsar=64/45 -c:v libx264 -preset veryfast -f flv */
const SAR_64_45 = hex(
  '01 // configurationVersion 1',
  '64001e // AVCProfileIndication 100, profile_compatibility 0x00, AVCLevelIndication 30',
  'ff // reserved 111111, lengthSizeMinusOne 3',
  'e1 // reserved 111, numOfSequenceParameterSets 1',
  '001d // sequenceParameterSetLength 29',
  '6764001eacd940b4126ffc010000b440000003004000000c83c58b6580 // SPS NAL unit (High 3.0, 720x576, aspect_ratio_idc 255 (Extended_SAR) 64:45)',
  '01 // numOfPictureParameterSets 1',
  '0004 // pictureParameterSetLength 4',
  '68ef8fcb // PPS NAL unit',
  'fdf8f800 // chroma_format 1, bit_depth_luma_minus8 0, bit_depth_chroma_minus8 0, numOfSequenceParameterSetExt 0',
);

/** ffmpeg -f lavfi -i testsrc2=size=854x480:rate=25 -c:v libx264 -preset veryfast -bsf:v h264_metadata=crop_left=4:crop_right=10 -f flv */
const CROP_LEFT_RIGHT = hex(
  '01 // configurationVersion 1',
  '64001e // AVCProfileIndication 100, profile_compatibility 0x00, AVCLevelIndication 30',
  'ff // reserved 111111, lengthSizeMinusOne 3',
  'e1 // reserved 111, numOfSequenceParameterSets 1',
  '001a // sequenceParameterSetLength 26',
  '6764001eacd940d83dd9bc0440000003004000000c83c58b6580 // SPS NAL unit (High 3.0, 864x480 cropped left 4 and right 10 = 850x480)',
  '01 // numOfPictureParameterSets 1',
  '0004 // pictureParameterSetLength 4',
  '68ef8fcb // PPS NAL unit',
  'fdf8f800 // chroma_format 1, bit_depth_luma_minus8 0, bit_depth_chroma_minus8 0, numOfSequenceParameterSetExt 0',
);

/** ffmpeg -f lavfi -i testsrc2=size=160x120:rate=10 -pix_fmt gray -c:v libx264 -preset veryfast -f flv */
const GRAY = hex(
  '01 // configurationVersion 1',
  '64000a // AVCProfileIndication 100, profile_compatibility 0x00, AVCLevelIndication 10',
  'ff // reserved 111111, lengthSizeMinusOne 3',
  'e1 // reserved 111, numOfSequenceParameterSets 1',
  '001a // sequenceParameterSetLength 26',
  '6764000af3650a11f89c05b2000003000200000300281e244b2c // SPS NAL unit (High 1.0, chroma_format_idc 0 (4:0:0), 160x128 cropped bottom 8, full range)',
  '01 // numOfPictureParameterSets 1',
  '0004 // pictureParameterSetLength 4',
  '68ef8fcb // PPS NAL unit',
  'fcf8f800 // chroma_format 0, bit_depth_luma_minus8 0, bit_depth_chroma_minus8 0, numOfSequenceParameterSetExt 0',
);

/** ffmpeg -f lavfi -i testsrc2=size=1280x720:rate=60 -c:v libx264 -preset veryfast -color_primaries bt709 -color_trc bt709 -colorspace bt709 -chroma_sample_location topleft -f flv */
const BT709 = hex(
  '01 // configurationVersion 1',
  '640020 // AVCProfileIndication 100, profile_compatibility 0x00, AVCLevelIndication 32',
  'ff // reserved 111111, lengthSizeMinusOne 3',
  'e1 // reserved 111, numOfSequenceParameterSets 1',
  '001e // sequenceParameterSetLength 30',
  '67640020acd9405005bb016a0202036e000003000200000300f01e30632c // SPS NAL unit (High 3.2, 1280x720, BT.709 colour description, chroma location, 60 fps)',
  '01 // numOfPictureParameterSets 1',
  '0004 // pictureParameterSetLength 4',
  '68ef8fcb // PPS NAL unit',
  'fdf8f800 // chroma_format 1, bit_depth_luma_minus8 0, bit_depth_chroma_minus8 0, numOfSequenceParameterSetExt 0',
);

/**
 * x264 AVC-Intra (the only x264 mode that puts scaling matrices in the SPS),
 * which needs Annex B output: the SPS NAL unit as found after a start code.
 * ffmpeg -f lavfi -i testsrc2=size=1920x1080:rate=25 -pix_fmt yuv422p10le -c:v libx264 -x264-params avcintra-class=100:interlaced=1 -f h264
 */
const AVCI100_SPS = hex(
  '67 // forbidden_zero_bit 0, nal_ref_idc 3, nal_unit_type 7 (SPS)',
  '7a 10 29 // profile_idc 122 (High 4:2:2), constraint_set3 (Intra), level_idc 41',
  'b6d420223319c6632321011198ce33191821033a46656a6524ade91232141a2634ada441822301502b1a24694830402e111208c68c0441284c34f01e0113f2e0220000030002000003006508',
  '// the rest: seq_scaling_matrix_present_flag 1 and its lists, 1920x1088 in 34 field map units, crop bottom 8, VUI',
);
/** The same with avcintra-class=50, 1440x1080, yuv420p10le: SAR 4:3 (1440 displayed as 1920). */
const AVCI50_SPS = hex(
  '67 // nal_unit_type 7',
  '6e 10 28 // profile_idc 110 (High 10), constraint_set3 (Intra), level_idc 40',
  'a6d42032330c7118886210191986388c44302102564e6e61873e734d980c03069c0b73e6c0b518630d39e05b02d4c6191a798c323424f0168113f787080000030008000003019420',
);

type Expected = Pick<SpsInfo, 'profile' | 'level' | 'codecString' | 'width' | 'height' | 'codedWidth' | 'codedHeight' | 'chromaFormat' | 'bitDepthLuma' | 'frameMbsOnly'> & {
  fps: number | undefined;
  sar: string | undefined;
};

const CASES: Array<[string, Buffer, Expected]> = [
  ['Constrained Baseline', BASELINE_240, { profile: 'Constrained Baseline', level: '1.3', codecString: 'avc1.42c00d', width: 320, height: 240, codedWidth: 320, codedHeight: 240, chromaFormat: '4:2:0', bitDepthLuma: 8, frameMbsOnly: true, fps: 30, sar: '1:1' }],
  ['level 1b', L1B_BASELINE, { profile: 'Constrained Baseline', level: '1b', codecString: 'avc1.42d00b', width: 128, height: 96, codedWidth: 128, codedHeight: 96, chromaFormat: '4:2:0', bitDepthLuma: 8, frameMbsOnly: true, fps: 15, sar: '1:1' }],
  ['Main', MAIN_720, { profile: 'Main', level: '3.1', codecString: 'avc1.4d401f', width: 1280, height: 720, codedWidth: 1280, codedHeight: 720, chromaFormat: '4:2:0', bitDepthLuma: 8, frameMbsOnly: true, fps: 25, sar: '1:1' }],
  ['High 1080 (coded 1088)', HIGH_1080, { profile: 'High', level: '4.0', codecString: 'avc1.640028', width: 1920, height: 1080, codedWidth: 1920, codedHeight: 1088, chromaFormat: '4:2:0', bitDepthLuma: 8, frameMbsOnly: true, fps: 30000 / 1001, sar: '1:1' }],
  ['High 10', HIGH10, { profile: 'High 10', level: '3.1', codecString: 'avc1.6e001f', width: 640, height: 360, codedWidth: 640, codedHeight: 368, chromaFormat: '4:2:0', bitDepthLuma: 10, frameMbsOnly: true, fps: 50, sar: '1:1' }],
  ['High 4:2:2 10-bit', HIGH422, { profile: 'High 4:2:2', level: '3.0', codecString: 'avc1.7a001e', width: 640, height: 360, codedWidth: 640, codedHeight: 368, chromaFormat: '4:2:2', bitDepthLuma: 10, frameMbsOnly: true, fps: 24, sar: '1:1' }],
  ['High 4:4:4 Predictive', HIGH444, { profile: 'High 4:4:4 Predictive', level: '1.2', codecString: 'avc1.f4000c', width: 352, height: 288, codedWidth: 352, codedHeight: 288, chromaFormat: '4:4:4', bitDepthLuma: 8, frameMbsOnly: true, fps: 15, sar: '1:1' }],
  ['interlaced', INTERLACED, { profile: 'High', level: '4.0', codecString: 'avc1.640028', width: 1920, height: 1080, codedWidth: 1920, codedHeight: 1088, chromaFormat: '4:2:0', bitDepthLuma: 8, frameMbsOnly: false, fps: 25, sar: '1:1' }],
  ['extended SAR', SAR_64_45, { profile: 'High', level: '3.0', codecString: 'avc1.64001e', width: 720, height: 576, codedWidth: 720, codedHeight: 576, chromaFormat: '4:2:0', bitDepthLuma: 8, frameMbsOnly: true, fps: 25, sar: '64:45' }],
  ['left and right cropping', CROP_LEFT_RIGHT, { profile: 'High', level: '3.0', codecString: 'avc1.64001e', width: 850, height: 480, codedWidth: 864, codedHeight: 480, chromaFormat: '4:2:0', bitDepthLuma: 8, frameMbsOnly: true, fps: 25, sar: '1:1' }],
  ['monochrome', GRAY, { profile: 'High', level: '1.0', codecString: 'avc1.64000a', width: 160, height: 120, codedWidth: 160, codedHeight: 128, chromaFormat: '4:0:0', bitDepthLuma: 8, frameMbsOnly: true, fps: 10, sar: '1:1' }],
  ['BT.709 colour description', BT709, { profile: 'High', level: '3.2', codecString: 'avc1.640020', width: 1280, height: 720, codedWidth: 1280, codedHeight: 720, chromaFormat: '4:2:0', bitDepthLuma: 8, frameMbsOnly: true, fps: 60, sar: '1:1' }],
];

function summary(s: SpsInfo): Expected {
  return {
    profile: s.profile,
    level: s.level,
    codecString: s.codecString,
    width: s.width,
    height: s.height,
    codedWidth: s.codedWidth,
    codedHeight: s.codedHeight,
    chromaFormat: s.chromaFormat,
    bitDepthLuma: s.bitDepthLuma,
    frameMbsOnly: s.frameMbsOnly,
    fps: s.vui?.timing?.fps,
    sar: s.vui?.sar ? `${s.vui.sar.width}:${s.vui.sar.height}` : undefined,
  };
}

for (const [name, record, expected] of CASES) {
  test(`libx264 ${name}: what ffprobe reports`, () => {
    const c = parseAvcDecoderConfig(record);
    assert.deepEqual(summary(c.spsInfo), expected);
    assert.equal(c.nalLengthSize, 4);
    assert.equal(c.sps.length, 1);
    assert.equal(c.pps.length, 1);
    assert.equal(c.profileIndication, c.spsInfo.profileIdc);
  });
}

test('the record: High-profile extension, NAL length size, parameter set copies', () => {
  const c = parseAvcDecoderConfig(HIGH422);
  assert.deepEqual(c.extension, { chromaFormatIdc: 2, bitDepthLuma: 10, bitDepthChroma: 10, spsExtCount: 0 });
  assert.equal(c.extension?.chromaFormatIdc, c.spsInfo.chromaFormatIdc);
  assert.equal(parseAvcDecoderConfig(BASELINE_240).extension, undefined, 'Baseline records have no extension');
  const twoByteLengths = Buffer.from(MAIN_720);
  twoByteLengths[4] = 0xfd;
  assert.equal(parseAvcDecoderConfig(twoByteLengths).nalLengthSize, 2);
});

test('details: crop, VUI timing and fixed_frame_rate_flag, colour description, scaling-list skipping', () => {
  assert.deepEqual(parseAvcDecoderConfig(CROP_LEFT_RIGHT).spsInfo.crop, { left: 4, right: 10, top: 0, bottom: 0 });
  assert.deepEqual(parseAvcDecoderConfig(HIGH_1080).spsInfo.vui?.timing, { numUnitsInTick: 1001, timeScale: 60000, fixedFrameRate: false, fps: 30000 / 1001 });
  assert.deepEqual(parseAvcDecoderConfig(BT709).spsInfo.vui?.videoSignal, { videoFormat: 5, fullRange: false, colourPrimaries: 1, transferCharacteristics: 1, matrixCoefficients: 1 });
  assert.deepEqual(parseAvcDecoderConfig(GRAY).spsInfo.vui?.videoSignal, { videoFormat: 5, fullRange: true });
  const i100 = parseSps(AVCI100_SPS);
  assert.deepEqual([i100.profile, i100.level, i100.scalingMatrixPresent, i100.width, i100.height, i100.frameMbsOnly, i100.chromaFormat, i100.bitDepthLuma], ['High 4:2:2 Intra', '4.1', true, 1920, 1080, false, '4:2:2', 10]);
  assert.deepEqual(i100.vui?.timing, { numUnitsInTick: 1, timeScale: 50, fixedFrameRate: true, fps: 25 });
  const i50 = parseSps(AVCI50_SPS);
  assert.deepEqual([i50.profile, i50.width, i50.height, i50.scalingMatrixPresent, i50.vui?.sar], ['High 10 Intra', 1440, 1080, true, { width: 4, height: 3 }]);
});

/** An SPS built field by field: Main profile, 1280x720 (crop bottom 8 of 736), options for the parts under test. */
function buildSps(opts: { vui?: 'none' | 'no-timing' | 'zero-tick'; pocType?: 0 | 1 | 2 } = {}): Buffer {
  const w = new BitWriter().u(8, 0x67).u(8, 77).u(8, 0x40).u(8, 31).ue(0);
  w.ue(0); // log2_max_frame_num_minus4
  const poc = opts.pocType ?? 0;
  w.ue(poc);
  if (poc === 0) w.ue(2);
  if (poc === 1) w.flag(false).se(-3).se(2).ue(3).se(1).se(-1).se(7);
  w.ue(1).flag(false); // max_num_ref_frames, gaps_in_frame_num_value_allowed_flag
  w.ue(79).ue(45).flag(true).flag(true); // 80 x 46 macroblocks, frame_mbs_only, direct_8x8_inference
  w.flag(true).ue(0).ue(0).ue(0).ue(8); // crop 16 rows: 736 → 720
  const vui = opts.vui ?? 'none';
  w.flag(vui !== 'none');
  if (vui !== 'none') {
    w.flag(true).u(8, 14); // aspect_ratio_idc 14 = 4:3
    w.flag(false).flag(false).flag(false); // overscan, video signal, chroma loc
    w.flag(vui === 'zero-tick');
    if (vui === 'zero-tick') w.u(32, 0).u(32, 50).flag(true);
    w.flag(false).flag(false).flag(false).flag(false); // NAL/VCL HRD, pic_struct, bitstream_restriction
  }
  return w.nal();
}

test('SPS without VUI, VUI without timing, a zero num_units_in_tick, pic_order_cnt_type 1', () => {
  const none = parseSps(buildSps());
  assert.deepEqual([none.profile, none.level, none.width, none.height, none.vui], ['Main', '3.1', 1280, 720, undefined]);
  const noTiming = parseSps(buildSps({ vui: 'no-timing' }));
  assert.deepEqual(noTiming.vui, { sar: { width: 4, height: 3 } });
  assert.equal(parseSps(buildSps({ vui: 'zero-tick' })).vui?.timing?.fps, undefined);
  const poc1 = parseSps(buildSps({ pocType: 1 }));
  assert.deepEqual([poc1.pocType, poc1.width, poc1.height], [1, 1280, 720]);
});

test('emulation prevention bytes are removed before parsing', () => {
  assert.deepEqual([...removeEmulationPrevention(hex('00 00 03 01 00 00 03 00 00 03'))], [0, 0, 1, 0, 0, 0, 0]);
  const plain = hex('67 4d 40 1f');
  assert.equal(removeEmulationPrevention(plain), plain, 'no copy when there is nothing to remove');
  // The real vectors carry them ("...0000 03 00..."); removing them is what makes the VUI timing right.
  assert.ok(BASELINE_240.includes(hex('000003')));
});

/** Every prefix either fails with MediaFormatError or, if it holds every field read, parses to the same result. */
function assertTruncationsTyped(data: Buffer, parse: (b: Buffer) => unknown, full: unknown, mustFailBefore: number): void {
  for (let n = 0; n < data.length; n++) {
    let got: unknown;
    try {
      got = parse(data.subarray(0, n));
    } catch (e) {
      assert.ok(e instanceof MediaFormatError, `prefix ${n}: ${String(e)}`);
      continue;
    }
    assert.ok(n >= mustFailBefore, `prefix ${n} of ${data.length} parsed`);
    assert.deepEqual(got, full, `prefix ${n} parsed differently`);
  }
}

test('every truncation of every record and SPS is a MediaFormatError, never a RangeError', () => {
  for (const [name, record] of CASES) {
    const full = parseAvcDecoderConfig(record);
    const spsLen = record.readUInt16BE(6);
    const ppsEnd = 8 + spsLen + 1 + 2 + record.readUInt16BE(8 + spsLen + 1);
    const { extension: _ext, ...withoutExtension } = full;
    assertTruncationsTyped(record, (b) => {
      const { extension: _e, ...rest } = parseAvcDecoderConfig(b);
      return rest;
    }, withoutExtension, ppsEnd);
    const sps = full.sps[0]!;
    assertTruncationsTyped(sps, (b) => parseSps(b), full.spsInfo, 4);
    assert.ok(name);
  }
  for (const sps of [AVCI100_SPS, AVCI50_SPS, buildSps({ vui: 'no-timing', pocType: 1 })]) assertTruncationsTyped(sps, (b) => parseSps(b), parseSps(sps), 4);
});

test('malformed records and SPS are MediaFormatErrors naming the problem', () => {
  const cases: Array<[Buffer, RegExp]> = [
    [Buffer.concat([hex('02'), MAIN_720.subarray(1)]), /configurationVersion 2/],
    [Buffer.concat([MAIN_720.subarray(0, 4), hex('fe'), MAIN_720.subarray(5)]), /lengthSizeMinusOne 2/],
    [hex('01 4d 40 1f ff e0 // no SPS', '00 // no PPS'), /no sequence parameter set/],
    [Buffer.concat([MAIN_720.subarray(0, 8), hex('68'), MAIN_720.subarray(9)]), /NAL unit type 8 is not a sequence parameter set/],
    [Buffer.concat([MAIN_720.subarray(0, 8), hex('e7'), MAIN_720.subarray(9)]), /forbidden_zero_bit/],
    [hex('01 64 00 1e ff e1 0008', '67 64 00 1e 00 00 00 00 // seq_parameter_set_id: 32 leading zeros', '00'), /leading zeros/],
  ];
  for (const [data, re] of cases) assert.throws(() => parseAvcDecoderConfig(data), (e: unknown) => e instanceof MediaFormatError && e.code === 'RTMP_ERR_MEDIA_FORMAT' && re.test(e.message), re.source);
  const badChroma = new BitWriter().u(8, 0x67).u(8, 100).u(8, 0).u(8, 30).ue(0).ue(4).nal();
  assert.throws(() => parseSps(badChroma), /chroma_format_idc 4 is out of range/);
  const overCropped = new BitWriter().u(8, 0x67).u(8, 66).u(8, 0).u(8, 30).ue(0).ue(0).ue(2).ue(1).flag(false).ue(0).ue(0).flag(true).flag(true).flag(true).ue(4).ue(4).ue(0).ue(0).flag(false).nal();
  assert.throws(() => parseSps(overCropped), /cropping 8\+8 x 0\+0 leaves no picture of 16x16/);
});

test('profile and level names', () => {
  assert.equal(avcProfileName(66, 0x00), 'Baseline');
  assert.equal(avcProfileName(100, 0x0c), 'Constrained High');
  assert.equal(avcProfileName(100, 0x08), 'Progressive High');
  assert.equal(avcProfileName(244, 0x10), 'High 4:4:4 Intra');
  assert.equal(avcProfileName(44, 0), 'CAVLC 4:4:4 Intra');
  assert.equal(avcProfileName(7, 0), 'profile 7');
  assert.equal(avcLevelName(100, 0, 9), '1b');
  assert.equal(avcLevelName(77, 0x10, 11), '1b');
  assert.equal(avcLevelName(100, 0x10, 11), '1.1', 'constraint_set3 means Intra, not 1b, for High profiles');
  assert.equal(avcLevelName(100, 0, 51), '5.1');
});
