/**
 * What the probe reports about a video codec configuration: one function per
 * codec turns a sequence header body (avcC, hvcC, av1C, vpcC) into the
 * report's fields. Throws MediaFormatError when the record cannot be parsed.
 */
import { av1ChromaFormat, av1CodecString, av1LevelName, parseAv1CodecConfig } from '../media/av1.js';
import { parseAvcDecoderConfig, type SpsInfo } from '../media/avc.js';
import { parseHevcDecoderConfig, type HevcSpsInfo } from '../media/hevc.js';
import { parseVpCodecConfig } from '../media/vp9.js';
import { round3, type Av1Report, type AvcReport, type HevcReport, type SpsReport, type VideoTrack, type VpReport } from './probe-report.js';

/** The report fields a video configuration fills. */
export type VideoConfigFields = Pick<VideoTrack, 'width' | 'height'> & Partial<Pick<VideoTrack, 'avc' | 'hevc' | 'av1' | 'vp'>>;

/** Codec ids (codec-names.ts) whose sequence header the probe parses. */
export const PARSED_VIDEO_CODECS: ReadonlySet<string> = new Set(['h264', 'hevc', 'av1', 'vp9']);

/** Parses the configuration record of `codec` (a codec-names id). */
export function describeVideoConfig(codec: string, body: Buffer): VideoConfigFields {
  switch (codec) {
    case 'h264':
      return avcFields(body);
    case 'hevc':
      return hevcFields(body);
    case 'av1':
      return av1Fields(body);
    case 'vp9':
      return vpFields(body);
    default:
      return { width: null, height: null };
  }
}

/** Profile and level as one short text each, for multitrack entries. */
export function profileAndLevel(f: VideoConfigFields): { profile: string | null; level: string | null } {
  const p = f.avc ?? f.hevc ?? f.av1;
  if (p) return { profile: p.profile, level: p.level };
  if (f.vp) return { profile: `Profile ${f.vp.profile}`, level: f.vp.level };
  return { profile: null, level: null };
}

/** The fields H.264 and HEVC parameter sets share. */
function spsFields(s: SpsInfo | HevcSpsInfo): SpsReport {
  return {
    profile: s.profile,
    profileIdc: s.profileIdc,
    level: s.level,
    levelIdc: s.levelIdc,
    codecString: s.codecString,
    codedWidth: s.codedWidth,
    codedHeight: s.codedHeight,
    crop: s.crop,
    chromaFormat: s.chromaFormat,
    bitDepth: s.bitDepthLuma,
    bitDepthChroma: s.bitDepthChroma,
  };
}

function avcFields(body: Buffer): VideoConfigFields {
  const c = parseAvcDecoderConfig(body);
  const s = c.spsInfo;
  const avc: AvcReport = {
    ...spsFields(s),
    interlaced: !s.frameMbsOnly,
    sar: s.vui?.sar ? `${s.vui.sar.width}:${s.vui.sar.height}` : null,
    vuiFps: s.vui?.timing?.fps !== undefined ? round3(s.vui.timing.fps) : null,
    fixedFrameRate: s.vui?.timing ? s.vui.timing.fixedFrameRate : null,
    nalLengthSize: c.nalLengthSize,
    spsCount: c.sps.length,
    ppsCount: c.pps.length,
  };
  return { width: s.width, height: s.height, avc };
}

function hevcFields(body: Buffer): VideoConfigFields {
  const c = parseHevcDecoderConfig(body);
  const s = c.spsInfo;
  const hevc: HevcReport = { ...spsFields(s), tier: s.tier, nalLengthSize: c.nalLengthSize };
  return { width: s.width, height: s.height, hevc };
}

const AV1_PROFILES = ['Main', 'High', 'Professional'];

function av1Fields(body: Buffer): VideoConfigFields {
  const c = parseAv1CodecConfig(body);
  const s = c.sequenceHeader;
  const bitDepth = c.twelveBit ? 12 : c.highBitdepth ? 10 : 8;
  const av1: Av1Report = s
    ? { profile: s.profile, seqProfile: s.seqProfile, level: s.level, seqLevelIdx: s.seqLevelIdx, tier: s.seqTier, codecString: s.codecString, chromaFormat: s.chromaFormat, bitDepth: s.bitDepth, sequenceHeader: true }
    : {
        profile: AV1_PROFILES[c.seqProfile] ?? `profile ${c.seqProfile}`,
        seqProfile: c.seqProfile,
        level: av1LevelName(c.seqLevelIdx0),
        seqLevelIdx: c.seqLevelIdx0,
        tier: c.seqTier0,
        codecString: av1CodecString(c.seqProfile, c.seqLevelIdx0, c.seqTier0, bitDepth),
        chromaFormat: av1ChromaFormat(c.monochrome, c.chromaSubsamplingX, c.chromaSubsamplingY),
        bitDepth,
        sequenceHeader: false,
      };
  return { width: s?.width ?? null, height: s?.height ?? null, av1 };
}

function vpFields(body: Buffer): VideoConfigFields {
  const c = parseVpCodecConfig(body);
  const vp: VpReport = { profile: c.profile, level: c.level ?? null, levelIdc: c.levelIdc, codecString: c.codecString, chromaFormat: c.chromaFormat, bitDepth: c.bitDepth, fullRange: c.fullRange };
  // The record has no picture size; the analyzer takes it from the first key frame.
  return { width: null, height: null, vp };
}
