/**
 * FLV tag bodies (= RTMP message payloads) for frames taken out of another
 * container (MP4, MOV, Matroska, WebM), one packetizer per codec.
 *
 * The table is the one place that knows how a codec travels in FLV: legacy
 * AVC, AAC and MP3 (FLV spec v10.1, E.4.2.1 AUDIODATA and E.4.3.1 VIDEODATA),
 * and the Enhanced RTMP codecs HEVC, AV1, VP9, Opus, AC-3 and E-AC-3 (veovera
 * enhanced-rtmp v2: ExVideoTagHeader / ExAudioTagHeader with a FourCC). Keys
 * are the codec names the container layer reports (WebCodecs-style short
 * names: avc, hevc, vp9, av1, aac, opus, mp3, ...).
 */
import { MediaFormatError } from '../errors.js';
import { parseAudioSpecificConfig } from './aac.js';
import { parseAvcDecoderConfig } from './avc.js';
import { buildAv1CodecConfig, findSequenceHeaderObu, parseAv1CodecConfig } from './av1.js';
import { buildAudioCodedFrames, buildAudioSequenceStart, buildVideoCodedFrames, buildVideoSequenceStart, type AudioFourCc, type VideoFourCc } from './enhanced.js';
import { parseHevcDecoderConfig } from './hevc.js';
import { parseVpCodecConfig, vpCodecConfigFromCodecString } from './vp9.js';

/** What a container says about one track's codec configuration. */
export interface TrackConfig {
  /**
   * Codec private data: avcC for H.264, hvcC for HEVC, the
   * AudioSpecificConfig for AAC, the OpusHead for Opus; an av1C or vpcC when
   * the demuxer gives one.
   */
  description?: Uint8Array | undefined;
  /** The WebCodecs codec string ("vp09.00.10.08", ...): VP9's configuration when there is no vpcC. */
  codec?: string | undefined;
  /** The track's first frame: AV1's sequence header OBU when there is no av1C. */
  firstFrame?: Uint8Array | undefined;
  /** Audio: samples per second and channels (MP3's legacy tag byte says them). */
  sampleRate?: number | undefined;
  channels?: number | undefined;
}

/** Turns one track's frames into FLV tag bodies. */
export interface TrackPacketizer {
  /** The codec sequence header tag body, sent once before the first frame (and again after a reconnect); empty when the codec has none (MP3, AC-3, E-AC-3). */
  readonly sequenceHeader: Buffer;
  /**
   * onMetaData `videocodecid` / `audiocodecid`: the legacy CodecID or
   * SoundFormat, or for an Enhanced RTMP codec its FourCC as a big-endian
   * UI32 (enhanced-rtmp v1, "Metadata").
   */
  readonly metadataCodecId: number | string;
  /**
   * The tag body for one frame. `ctsMs` is the composition time offset
   * (pts − dts) in ms; audio packetizers ignore it and `key`.
   */
  frame(data: Uint8Array, key: boolean, ctsMs: number): Buffer;
  /**
   * Frames by which decoding runs ahead of presentation, when the codec
   * configuration says (H.264: the SPS's max_num_reorder_frames). Decode
   * times derived from presentation times are delayed by at least this much.
   */
  readonly reorderDelay?: number | undefined;
}

/** Builds a packetizer from the track's configuration; throws MediaFormatError when it is missing or malformed. */
export type PacketizerFactory = (config: TrackConfig) => TrackPacketizer;

/** FLV VIDEODATA CodecID 7 (AVC) and AUDIODATA SoundFormat 10 (AAC). */
export const FLV_CODEC_AVC = 7;
export const FLV_SOUND_AAC = 10;

const AVC_SEQUENCE_HEADER = 0;
const AVC_NALU = 1;
const AAC_SEQUENCE_HEADER = 0;
const AAC_RAW = 1;
/** FrameType (high nibble): 1 keyframe, 2 inter frame. */
const FRAME_KEY = 1;
const FRAME_INTER = 2;
/**
 * AAC's first AUDIODATA byte: SoundFormat 10, and rate/size/type fixed to
 * 44 kHz, 16-bit, stereo whatever the real stream is — the FLV spec says
 * the AudioSpecificConfig decides and players ignore these bits (ffmpeg
 * writes 0xAF for every AAC stream, 48 kHz mono included).
 */
export const AAC_AUDIO_TAG_BYTE = 0xaf;

/** Signed 24-bit range of the AVC CompositionTime field. */
const SI24_MIN = -0x800000;
const SI24_MAX = 0x7fffff;

