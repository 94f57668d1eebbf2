/**
 * AV1 codec configuration: the AV1CodecConfigurationRecord of an av01
 * SequenceStart ("AV1 Codec ISO Media File Format Binding" 2.3.3) and the
 * sequence header OBU in its configOBUs (AV1 bitstream spec 5.5: profile,
 * levels, maximum frame size, colour config with the bit depth and chroma
 * subsampling). Parsing stops after color_config().
 */
import { BitReader } from '../bytes/bit-reader.js';
import { ByteReader } from '../bytes/byte-reader.js';
import { MediaFormatError } from '../errors.js';
import { bitError, shortRead } from './format-error.js';

/** What an AV1CodecConfigurationRecord says, with its sequence header decoded. */
export interface Av1CodecConfig {
  version: number;
  seqProfile: number;
  seqLevelIdx0: number;
  seqTier0: number;
  highBitdepth: boolean;
  twelveBit: boolean;
  monochrome: boolean;
  chromaSubsamplingX: number;
  chromaSubsamplingY: number;
  chromaSamplePosition: number;
  /** initial_presentation_delay_minus_one + 1, when present. */
  initialPresentationDelay?: number;
  /** The configOBUs (a view). */
  configObus: Buffer;
  /** The sequence header OBU, decoded; undefined when configOBUs carries none (allowed by the binding). */
  sequenceHeader?: Av1SequenceHeader;
}

/** A decoded sequence_header_obu (up to color_config). */
export interface Av1SequenceHeader {
  seqProfile: number;
  /** "Main", "High" or "Professional". */
  profile: string;
  stillPicture: boolean;
  reducedStillPictureHeader: boolean;
  /** seq_level_idx of operating point 0. */
  seqLevelIdx: number;
  /** "4.0", "5.1"; "max" for 31 (no level constraint). */
  level: string;
  seqTier: number;
  /** max_frame_width/height: the size of every frame unless a frame header says smaller. */
  width: number;
  height: number;
  bitDepth: number;
  monochrome: boolean;
  subsamplingX: number;
  subsamplingY: number;
  /** "4:2:0", "4:2:2", "4:4:4" or "4:0:0". */
  chromaFormat: string;
  /** chroma_sample_position (0 unknown, 1 vertical, 2 colocated); 0 unless 4:2:0 says otherwise. */
  chromaSamplePosition: number;
  colorPrimaries: number;
  transferCharacteristics: number;
  matrixCoefficients: number;
  fullRange: boolean;
  /** RFC 6381 style codec string, e.g. "av01.0.08M.08". */
  codecString: string;
}

const RECORD = 'AV1CodecConfigurationRecord';
const SEQ = 'AV1 sequence header';
const OBU_SEQUENCE_HEADER = 1;
const PROFILES = ['Main', 'High', 'Professional'];

/** Parses an av1C record. Throws MediaFormatError for a truncated or inconsistent record or sequence header. */
export function parseAv1CodecConfig(data: Uint8Array): Av1CodecConfig {
  const r = new ByteReader(data, shortRead(RECORD));
  const b0 = r.u8('marker, version');
  if (!(b0 & 0x80)) throw new MediaFormatError(RECORD, 'marker bit is 0');
  const version = b0 & 0x7f;
  if (version !== 1) throw new MediaFormatError(RECORD, `version ${version}, expected 1`);
  const b1 = r.u8('seq_profile, seq_level_idx_0');
  const b2 = r.u8('seq_tier_0 ... chroma_sample_position');
  const b3 = r.u8('initial_presentation_delay');
  const config: Av1CodecConfig = {
    version,
    seqProfile: b1 >> 5,
    seqLevelIdx0: b1 & 0x1f,
    seqTier0: b2 >> 7,
    highBitdepth: (b2 & 0x40) !== 0,
    twelveBit: (b2 & 0x20) !== 0,
    monochrome: (b2 & 0x10) !== 0,
    chromaSubsamplingX: (b2 >> 3) & 1,
    chromaSubsamplingY: (b2 >> 2) & 1,
    chromaSamplePosition: b2 & 0x03,
    configObus: r.rest(),
  };
  if (b3 & 0x10) config.initialPresentationDelay = (b3 & 0x0f) + 1;
  const seq = findSequenceHeaderObu(config.configObus);
  if (seq !== undefined) config.sequenceHeader = parseAv1SequenceHeader(seq);
  return config;
}

