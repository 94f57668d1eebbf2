/**
 * H.265/HEVC codec configuration: the HEVCDecoderConfigurationRecord of an
 * hvc1 SequenceStart (or a legacy CodecID 12 sequence header), ISO/IEC
 * 14496-15 8.3.3.1.2, and the start of its sequence parameter set (ITU-T H.265
 * 7.3.2.2.1: profile_tier_level, chroma format, picture size, conformance
 * window, bit depths). Parsing of the SPS stops after the bit depths.
 */
import { BitReader } from '../bytes/bit-reader.js';
import { ByteReader } from '../bytes/byte-reader.js';
import { MediaFormatError } from '../errors.js';
import { removeEmulationPrevention } from './avc.js';
import { bitError, bounded, shortRead } from './format-error.js';

/** What an HEVCDecoderConfigurationRecord says, with its first SPS decoded. */
export interface HevcDecoderConfig {
  configurationVersion: number;
  profileSpace: number;
  tierFlag: boolean;
  profileIdc: number;
  profileCompatibilityFlags: number;
  /** The 48 constraint indicator bits as six bytes, hex. */
  constraintIndicatorFlags: string;
  levelIdc: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** Bytes of the length prefix before each NAL unit: 1, 2 or 4. */
  nalLengthSize: number;
  /** The NAL unit arrays (VPS 32, SPS 33, PPS 34, SEI ...), as stored. */
  arrays: Array<{ nalUnitType: number; complete: boolean; nalus: Buffer[] }>;
  /** The first SPS, decoded. */
  spsInfo: HevcSpsInfo;
}

/** A decoded HEVC sequence parameter set (its start). */
export interface HevcSpsInfo {
  profileSpace: number;
  tier: 'Main' | 'High';
  profileIdc: number;
  /** e.g. "Main", "Main 10", "Rext". */
  profile: string;
  levelIdc: number;
  /** general_level_idc / 30, e.g. "3.1", "4". */
  level: string;
  /** RFC 6381 / ISO 14496-15 E.3 codec string, e.g. "hvc1.1.6.L93.B0". */
  codecString: string;
  maxSubLayers: number;
  spsId: number;
  chromaFormatIdc: number;
  chromaFormat: string;
  separateColourPlane: boolean;
  /** pic_width/height_in_luma_samples. */
  codedWidth: number;
  codedHeight: number;
  /** Luma samples removed by the conformance window on each side. */
  crop: { left: number; right: number; top: number; bottom: number };
  /** Displayed size: coded size minus the conformance window. */
  width: number;
  height: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /**
   * sps_max_num_reorder_pics of the highest sub-layer (7.4.3.2.1): how many
   * pictures may precede one in decode order and follow it in output order.
   * Undefined when the SPS ends before it.
   */
  maxNumReorderPics?: number;
}

const RECORD = 'HEVCDecoderConfigurationRecord';
const SPS = 'HEVC SPS';
const NAL_SPS = 33;
/** A coded picture dimension cannot exceed 16888 at level 6.2 (Table A.8: sqrt(MaxLumaPs * 8)); allow generous headroom. */
const MAX_DIMENSION = 65535;

const PROFILES: Record<number, string> = {
  1: 'Main',
  2: 'Main 10',
  3: 'Main Still Picture',
  4: 'Rext',
  5: 'High Throughput 4:4:4',
  6: 'Multiview Main',
  7: 'Scalable Main',
  8: '3D Main',
  9: 'Screen Extended',
  10: 'Scalable Rext',
  11: 'High Throughput Screen Extended',
};

const CHROMA_FORMATS = ['4:0:0', '4:2:0', '4:2:2', '4:4:4'];

/**
 * Parses the codec data of an HEVC sequence header. Throws MediaFormatError
 * for a truncated or inconsistent record or SPS.
 */
