/**
 * VP8/VP9 codec configuration: the VPCodecConfigurationRecord of a vp09 (or
 * vp08) SequenceStart ("VP Codec ISO Media File Format Binding" v1.0, 2.2),
 * and the picture size and colour config from the uncompressed header of a
 * VP9 key frame (VP9 bitstream spec 6.2), which the record does not carry.
 *
 * ffmpeg writes the record with the four bytes of the vpcC FullBox header
 * (version 1, flags 0) in front; both forms are accepted.
 */
import { BitReader } from '../bytes/bit-reader.js';
import { ByteReader } from '../bytes/byte-reader.js';
import { MediaFormatError } from '../errors.js';
import { bitError, shortRead } from './format-error.js';

/** What a VPCodecConfigurationRecord says. */
export interface VpCodecConfig {
  profile: number;
  /** level × 10 as stored, e.g. 31 for level 3.1; 0 when the writer left it undefined. */
  levelIdc: number;
  /** "3.1", "4"; undefined for 0. */
  level: string | undefined;
  bitDepth: number;
  /** 0 4:2:0 vertical, 1 4:2:0 colocated, 2 4:2:2, 3 4:4:4. */
  chromaSubsampling: number;
  chromaFormat: string;
  fullRange: boolean;
  colourPrimaries: number;
  transferCharacteristics: number;
  matrixCoefficients: number;
  /** RFC 6381 style codec string, e.g. "vp09.00.31.08". */
  codecString: string;
}

/** What a VP9 key frame's uncompressed header says. */
export interface Vp9FrameHeader {
  profile: number;
  bitDepth: number;
  /** VP9 color_space (0 unknown, 1 BT.601, 2 BT.709, ..., 7 sRGB). */
  colorSpace: number;
  fullRange: boolean;
  subsamplingX: number;
  subsamplingY: number;
  chromaFormat: string;
  width: number;
  height: number;
}

const RECORD = 'VPCodecConfigurationRecord';
const FRAME = 'VP9 uncompressed header';
const CHROMA = ['4:2:0', '4:2:0', '4:2:2', '4:4:4'];
const SYNC_CODE = 0x498342;
const CS_RGB = 7;

/** Parses a vpcC record (with or without the FullBox version/flags). Throws MediaFormatError when truncated or inconsistent. */
export function parseVpCodecConfig(data: Uint8Array): VpCodecConfig {
  const r = new ByteReader(data, shortRead(RECORD));
  // FullBox form: version 1, flags 0. A bare record starts with the profile (0..3) and a level that is never 0 0 0.
  if (data.length >= 12 && data[0] === 1 && data[1] === 0 && data[2] === 0 && data[3] === 0) r.skip(4);
  const profile = r.u8('profile');
  if (profile > 3) throw new MediaFormatError(RECORD, `profile ${profile} is out of range 0..3`);
  const levelIdc = r.u8('level');
  const b = r.u8('bitDepth, chromaSubsampling, videoFullRangeFlag');
  const bitDepth = b >> 4;
  if (bitDepth !== 8 && bitDepth !== 10 && bitDepth !== 12) throw new MediaFormatError(RECORD, `bitDepth ${bitDepth} (8, 10 or 12)`);
  const chromaSubsampling = (b >> 1) & 0x07;
  if (chromaSubsampling > 3) throw new MediaFormatError(RECORD, `chromaSubsampling ${chromaSubsampling} is reserved`);
  const colourPrimaries = r.u8('colourPrimaries');
  const transferCharacteristics = r.u8('transferCharacteristics');
  const matrixCoefficients = r.u8('matrixCoefficients');
  const initSize = r.u16('codecIntializationDataSize');
  r.skip(initSize, 'codecIntializationData');
  const two = (n: number): string => String(n).padStart(2, '0');
  return {
    profile,
    levelIdc,
    level: levelIdc === 0 ? undefined : levelIdc % 10 === 0 ? `${levelIdc / 10}` : `${Math.floor(levelIdc / 10)}.${levelIdc % 10}`,
    bitDepth,
    chromaSubsampling,
    chromaFormat: CHROMA[chromaSubsampling]!,
    fullRange: (b & 1) === 1,
    colourPrimaries,
    transferCharacteristics,
    matrixCoefficients,
    codecString: `vp09.${two(profile)}.${two(levelIdc)}.${two(bitDepth)}`,
  };
}

/** The fields of a VPCodecConfigurationRecord to build. */
export type VpCodecConfigInit = Pick<VpCodecConfig, 'profile' | 'levelIdc' | 'bitDepth' | 'chromaSubsampling' | 'fullRange'> &
  Partial<Pick<VpCodecConfig, 'colourPrimaries' | 'transferCharacteristics' | 'matrixCoefficients'>>;

