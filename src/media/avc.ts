/**
 * H.264/AVC codec configuration: the AVCDecoderConfigurationRecord carried by
 * an FLV/RTMP AVC sequence header (ISO/IEC 14496-15 5.3.3.1) and the sequence
 * parameter set inside it (ITU-T H.264 7.3.2.1.1, VUI in E.1.1).
 *
 * Only what a report needs is decoded: profile, level, picture size after
 * cropping, chroma format, bit depth, sample aspect ratio, colour signalling
 * and the VUI frame rate. Parsing stops after the VUI timing information.
 */
import { BitReader } from '../bytes/bit-reader.js';
import { ByteReader } from '../bytes/byte-reader.js';
import { MediaFormatError } from '../errors.js';
import { readSpsVui, type SpsVui } from './avc-vui.js';
import { bounded as boundedIn, shortRead } from './format-error.js';

export type { SpsVui } from './avc-vui.js';

/** What an AVCDecoderConfigurationRecord says, with its first SPS decoded. */
export interface AvcDecoderConfig {
  configurationVersion: number;
  /** AVCProfileIndication (a copy of the SPS's profile_idc). */
  profileIndication: number;
  profileCompatibility: number;
  levelIndication: number;
  /** Bytes of the length prefix before each NAL unit in the frames: 1, 2 or 4. */
  nalLengthSize: number;
  /** The parameter set NAL units, as stored (with emulation prevention bytes). */
  sps: Buffer[];
  pps: Buffer[];
  /** From the record's High-profile extension, when present. */
  extension?: { chromaFormatIdc: number; bitDepthLuma: number; bitDepthChroma: number; spsExtCount: number };
  /** The first SPS, decoded. */
  spsInfo: SpsInfo;
}

/** A decoded sequence parameter set. */
export interface SpsInfo {
  profileIdc: number;
  /** The constraint_set0..5 flags as sent (bit 7 = constraint_set0_flag). */
  constraintFlags: number;
  levelIdc: number;
  /** e.g. "High", "Constrained Baseline", "High 4:2:2 Intra". */
  profile: string;
  /** e.g. "3.1", "1b". */
  level: string;
  /** RFC 6381 codec string, e.g. "avc1.64001f". */
  codecString: string;
  spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormatIdc: number;
  chromaFormat: string;
  separateColourPlane: boolean;
  bitDepthLuma: number;
  bitDepthChroma: number;
  scalingMatrixPresent: boolean;
  pocType: number;
  maxNumRefFrames: number;
  frameMbsOnly: boolean;
  /** Size in luma samples before cropping (whole macroblocks). */
  codedWidth: number;
  codedHeight: number;
  /** Samples cropped from each side. */
  crop: { left: number; right: number; top: number; bottom: number };
  /** Displayed size: coded size minus cropping. */
  width: number;
  height: number;
  /** VUI parameters, when the SPS carries them. */
  vui?: SpsVui;
}

const SPS = 'SPS';
const RECORD = 'AVCDecoderConfigurationRecord';
const NAL_SPS = 7;

/** Profiles whose SPS carries chroma format, bit depths and scaling matrices (7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);
/** Profiles whose AVCDecoderConfigurationRecord may carry the chroma/bit-depth extension (14496-15). */
const RECORD_EXT_PROFILES = new Set([100, 110, 122, 144]);


/**
 * Parses the codec data of an AVC sequence header (the bytes after the FLV
 * video tag header). Throws MediaFormatError for a truncated or inconsistent
 * record or SPS; extra trailing bytes are ignored.
 */
export function parseAvcDecoderConfig(data: Uint8Array): AvcDecoderConfig {
  const r = new ByteReader(data, shortRead(RECORD));
  const configurationVersion = r.u8('configurationVersion');
  if (configurationVersion !== 1) throw new MediaFormatError(RECORD, `configurationVersion ${configurationVersion}, expected 1`);
  const profileIndication = r.u8('AVCProfileIndication');
  const profileCompatibility = r.u8('profile_compatibility');
  const levelIndication = r.u8('AVCLevelIndication');
  const nalLengthSize = (r.u8('lengthSizeMinusOne') & 0x03) + 1;
  if (nalLengthSize === 3) throw new MediaFormatError(RECORD, 'lengthSizeMinusOne 2 (NAL length size must be 1, 2 or 4)');
  const spsCount = r.u8('numOfSequenceParameterSets') & 0x1f;
  const sps: Buffer[] = [];
  for (let i = 0; i < spsCount; i++) sps.push(r.bytes(r.u16('sequenceParameterSetLength'), 'sequenceParameterSetNALUnit'));
  const ppsCount = r.u8('numOfPictureParameterSets');
  const pps: Buffer[] = [];
  for (let i = 0; i < ppsCount; i++) pps.push(r.bytes(r.u16('pictureParameterSetLength'), 'pictureParameterSetNALUnit'));
  const first = sps[0];
  if (first === undefined) throw new MediaFormatError(RECORD, 'no sequence parameter set');
  const config: AvcDecoderConfig = {
    configurationVersion,
    profileIndication,
    profileCompatibility,
    levelIndication,
    nalLengthSize,
    sps,
    pps,
    spsInfo: parseSps(first),
  };
  // Older writers end the record after the PPS even for High profiles.
  if (RECORD_EXT_PROFILES.has(profileIndication) && r.remaining >= 4) {
    const chromaFormatIdc = r.u8() & 0x03;
    const bitDepthLuma = (r.u8() & 0x07) + 8;
    const bitDepthChroma = (r.u8() & 0x07) + 8;
    config.extension = { chromaFormatIdc, bitDepthLuma, bitDepthChroma, spsExtCount: r.u8() };
  }
  return config;
}