export function parseHevcDecoderConfig(data: Uint8Array): HevcDecoderConfig {
  const r = new ByteReader(data, shortRead(RECORD));
  const configurationVersion = r.u8('configurationVersion');
  if (configurationVersion !== 1) throw new MediaFormatError(RECORD, `configurationVersion ${configurationVersion}, expected 1`);
  const b1 = r.u8('general_profile_idc');
  const profileCompatibilityFlags = r.u32('general_profile_compatibility_flags');
  const constraintIndicatorFlags = r.bytes(6, 'general_constraint_indicator_flags').toString('hex');
  const levelIdc = r.u8('general_level_idc');
  r.skip(2, 'min_spatial_segmentation_idc');
  r.skip(1, 'parallelismType');
  const chromaFormatIdc = r.u8('chromaFormat') & 0x03;
  const bitDepthLuma = (r.u8('bitDepthLumaMinus8') & 0x07) + 8;
  const bitDepthChroma = (r.u8('bitDepthChromaMinus8') & 0x07) + 8;
  r.skip(2, 'avgFrameRate');
  const nalLengthSize = (r.u8('lengthSizeMinusOne') & 0x03) + 1;
  if (nalLengthSize === 3) throw new MediaFormatError(RECORD, 'lengthSizeMinusOne 2 (NAL length size must be 1, 2 or 4)');
  const numArrays = r.u8('numOfArrays');
  const arrays: HevcDecoderConfig['arrays'] = [];
  for (let i = 0; i < numArrays; i++) {
    const b = r.u8('NAL_unit_type');
    const count = r.u16('numNalus');
    // Each NAL unit takes at least its two length bytes: a count past the bytes left is a lie.
    if (count * 2 > r.remaining) throw new MediaFormatError(RECORD, `numNalus ${count} at offset ${r.offset - 2} exceeds the ${r.remaining} bytes left`);
    const nalus: Buffer[] = [];
    for (let j = 0; j < count; j++) nalus.push(r.bytes(r.u16('nalUnitLength'), 'nalUnit'));
    arrays.push({ nalUnitType: b & 0x3f, complete: (b & 0x80) !== 0, nalus });
  }
  const sps = arrays.find((a) => a.nalUnitType === NAL_SPS)?.nalus[0];
  if (sps === undefined) throw new MediaFormatError(RECORD, 'no sequence parameter set');
  return {
    configurationVersion,
    profileSpace: b1 >> 6,
    tierFlag: (b1 & 0x20) !== 0,
    profileIdc: b1 & 0x1f,
    profileCompatibilityFlags,
    constraintIndicatorFlags,
    levelIdc,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    nalLengthSize,
    arrays,
    spsInfo: parseHevcSps(sps),
  };
}

/** Decodes the start of an HEVC SPS NAL unit (with its two-byte NAL header). */
export function parseHevcSps(nal: Uint8Array): HevcSpsInfo {
  const r = new BitReader(removeEmulationPrevention(nal), bitError(SPS));
  if (r.u(1, 'forbidden_zero_bit') !== 0) throw new MediaFormatError(SPS, 'forbidden_zero_bit is set');
  const nalType = r.u(6, 'nal_unit_type');
  if (nalType !== NAL_SPS) throw new MediaFormatError(SPS, `NAL unit type ${nalType} is not a sequence parameter set (33)`);
  r.skip(9, 'nuh_layer_id, nuh_temporal_id_plus1');
  r.skip(4, 'sps_video_parameter_set_id');
  const maxSubLayersMinus1 = r.u(3, 'sps_max_sub_layers_minus1');
  if (maxSubLayersMinus1 === 7) throw new MediaFormatError(SPS, 'sps_max_sub_layers_minus1 7 is out of range 0..6');
  r.skip(1, 'sps_temporal_id_nesting_flag');
  // profile_tier_level(1, sps_max_sub_layers_minus1), 7.3.3
  const profileSpace = r.u(2, 'general_profile_space');
  const tierFlag = r.flag('general_tier_flag');
  const profileIdc = r.u(5, 'general_profile_idc');
  const compat = r.u(32, 'general_profile_compatibility_flags');
  const constraint = [r.u(16, 'general constraint flags'), r.u(16, 'general constraint flags'), r.u(16, 'general constraint flags')];
  const levelIdc = r.u(8, 'general_level_idc');
  const subProfile: boolean[] = [];
  const subLevel: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    subProfile.push(r.flag('sub_layer_profile_present_flag'));
    subLevel.push(r.flag('sub_layer_level_present_flag'));
  }
  if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1), 'reserved_zero_2bits');
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (subProfile[i]) r.skip(88, 'sub_layer profile');
    if (subLevel[i]) r.skip(8, 'sub_layer_level_idc');
  }
  const spsId = bounded(SPS, r.ue('sps_seq_parameter_set_id'), 15, 'sps_seq_parameter_set_id');
  const chromaFormatIdc = bounded(SPS, r.ue('chroma_format_idc'), 3, 'chroma_format_idc');
  const separateColourPlane = chromaFormatIdc === 3 ? r.flag('separate_colour_plane_flag') : false;
  const codedWidth = bounded(SPS, r.ue('pic_width_in_luma_samples'), MAX_DIMENSION, 'pic_width_in_luma_samples');
  const codedHeight = bounded(SPS, r.ue('pic_height_in_luma_samples'), MAX_DIMENSION, 'pic_height_in_luma_samples');
  if (codedWidth === 0 || codedHeight === 0) throw new MediaFormatError(SPS, `picture size ${codedWidth}x${codedHeight}`);
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.flag('conformance_window_flag')) {
    // Offsets count in chroma sample units (7.4.3.2.1, Table 6-1).
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    crop.left = r.ue('conf_win_left_offset') * subWidthC;
    crop.right = r.ue('conf_win_right_offset') * subWidthC;
    crop.top = r.ue('conf_win_top_offset') * subHeightC;
    crop.bottom = r.ue('conf_win_bottom_offset') * subHeightC;
    if (crop.left + crop.right >= codedWidth || crop.top + crop.bottom >= codedHeight) {
      throw new MediaFormatError(SPS, `conformance window ${crop.left}+${crop.right} x ${crop.top}+${crop.bottom} leaves no picture of ${codedWidth}x${codedHeight}`);
    }
  }
  const bitDepthLuma = bounded(SPS, r.ue('bit_depth_luma_minus8'), 8, 'bit_depth_luma_minus8') + 8;
  const bitDepthChroma = bounded(SPS, r.ue('bit_depth_chroma_minus8'), 8, 'bit_depth_chroma_minus8') + 8;
  const maxNumReorderPics = readMaxNumReorderPics(r, maxSubLayersMinus1);
  const tier = tierFlag ? 'High' : 'Main';
  return {
    profileSpace,
    tier,
    profileIdc,
    profile: PROFILES[profileIdc] ?? `profile ${profileIdc}`,
    levelIdc,
    level: hevcLevelName(levelIdc),
    codecString: hevcCodecString(profileSpace, profileIdc, compat, tierFlag, levelIdc, constraint.flatMap((w) => [w >> 8, w & 0xff])),
    maxSubLayers: maxSubLayersMinus1 + 1,
    spsId,
    chromaFormatIdc,
    chromaFormat: CHROMA_FORMATS[chromaFormatIdc]!,
    separateColourPlane,
    codedWidth,
    codedHeight,
    crop,
    width: codedWidth - crop.left - crop.right,
    height: codedHeight - crop.top - crop.bottom,
    bitDepthLuma,
    bitDepthChroma,
    ...(maxNumReorderPics === undefined ? {} : { maxNumReorderPics }),
  };
}