/** The payload of the first sequence header OBU in a run of OBUs (low overhead format), or undefined. */
export function findSequenceHeaderObu(obus: Buffer): Buffer | undefined {
  const r = new ByteReader(obus, shortRead('AV1 OBU'));
  while (r.remaining > 0) {
    const h = r.u8('obu_header');
    if (h & 0x80) throw new MediaFormatError('AV1 OBU', `forbidden bit set at offset ${r.offset - 1}`);
    const type = (h >> 3) & 0x0f;
    if (h & 0x04) r.skip(1, 'obu_extension_header');
    // Without obu_has_size_field the OBU runs to the end (allowed for the last one).
    const size = h & 0x02 ? readLeb128(r) : r.remaining;
    const payload = r.bytes(size, 'OBU payload');
    if (type === OBU_SEQUENCE_HEADER) return payload;
  }
  return undefined;
}

/** leb128() (AV1 4.10.5): at most 8 bytes, value below 2^32. */
function readLeb128(r: ByteReader): number {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const b = r.u8('leb128');
    value += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) {
      if (value > 0xffffffff) throw new MediaFormatError('AV1 OBU', `leb128 value ${value} exceeds 2^32 - 1`);
      return value;
    }
  }
  throw new MediaFormatError('AV1 OBU', 'leb128 longer than 8 bytes');
}

/** uvlc() (AV1 4.10.3). */
function uvlc(r: BitReader): number {
  let zeros = 0;
  while (!r.flag('uvlc')) {
    zeros++;
    if (zeros >= 32) return 0xffffffff;
  }
  return r.u(zeros, 'uvlc') + 2 ** zeros - 1;
}

/** Decodes a sequence_header_obu payload up to color_config(). */
export function parseAv1SequenceHeader(payload: Uint8Array): Av1SequenceHeader {
  const r = new BitReader(payload, bitError(SEQ));
  const seqProfile = r.u(3, 'seq_profile');
  if (seqProfile > 2) throw new MediaFormatError(SEQ, `seq_profile ${seqProfile} is reserved`);
  const stillPicture = r.flag('still_picture');
  const reduced = r.flag('reduced_still_picture_header');
  let seqLevelIdx: number;
  let seqTier = 0;
  if (reduced) {
    seqLevelIdx = r.u(5, 'seq_level_idx');
  } else {
    let decoderModelInfo = false;
    let bufferDelayLength = 0;
    if (r.flag('timing_info_present_flag')) {
      r.skip(64, 'num_units_in_display_tick, time_scale');
      if (r.flag('equal_picture_interval')) uvlc(r);
      decoderModelInfo = r.flag('decoder_model_info_present_flag');
      if (decoderModelInfo) {
        bufferDelayLength = r.u(5, 'buffer_delay_length_minus_1') + 1;
        r.skip(42, 'num_units_in_decoding_tick, buffer_removal_time_length_minus_1, frame_presentation_time_length_minus_1');
      }
    }
    const initialDisplayDelay = r.flag('initial_display_delay_present_flag');
    const points = r.u(5, 'operating_points_cnt_minus_1') + 1;
    seqLevelIdx = 0;
    for (let i = 0; i < points; i++) {
      r.skip(12, 'operating_point_idc');
      const level = r.u(5, 'seq_level_idx');
      const tier = level > 7 ? r.u(1, 'seq_tier') : 0;
      if (i === 0) {
        seqLevelIdx = level;
        seqTier = tier;
      }
      if (decoderModelInfo && r.flag('decoder_model_present_for_this_op')) r.skip(2 * bufferDelayLength + 1, 'operating_parameters_info');
      if (initialDisplayDelay && r.flag('initial_display_delay_present_for_this_op')) r.skip(4, 'initial_display_delay_minus_1');
    }
  }
  const widthBits = r.u(4, 'frame_width_bits_minus_1') + 1;
  const heightBits = r.u(4, 'frame_height_bits_minus_1') + 1;
  const width = r.u(widthBits, 'max_frame_width_minus_1') + 1;
  const height = r.u(heightBits, 'max_frame_height_minus_1') + 1;
  if (!reduced && r.flag('frame_id_numbers_present_flag')) r.skip(7, 'frame id lengths');
  r.skip(3, 'use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter');
  if (!reduced) {
    r.skip(4, 'enable_interintra_compound, enable_masked_compound, enable_warped_motion, enable_dual_filter');
    const orderHint = r.flag('enable_order_hint');
    if (orderHint) r.skip(2, 'enable_jnt_comp, enable_ref_frame_mvs');
    const forceScreenContent = r.flag('seq_choose_screen_content_tools') ? 2 : r.u(1, 'seq_force_screen_content_tools');
    if (forceScreenContent > 0 && !r.flag('seq_choose_integer_mv')) r.skip(1, 'seq_force_integer_mv');
    if (orderHint) r.skip(3, 'order_hint_bits_minus_1');
  }
  r.skip(3, 'enable_superres, enable_cdef, enable_restoration');
  // color_config() (5.5.2)
  const highBitdepth = r.flag('high_bitdepth');
  let bitDepth = highBitdepth ? 10 : 8;
  if (seqProfile === 2 && highBitdepth) bitDepth = r.flag('twelve_bit') ? 12 : 10;
  const monochrome = seqProfile === 1 ? false : r.flag('mono_chrome');
  let colorPrimaries = 2;
  let transferCharacteristics = 2;
  let matrixCoefficients = 2;
  if (r.flag('color_description_present_flag')) {
    colorPrimaries = r.u(8, 'color_primaries');
    transferCharacteristics = r.u(8, 'transfer_characteristics');
    matrixCoefficients = r.u(8, 'matrix_coefficients');
  }
  let fullRange: boolean;
  let sx = 1;
  let sy = 1;
  let chromaSamplePosition = 0;
  if (monochrome) {
    fullRange = r.flag('color_range');
  } else if (colorPrimaries === 1 && transferCharacteristics === 13 && matrixCoefficients === 0) {
    fullRange = true;
    sx = 0;
    sy = 0;
  } else {
    fullRange = r.flag('color_range');
    if (seqProfile === 1) {
      sx = 0;
      sy = 0;
    } else if (seqProfile === 2) {
      if (bitDepth === 12) {
        sx = r.u(1, 'subsampling_x');
        sy = sx ? r.u(1, 'subsampling_y') : 0;
      } else {
        sx = 1;
        sy = 0;
      }
    }
    if (sx && sy) chromaSamplePosition = r.u(2, 'chroma_sample_position');
  }
  return {
    seqProfile,
    profile: PROFILES[seqProfile]!,
    stillPicture,
    reducedStillPictureHeader: reduced,
    seqLevelIdx,
    level: av1LevelName(seqLevelIdx),
    seqTier,
    width,
    height,
    bitDepth,
    monochrome,
    subsamplingX: sx,
    subsamplingY: sy,
    chromaFormat: av1ChromaFormat(monochrome, sx, sy),
    chromaSamplePosition,
    colorPrimaries,
    transferCharacteristics,
    matrixCoefficients,
    fullRange,
    codecString: av1CodecString(seqProfile, seqLevelIdx, seqTier, bitDepth),
  };
}