/**
 * An AVC VIDEODATA body: FrameType|CodecID, AVCPacketType, CompositionTime
 * (SI24, ms), then `data` (the avcC for a sequence header, length-prefixed
 * NAL units for a frame — MP4 and Matroska store them the same way).
 */
export function avcTagBody(frameType: number, packetType: number, ctsMs: number, data: Uint8Array): Buffer {
  if (!Number.isInteger(ctsMs) || ctsMs < SI24_MIN || ctsMs > SI24_MAX) throw new RangeError(`composition time ${ctsMs} ms does not fit a signed 24-bit field`);
  const out = Buffer.allocUnsafe(5 + data.length);
  out[0] = (frameType << 4) | FLV_CODEC_AVC;
  out[1] = packetType;
  out.writeIntBE(ctsMs, 2, 3);
  out.set(data, 5);
  return out;
}

/** An AAC AUDIODATA body: 0xAF, AACPacketType, then the AudioSpecificConfig or a raw AAC frame. */
export function aacTagBody(packetType: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(2 + data.length);
  out[0] = AAC_AUDIO_TAG_BYTE;
  out[1] = packetType;
  out.set(data, 2);
  return out;
}

function required(config: TrackConfig, structure: string): Uint8Array {
  const d = config.description;
  if (d === undefined || d.length === 0) throw new MediaFormatError(structure, 'the track has none (no codec private data)');
  return d;
}

const avc: PacketizerFactory = (config) => {
  const avcC = required(config, 'AVCDecoderConfigurationRecord');
  const record = parseAvcDecoderConfig(avcC); // rejects a record players could not use, before anything is sent
  return {
    sequenceHeader: avcTagBody(FRAME_KEY, AVC_SEQUENCE_HEADER, 0, avcC),
    metadataCodecId: FLV_CODEC_AVC,
    reorderDelay: record.spsInfo.vui?.maxNumReorderFrames,
    frame: (data, key, ctsMs) => avcTagBody(key ? FRAME_KEY : FRAME_INTER, AVC_NALU, ctsMs, data),
  };
};

const aac: PacketizerFactory = (config) => {
  const asc = required(config, 'AudioSpecificConfig');
  parseAudioSpecificConfig(asc);
  return {
    sequenceHeader: aacTagBody(AAC_SEQUENCE_HEADER, asc),
    metadataCodecId: FLV_SOUND_AAC,
    frame: (data) => aacTagBody(AAC_RAW, data),
  };
};

/** FLV AUDIODATA SoundFormat 2 (MP3). */
export const FLV_SOUND_MP3 = 2;
/** SoundRate index (11, 22, 44 kHz) by sample rate; MP3 at 48 kHz is sent as 44 kHz, as ffmpeg does (the frame header decides). */
const MP3_SOUND_RATE: Partial<Record<number, number>> = { 11025: 1, 22050: 2, 44100: 3, 48000: 3 };

/** A FourCC as the UI32 that onMetaData carries for an Enhanced RTMP codec ('hvc1' → 0x68766331). */
export function fourCcValue(fourcc: string): number {
  return Buffer.from(fourcc, 'latin1').readUInt32BE(0);
}

/** An Enhanced RTMP video codec: SequenceStart with `config`, CodedFrames with a composition time where the FourCC has one. */
function enhancedVideo(fourcc: VideoFourCc, config: Uint8Array, reorderDelay?: number): TrackPacketizer {
  const cts = fourcc === 'hvc1';
  return {
    sequenceHeader: buildVideoSequenceStart(fourcc, config),
    metadataCodecId: fourCcValue(fourcc),
    reorderDelay,
    frame: (data, key, ctsMs) => buildVideoCodedFrames(fourcc, data, cts ? ctsMs : 0, key),
  };
}

/** An Enhanced RTMP audio codec: SequenceStart with `config`, one CodedFrames message per packet. */
function enhancedAudio(fourcc: AudioFourCc, config: Uint8Array): TrackPacketizer {
  return {
    sequenceHeader: buildAudioSequenceStart(fourcc, config),
    metadataCodecId: fourCcValue(fourcc),
    frame: (data) => buildAudioCodedFrames(fourcc, data),
  };
}

const hevc: PacketizerFactory = (config) => {
  const hvcC = required(config, 'HEVCDecoderConfigurationRecord');
  // Decode times are derived from presentation times as for H.264; the SPS says how far B-frames reorder.
  return enhancedVideo('hvc1', hvcC, parseHevcDecoderConfig(hvcC).spsInfo.maxNumReorderPics);
};