/** A DPB holds at most 16 pictures (A.4.2, MaxDpbSize), so no more can wait for output. */
const MAX_REORDER_PICS = 16;

/**
 * Reads on from log2_max_pic_order_cnt_lsb_minus4 to the sub-layer ordering
 * info (7.3.2.2.1) and returns sps_max_num_reorder_pics of the highest
 * sub-layer, or undefined when the SPS is cut short there (the fields before
 * it are all a probe needs, so a short SPS is tolerated).
 */
function readMaxNumReorderPics(r: BitReader, maxSubLayersMinus1: number): number | undefined {
  try {
    r.ue('log2_max_pic_order_cnt_lsb_minus4');
    const allLayers = r.flag('sps_sub_layer_ordering_info_present_flag');
    let reorder = 0;
    for (let i = allLayers ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
      r.ue('sps_max_dec_pic_buffering_minus1');
      reorder = r.ue('sps_max_num_reorder_pics');
      r.ue('sps_max_latency_increase_plus1');
    }
    return reorder <= MAX_REORDER_PICS ? reorder : undefined;
  } catch (e) {
    if (e instanceof MediaFormatError) return undefined;
    throw e;
  }
}

/** general_level_idc is 30 × the level: 93 → "3.1", 120 → "4". */
export function hevcLevelName(levelIdc: number): string {
  const major = Math.floor(levelIdc / 30);
  const minor = Math.round((levelIdc % 30) / 3);
  return minor === 0 ? `${major}` : `${major}.${minor}`;
}

/**
 * The codec string of an HEVCDecoderConfigurationRecord, from the record's
 * own general_* fields (what a container's hvcC says), e.g. "hvc1.1.6.L93.B0".
 */
export function hevcRecordCodecString(c: Pick<HevcDecoderConfig, 'profileSpace' | 'profileIdc' | 'profileCompatibilityFlags' | 'tierFlag' | 'levelIdc' | 'constraintIndicatorFlags'>): string {
  const bytes = [...Buffer.from(c.constraintIndicatorFlags, 'hex')];
  return hevcCodecString(c.profileSpace, c.profileIdc, c.profileCompatibilityFlags, c.tierFlag, c.levelIdc, bytes);
}

/** ISO/IEC 14496-15 E.3: hvc1.[A-C]?profile.compat(bit-reversed hex).[LH]level[.constraint bytes without trailing zeros]. */
function hevcCodecString(space: number, profileIdc: number, compat: number, tier: boolean, levelIdc: number, constraintBytes: readonly number[]): string {
  let reversed = 0;
  for (let i = 0; i < 32; i++) if (compat & (1 << i)) reversed |= 1 << (31 - i);
  const bytes = [...constraintBytes];
  while (bytes.length > 0 && bytes[bytes.length - 1] === 0) bytes.pop();
  const spaceLetter = ['', 'A', 'B', 'C'][space]!;
  const parts = [`hvc1`, `${spaceLetter}${profileIdc}`, (reversed >>> 0).toString(16), `${tier ? 'H' : 'L'}${levelIdc}`, ...bytes.map((b) => b.toString(16).toUpperCase())];
  return parts.join('.');
}