/**
 * An AV1CodecConfigurationRecord (binding 2.3.3) for a stream whose container
 * stores none or hides it (MP4's av1C and Matroska's CodecPrivate are not
 * what our demuxer hands out): the fields come from the sequence header OBU
 * `payload` (a frame's, see findSequenceHeaderObu), which travels whole in
 * configOBUs, rewritten with obu_has_size_field as the binding requires.
 * Throws MediaFormatError when the sequence header is malformed.
 */
export function buildAv1CodecConfig(payload: Uint8Array): Buffer {
  const h = parseAv1SequenceHeader(payload);
  const size: number[] = [];
  for (let n = payload.length; ; n = Math.floor(n / 128)) {
    const low = n % 128;
    if (n < 128) {
      size.push(low);
      break;
    }
    size.push(low | 0x80);
  }
  const b2 =
    (h.seqTier << 7) |
    ((h.bitDepth > 8 ? 1 : 0) << 6) |
    ((h.bitDepth === 12 ? 1 : 0) << 5) |
    ((h.monochrome ? 1 : 0) << 4) |
    (h.subsamplingX << 3) |
    (h.subsamplingY << 2) |
    h.chromaSamplePosition;
  // marker 1 + version 1; no initial_presentation_delay; OBU header: type 1, has_size_field.
  return Buffer.concat([Buffer.from([0x81, (h.seqProfile << 5) | h.seqLevelIdx, b2, 0, OBU_SEQUENCE_HEADER << 3 | 0x02, ...size]), payload]);
}

/** seq_level_idx as a level: 2 + idx / 4 "." idx % 4 (Annex A.3); 31 has no level constraint. */
export function av1LevelName(seqLevelIdx: number): string {
  return seqLevelIdx === 31 ? 'max' : `${2 + (seqLevelIdx >> 2)}.${seqLevelIdx & 3}`;
}

/** "4:2:0", "4:2:2", "4:4:4" or "4:0:0" from the subsampling flags. */
export function av1ChromaFormat(monochrome: boolean, subsamplingX: number, subsamplingY: number): string {
  if (monochrome) return '4:0:0';
  return subsamplingX && subsamplingY ? '4:2:0' : subsamplingX ? '4:2:2' : '4:4:4';
}

/** The codec string of the AV1 ISOBMFF binding (section 5), short form: av01.P.LLT.DD. */
export function av1CodecString(seqProfile: number, seqLevelIdx: number, tier: number, bitDepth: number): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `av01.${seqProfile}.${two(seqLevelIdx)}${tier ? 'H' : 'M'}.${two(bitDepth)}`;
}
