/**
 * MPEG-4 Audio AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1), the payload of
 * an FLV/RTMP AAC sequence header: audio object type, sampling frequency
 * (including the explicit 24-bit form, index 15), channel configuration
 * (counting the channels of a program_config_element when it is 0), and SBR /
 * PS signalling — hierarchical (object type 5 or 29 first) and the
 * backward-compatible sync extensions 0x2b7 and 0x548 after the core config.
 */
import { BitReader } from '../bytes/bit-reader.js';
import { MediaFormatError } from '../errors.js';

/** What an AudioSpecificConfig says. */
export interface AacConfig {
  /** Audio object type of the core codec, e.g. 2 (AAC LC). */
  objectType: number;
  /** Name of the whole configuration, e.g. "AAC LC", "HE-AAC", "HE-AAC v2". */
  profile: string;
  /** RFC 6381 codec string, e.g. "mp4a.40.2" (SBR/PS report 5/29). */
  codecString: string;
  /** Sampling rate of the core codec, Hz. */
  sampleRate: number;
  channelConfiguration: number;
  /** Channels of the core codec (from the configuration or the PCE); undefined if unknown. */
  channels: number | undefined;
  /** True when SBR is signalled present; false when signalled absent; undefined when not signalled. */
  sbr: boolean | undefined;
  /** True when parametric stereo is signalled. */
  ps: boolean;
  /** Output rate after SBR (the core rate without it). */
  outputSampleRate: number;
  /** Output channels after PS (2 for a mono core with PS). */
  outputChannels: number | undefined;
  /** Samples per frame of the core codec for the GA object types: 1024 or 960 (AAC LD: 512 or 480). */
  frameLength: number | undefined;
}

const ASC = 'AudioSpecificConfig';

/** Table 1.18, indices 0..12; 13 and 14 are reserved, 15 means an explicit 24-bit rate. */
const SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
const EXPLICIT_RATE = 15;

/** Table 1.19 (with the later additions 11-14). */
const CHANNELS: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8, 11: 7, 12: 8, 13: 24, 14: 8 };

const SBR = 5;
const PS = 29;
const ER_BSAC = 22;
const ER_AAC_LD = 23;
/** Object types that use GASpecificConfig. */
const GA_TYPES = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);
/** Error-resilient object types, which end with an epConfig field. */
const ER_TYPES = new Set([17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 39]);
const SYNC_SBR = 0x2b7;
const SYNC_PS = 0x548;

const NAMES: Record<number, string> = {
  1: 'AAC Main', 2: 'AAC LC', 3: 'AAC SSR', 4: 'AAC LTP', 5: 'HE-AAC', 6: 'AAC Scalable', 7: 'TwinVQ',
  17: 'ER AAC LC', 19: 'ER AAC LTP', 20: 'ER AAC Scalable', 22: 'ER BSAC', 23: 'ER AAC LD',
  29: 'HE-AAC v2', 32: 'MPEG-1 Layer 1', 33: 'MPEG-1 Layer 2', 34: 'MPEG-1 Layer 3', 39: 'ER AAC ELD', 42: 'USAC',
};

/** A human name for an audio object type. */
export function aacObjectTypeName(objectType: number): string {
  return NAMES[objectType] ?? `audio object type ${objectType}`;
}

function objectType(r: BitReader): number {
  const t = r.u(5, 'audioObjectType');
  return t === 31 ? 32 + r.u(6, 'audioObjectTypeExt') : t;
}

function samplingFrequency(r: BitReader, what: string): number {
  const index = r.u(4, `${what}Index`);
  if (index === EXPLICIT_RATE) {
    const rate = r.u(24, what);
    if (rate === 0) throw new MediaFormatError(ASC, `${what} is 0`);
    return rate;
  }
  const rate = SAMPLE_RATES[index];
  if (rate === undefined) throw new MediaFormatError(ASC, `${what}Index ${index} is reserved`);
  return rate;
}

/**
 * Parses an AudioSpecificConfig. Throws MediaFormatError when it is truncated
 * or uses a reserved sampling frequency index; unknown object types are
 * reported with what the common header says.
 */