/** The RBSP of a NAL unit: every emulation_prevention_three_byte (00 00 03) removed (7.4.1). */
export function removeEmulationPrevention(nal: Uint8Array): Uint8Array {
  let zeros = 0;
  let out: number[] | undefined;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      out ??= Array.from(nal.subarray(0, i));
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out?.push(b);
  }
  return out ? Uint8Array.from(out) : nal;
}

/** Throws unless `v` is within [0, max]: values past the spec's range mean a corrupt SPS. */
const bounded = (v: number, max: number, field: string): number => boundedIn(SPS, v, max, field);

/** Decodes an SPS NAL unit (with its one-byte NAL header). */
export function parseSps(nal: Uint8Array): SpsInfo {
  const rbsp = removeEmulationPrevention(nal);
  const r = new BitReader(rbsp, (m) => new MediaFormatError(SPS, m));
  if (r.u(1, 'forbidden_zero_bit') !== 0) throw new MediaFormatError(SPS, 'forbidden_zero_bit is set');
  r.skip(2, 'nal_ref_idc');
  const nalType = r.u(5, 'nal_unit_type');
  if (nalType !== NAL_SPS) throw new MediaFormatError(SPS, `NAL unit type ${nalType} is not a sequence parameter set (7)`);
  const profileIdc = r.u(8, 'profile_idc');
  const constraintFlags = r.u(8, 'constraint flags');
  const levelIdc = r.u(8, 'level_idc');
  const spsId = bounded(r.ue('seq_parameter_set_id'), 31, 'seq_parameter_set_id');
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  let scalingMatrixPresent = false;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = bounded(r.ue('chroma_format_idc'), 3, 'chroma_format_idc');
    if (chromaFormatIdc === 3) separateColourPlane = r.flag('separate_colour_plane_flag');
    bitDepthLuma = bounded(r.ue('bit_depth_luma_minus8'), 6, 'bit_depth_luma_minus8') + 8;
    bitDepthChroma = bounded(r.ue('bit_depth_chroma_minus8'), 6, 'bit_depth_chroma_minus8') + 8;
    r.skip(1, 'qpprime_y_zero_transform_bypass_flag');
    scalingMatrixPresent = r.flag('seq_scaling_matrix_present_flag');
    if (scalingMatrixPresent) {
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) {
        if (r.flag('seq_scaling_list_present_flag')) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  bounded(r.ue('log2_max_frame_num_minus4'), 12, 'log2_max_frame_num_minus4');
  const pocType = bounded(r.ue('pic_order_cnt_type'), 2, 'pic_order_cnt_type');
  if (pocType === 0) {
    bounded(r.ue('log2_max_pic_order_cnt_lsb_minus4'), 12, 'log2_max_pic_order_cnt_lsb_minus4');
  } else if (pocType === 1) {
    r.skip(1, 'delta_pic_order_always_zero_flag');
    r.se('offset_for_non_ref_pic');
    r.se('offset_for_top_to_bottom_field');
    const cycle = bounded(r.ue('num_ref_frames_in_pic_order_cnt_cycle'), 255, 'num_ref_frames_in_pic_order_cnt_cycle');
    for (let i = 0; i < cycle; i++) r.se('offset_for_ref_frame');
  }
  const maxNumRefFrames = r.ue('max_num_ref_frames');
  r.skip(1, 'gaps_in_frame_num_value_allowed_flag');
  const widthMbs = r.ue('pic_width_in_mbs_minus1') + 1;
  const heightMapUnits = r.ue('pic_height_in_map_units_minus1') + 1;
  const frameMbsOnly = r.flag('frame_mbs_only_flag');
  if (!frameMbsOnly) r.skip(1, 'mb_adaptive_frame_field_flag');
  r.skip(1, 'direct_8x8_inference_flag');
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  const cropping = r.flag('frame_cropping_flag');
  const cropOffsets = cropping
    ? [r.ue('frame_crop_left_offset'), r.ue('frame_crop_right_offset'), r.ue('frame_crop_top_offset'), r.ue('frame_crop_bottom_offset')]
    : [0, 0, 0, 0];
  const vuiPresent = r.flag('vui_parameters_present_flag');

  // Picture size (7.4.2.1.1): crop offsets count in chroma sample units, doubled vertically for field coding.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const fieldFactor = frameMbsOnly ? 1 : 2;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * fieldFactor;
  const codedWidth = widthMbs * 16;
  const codedHeight = heightMapUnits * 16 * fieldFactor;
  crop.left = cropOffsets[0]! * cropUnitX;
  crop.right = cropOffsets[1]! * cropUnitX;
  crop.top = cropOffsets[2]! * cropUnitY;
  crop.bottom = cropOffsets[3]! * cropUnitY;
  if (crop.left + crop.right >= codedWidth || crop.top + crop.bottom >= codedHeight) {
    throw new MediaFormatError(SPS, `cropping ${crop.left}+${crop.right} x ${crop.top}+${crop.bottom} leaves no picture of ${codedWidth}x${codedHeight}`);
  }
  const info: SpsInfo = {
    profileIdc,
    constraintFlags,
    levelIdc,
    profile: avcProfileName(profileIdc, constraintFlags),
    level: avcLevelName(profileIdc, constraintFlags, levelIdc),
    codecString: `avc1.${hex2(profileIdc)}${hex2(constraintFlags)}${hex2(levelIdc)}`,
    spsId,
    chromaFormatIdc,
    chromaFormat: CHROMA_FORMATS[chromaFormatIdc] ?? 'unknown',
    separateColourPlane,
    bitDepthLuma,
    bitDepthChroma,
    scalingMatrixPresent,
    pocType,
    maxNumRefFrames,
    frameMbsOnly,
    codedWidth,
    codedHeight,
    crop,
    width: codedWidth - crop.left - crop.right,
    height: codedHeight - crop.top - crop.bottom,
  };
  if (vuiPresent) info.vui = readSpsVui(r);
  return info;
}

/** scaling_list() (7.3.2.1.1.1): read only to get past it. */
function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size && next !== 0; j++) {
    const delta = r.se('delta_scale');
    if (delta < -128 || delta > 127) throw new MediaFormatError(SPS, `delta_scale ${delta} is out of range -128..127`);
    next = (last + delta + 256) % 256;
    if (next !== 0) last = next;
  }
}

