/**
 * FLV tag bodies (= RTMP message payloads) for frames taken out of another
 * container (MP4, MOV, Matroska, WebM), one packetizer per codec.
 *
 * The table is the one place that knows how a codec travels in FLV: legacy
 * AVC and AAC today (FLV spec v10.1, E.4.2.1 AUDIODATA and E.4.3.1 VIDEODATA);
 * an Enhanced RTMP codec (HEVC, AV1, VP9, Opus, ...) is a new entry in
 * VIDEO_PACKETIZERS / AUDIO_PACKETIZERS and nothing else. Keys are the codec
 * names the container layer reports (WebCodecs-style short names: avc, hevc,
 * vp9, av1, aac, opus, ...).
 */
import { MediaFormatError } from '../errors.js';
import { parseAudioSpecificConfig } from './aac.js';
import { parseAvcDecoderConfig } from './avc.js';

/** What a container says about one track's codec configuration. */
export interface TrackConfig {
  /** Codec private data: avcC for H.264, the AudioSpecificConfig for AAC. */
  description?: Uint8Array | undefined;
}

/** Turns one track's frames into FLV tag bodies. */
export interface TrackPacketizer {
  /** The codec sequence header tag body, sent once before the first frame (and again after a reconnect). */
  readonly sequenceHeader: Buffer;
  /** onMetaData `videocodecid` / `audiocodecid` (a number for legacy codecs, a FourCC string for Enhanced RTMP). */
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

/** Video codecs that can be published, by container codec name. */
export const VIDEO_PACKETIZERS: Readonly<Partial<Record<string, PacketizerFactory>>> = { avc };

/** Audio codecs that can be published, by container codec name. */
export const AUDIO_PACKETIZERS: Readonly<Partial<Record<string, PacketizerFactory>>> = { aac };

/** The codecs both tables accept, for messages ("H.264/AAC only"). */
export function supportedCodecsHint(): string {
  const names: Record<string, string> = { avc: 'H.264', aac: 'AAC' };
  return [...Object.keys(VIDEO_PACKETIZERS), ...Object.keys(AUDIO_PACKETIZERS)].map((c) => names[c] ?? c).join('/');
}