export function parseAudioSpecificConfig(data: Uint8Array): AacConfig {
  const r = new BitReader(data, (m) => new MediaFormatError(ASC, m));
  let type = objectType(r);
  const sampleRate = samplingFrequency(r, 'samplingFrequency');
  const channelConfiguration = r.u(4, 'channelConfiguration');
  let sbr: boolean | undefined;
  let ps = false;
  let extensionRate: number | undefined;
  if (type === SBR || type === PS) {
    // Hierarchical signalling: the extension comes first, then the core object type.
    sbr = true;
    ps = type === PS;
    extensionRate = samplingFrequency(r, 'extensionSamplingFrequency');
    type = objectType(r);
    if (type === ER_BSAC) r.skip(4, 'extensionChannelConfiguration');
  }
  let channels: number | undefined = CHANNELS[channelConfiguration];
  let frameLength: number | undefined;
  if (GA_TYPES.has(type)) {
    const ga = readGaSpecificConfig(r, type, channelConfiguration);
    frameLength = ga.frameLength;
    if (ga.pceChannels !== undefined) channels = ga.pceChannels;
  }
  if (ER_TYPES.has(type)) r.skip(2, 'epConfig');
  // Backward-compatible signalling after the core configuration (1.6.5.2).
  if (sbr === undefined && r.bitsLeft >= 16) {
    const sync = r.u(11, 'syncExtensionType');
    if (sync === SYNC_SBR) {
      const ext = objectType(r);
      if (ext === SBR) {
        sbr = r.flag('sbrPresentFlag');
        if (sbr) {
          extensionRate = samplingFrequency(r, 'extensionSamplingFrequency');
          if (r.bitsLeft >= 12 && r.u(11, 'syncExtensionType') === SYNC_PS) ps = r.flag('psPresentFlag');
        }
      } else if (ext === ER_BSAC) {
        sbr = r.flag('sbrPresentFlag');
        if (sbr) extensionRate = samplingFrequency(r, 'extensionSamplingFrequency');
        r.skip(4, 'extensionChannelConfiguration');
      }
    }
  }
  const outputSampleRate = sbr ? (extensionRate ?? sampleRate * 2) : sampleRate;
  const outputChannels = ps && channels === 1 ? 2 : channels;
  const profile = ps ? 'HE-AAC v2' : sbr ? 'HE-AAC' : aacObjectTypeName(type);
  return {
    objectType: type,
    profile,
    codecString: `mp4a.40.${ps ? PS : sbr ? SBR : type}`,
    sampleRate,
    channelConfiguration,
    channels,
    sbr,
    ps,
    outputSampleRate,
    outputChannels,
    frameLength,
  };
}

/** GASpecificConfig (4.4.1); returns the frame length and, for channelConfiguration 0, the PCE's channel count. */
function readGaSpecificConfig(r: BitReader, type: number, channelConfiguration: number): { frameLength: number; pceChannels: number | undefined } {
  const short = r.flag('frameLengthFlag');
  const frameLength = type === ER_AAC_LD ? (short ? 480 : 512) : short ? 960 : 1024;
  if (r.flag('dependsOnCoreCoder')) r.skip(14, 'coreCoderDelay');
  const extensionFlag = r.flag('extensionFlag');
  const pceChannels = channelConfiguration === 0 ? readProgramConfigChannels(r) : undefined;
  if (type === 6 || type === 20) r.skip(3, 'layerNr');
  if (extensionFlag) {
    if (type === ER_BSAC) r.skip(5 + 11, 'numOfSubFrame and layer_length');
    if (type === 17 || type === 19 || type === 20 || type === 23) r.skip(3, 'resilience flags');
    r.skip(1, 'extensionFlag3');
  }
  return { frameLength, pceChannels };
}

/** program_config_element() (4.4.1.1): counts the channels of its front, side, back and LFE elements. */
function readProgramConfigChannels(r: BitReader): number {
  r.skip(4 + 2 + 4, 'element_instance_tag, object_type, sampling_frequency_index');
  const front = r.u(4, 'num_front_channel_elements');
  const side = r.u(4, 'num_side_channel_elements');
  const back = r.u(4, 'num_back_channel_elements');
  const lfe = r.u(2, 'num_lfe_channel_elements');
  const assoc = r.u(3, 'num_assoc_data_elements');
  const cc = r.u(4, 'num_valid_cc_elements');
  if (r.flag('mono_mixdown_present')) r.skip(4, 'mono_mixdown_element_number');
  if (r.flag('stereo_mixdown_present')) r.skip(4, 'stereo_mixdown_element_number');
  if (r.flag('matrix_mixdown_idx_present')) r.skip(3, 'matrix_mixdown_idx and pseudo_surround_enable');
  let channels = 0;
  for (let i = 0; i < front + side + back; i++) {
    channels += r.flag('is_cpe') ? 2 : 1;
    r.skip(4, 'element_tag_select');
  }
  r.skip(4 * lfe, 'lfe_element_tag_select');
  channels += lfe;
  r.skip(4 * assoc, 'assoc_data_element_tag_select');
  r.skip(5 * cc, 'cc_element_is_ind_sw and valid_cc_element_tag_select');
  r.align();
  r.skip(8 * r.u(8, 'comment_field_bytes'), 'comment_field_data');
  return channels;
}