/**
 * AV1 frames are never reordered in FLV's sense (hidden frames travel inside
 * temporal units), so CompositionTime is 0 and the decode time is the
 * presentation time.
 */
const av1: PacketizerFactory = (config) => {
  if (config.description !== undefined && config.description.length > 0) {
    parseAv1CodecConfig(config.description);
    return enhancedVideo('av01', config.description);
  }
  const frame = config.firstFrame;
  const seq = frame === undefined ? undefined : findSequenceHeaderObu(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
  if (seq === undefined) throw new MediaFormatError('AV1CodecConfigurationRecord', 'the track has none, and its first frame holds no sequence header OBU');
  return enhancedVideo('av01', buildAv1CodecConfig(seq));
};

const vp9: PacketizerFactory = (config) => {
  if (config.description !== undefined && config.description.length > 0) {
    parseVpCodecConfig(config.description);
    return enhancedVideo('vp09', config.description);
  }
  if (config.codec === undefined) throw new MediaFormatError('VPCodecConfigurationRecord', 'the track has none and no codec string');
  return enhancedVideo('vp09', vpCodecConfigFromCodecString(config.codec));
};

/** OpusHead magic (RFC 7845 5.1). */
const OPUS_HEAD = Buffer.from('OpusHead', 'latin1');
/** Magic, version, channel count, pre-skip, input rate, gain, mapping family. */
const OPUS_HEAD_MIN = 19;

const opus: PacketizerFactory = (config) => {
  const head = required(config, 'OpusHead');
  // Enhanced RTMP's Opus SequenceStart is the RFC 7845 identification header, which is what MP4 (dOps, rebuilt) and Matroska give.
  if (head.length < OPUS_HEAD_MIN || !OPUS_HEAD.equals(head.subarray(0, 8))) throw new MediaFormatError('OpusHead', `not an RFC 7845 identification header (${head.length} bytes)`);
  if (head[8]! >> 4 !== 0) throw new MediaFormatError('OpusHead', `version ${head[8]} is not 0.x`);
  return enhancedAudio('Opus', head);
};

/**
 * MP3 travels as legacy SoundFormat 2 (every player knows it): no sequence
 * header — the tag byte with SoundRate/SoundSize/SoundType, then the frame.
 */
const mp3: PacketizerFactory = (config) => {
  const rate = MP3_SOUND_RATE[config.sampleRate ?? 0];
  if (rate === undefined) throw new MediaFormatError('MP3 track', `sample rate ${config.sampleRate ?? 'unknown'} Hz cannot be signalled in FLV`);
  const byte = (FLV_SOUND_MP3 << 4) | (rate << 2) | 0x02 | (config.channels === 1 ? 0 : 1);
  return {
    sequenceHeader: Buffer.alloc(0),
    metadataCodecId: FLV_SOUND_MP3,
    frame: (data) => {
      const out = Buffer.allocUnsafe(1 + data.length);
      out[0] = byte;
      out.set(data, 1);
      return out;
    },
  };
};

/**
 * AC-3 and E-AC-3 carry their configuration in every syncframe: Enhanced RTMP
 * sends them with no SequenceStart, one CodedFrames message per frame.
 */
function inBandAudio(fourcc: AudioFourCc): PacketizerFactory {
  return () => ({ sequenceHeader: Buffer.alloc(0), metadataCodecId: fourCcValue(fourcc), frame: (data) => buildAudioCodedFrames(fourcc, data) });
}

/** Video codecs that can be published, by container codec name. */
export const VIDEO_PACKETIZERS: Readonly<Partial<Record<string, PacketizerFactory>>> = { avc, hevc, av1, vp9 };

/** Audio codecs that can be published, by container codec name. */
export const AUDIO_PACKETIZERS: Readonly<Partial<Record<string, PacketizerFactory>>> = { aac, opus, mp3, ac3: inBandAudio('ac-3'), eac3: inBandAudio('ec-3') };

/** The codecs both tables accept, for messages ("H.264/HEVC/AV1/VP9/AAC/Opus/MP3/AC-3/E-AC-3 only"). */
export function supportedCodecsHint(): string {
  const names: Record<string, string> = { avc: 'H.264', hevc: 'HEVC', av1: 'AV1', vp9: 'VP9', aac: 'AAC', opus: 'Opus', mp3: 'MP3', ac3: 'AC-3', eac3: 'E-AC-3' };
  return [...Object.keys(VIDEO_PACKETIZERS), ...Object.keys(AUDIO_PACKETIZERS)].map((c) => names[c] ?? c).join('/');
}