/**
 * Builds a vpcC record with its FullBox header (version 1, flags 0), as ffmpeg
 * writes it: for a VP9 track from WebM/Matroska, which carries no such record.
 * Colour fields default to 2 (unspecified); no codec initialization data.
 */
export function buildVpCodecConfig(c: VpCodecConfigInit): Buffer {
  if (c.profile > 3 || ![8, 10, 12].includes(c.bitDepth) || c.chromaSubsampling > 3) throw new RangeError(`VP9 profile ${c.profile}, ${c.bitDepth}-bit, chroma subsampling ${c.chromaSubsampling} cannot be described`);
  return Buffer.from([
    1, 0, 0, 0,
    c.profile,
    c.levelIdc,
    (c.bitDepth << 4) | (c.chromaSubsampling << 1) | (c.fullRange ? 1 : 0),
    c.colourPrimaries ?? 2,
    c.transferCharacteristics ?? 2,
    c.matrixCoefficients ?? 2,
    0, 0,
  ]);
}

/**
 * Reads the uncompressed header of a VP9 frame. Returns undefined for a frame
 * that is not a key frame (or shows an existing frame); throws MediaFormatError
 * for a truncated or invalid header.
 */
export function parseVp9FrameHeader(frame: Uint8Array): Vp9FrameHeader | undefined {
  const r = new BitReader(frame, bitError(FRAME));
  if (r.u(2, 'frame_marker') !== 2) throw new MediaFormatError(FRAME, 'frame_marker is not 2');
  const profile = r.u(1, 'profile_low_bit') | (r.u(1, 'profile_high_bit') << 1);
  if (profile === 3) r.skip(1, 'reserved_zero');
  if (r.flag('show_existing_frame')) return undefined;
  const keyframe = r.u(1, 'frame_type') === 0;
  if (!keyframe) return undefined;
  r.skip(2, 'show_frame, error_resilient_mode');
  if (r.u(24, 'frame_sync_code') !== SYNC_CODE) throw new MediaFormatError(FRAME, 'bad frame_sync_code');
  const bitDepth = profile >= 2 ? (r.flag('ten_or_twelve_bit') ? 12 : 10) : 8;
  const colorSpace = r.u(3, 'color_space');
  let fullRange = true;
  let sx = 1;
  let sy = 1;
  if (colorSpace !== CS_RGB) {
    fullRange = r.flag('color_range');
    if (profile === 1 || profile === 3) {
      sx = r.u(1, 'subsampling_x');
      sy = r.u(1, 'subsampling_y');
      r.skip(1, 'reserved_zero');
    }
  } else {
    sx = 0;
    sy = 0;
    if (profile === 1 || profile === 3) r.skip(1, 'reserved_zero');
  }
  const width = r.u(16, 'frame_width_minus_1') + 1;
  const height = r.u(16, 'frame_height_minus_1') + 1;
  return { profile, bitDepth, colorSpace, fullRange, subsamplingX: sx, subsamplingY: sy, chromaFormat: sx && sy ? '4:2:0' : sx ? '4:2:2' : '4:4:4', width, height };
}

/**
 * The VPCodecConfigurationRecord that a codec string describes
 * ("vp09.PP.LL.DD" or with ".CC.cp.tc.mc.FF"; VP binding, "Codecs Parameter
 * String"): the optional fields default as the binding
 * says (CC 01, BT.709 colour 01.01.01, limited range 00). WebM carries no vpcC
 * and our demuxer does not hand out MP4's, but it describes either in such a
 * string. Throws MediaFormatError for a string that is not one.
 */
export function vpCodecConfigFromCodecString(codec: string): Buffer {
  const m = /^vp09\.(\d\d)\.(\d\d)\.(\d\d)(?:\.(\d\d)\.(\d\d)\.(\d\d)\.(\d\d)\.(\d\d))?$/.exec(codec);
  if (m === null) throw new MediaFormatError('VP9 codec string', `'${codec}' is not vp09.PP.LL.DD[.CC.cp.tc.mc.FF]`);
  const n = (i: number, dflt: number): number => (m[i] === undefined ? dflt : Number(m[i]));
  try {
    return buildVpCodecConfig({
      profile: n(1, 0),
      levelIdc: n(2, 0),
      bitDepth: n(3, 8),
      chromaSubsampling: n(4, 1),
      colourPrimaries: n(5, 1),
      transferCharacteristics: n(6, 1),
      matrixCoefficients: n(7, 1),
      fullRange: n(8, 0) === 1,
    });
  } catch (e) {
    throw new MediaFormatError('VP9 codec string', `'${codec}': ${e instanceof Error ? e.message : String(e)}`);
  }
}