const CHROMA_FORMATS = ['4:0:0', '4:2:0', '4:2:2', '4:4:4'];

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

const set = (flags: number, n: number): boolean => (flags & (0x80 >> n)) !== 0;

/** The profile's name (H.264 Annex A), refined by the constraint flags. */
export function avcProfileName(profileIdc: number, constraintFlags: number): string {
  switch (profileIdc) {
    case 66:
      return set(constraintFlags, 1) ? 'Constrained Baseline' : 'Baseline';
    case 77:
      return 'Main';
    case 88:
      return 'Extended';
    case 100:
      if (set(constraintFlags, 4) && set(constraintFlags, 5)) return 'Constrained High';
      return set(constraintFlags, 4) ? 'Progressive High' : 'High';
    case 110:
      if (set(constraintFlags, 3)) return 'High 10 Intra';
      return set(constraintFlags, 4) ? 'Progressive High 10' : 'High 10';
    case 122:
      return set(constraintFlags, 3) ? 'High 4:2:2 Intra' : 'High 4:2:2';
    case 244:
      return set(constraintFlags, 3) ? 'High 4:4:4 Intra' : 'High 4:4:4 Predictive';
    case 44:
      return 'CAVLC 4:4:4 Intra';
    case 83:
      return 'Scalable Baseline';
    case 86:
      return 'Scalable High';
    case 118:
      return 'Multiview High';
    case 128:
      return 'Stereo High';
    case 134:
      return 'MFC High';
    case 135:
      return 'MFC Depth High';
    case 138:
      return 'Multiview Depth High';
    case 139:
      return 'Enhanced Multiview Depth High';
    default:
      return `profile ${profileIdc}`;
  }
}

/** "3.1"; level 1b is level_idc 9, or 11 with constraint_set3 in Baseline/Main/Extended (A.3.1). */
export function avcLevelName(profileIdc: number, constraintFlags: number, levelIdc: number): string {
  if (levelIdc === 9 || (levelIdc === 11 && set(constraintFlags, 3) && (profileIdc === 66 || profileIdc === 77 || profileIdc === 88))) return '1b';
  return `${Math.floor(levelIdc / 10)}.${levelIdc % 10}`;
}
