/**
 * Track configurations for the container muxer from what an FLV/RTMP stream
 * carries: the codec configuration record of a sequence header (avcC, hvcC,
 * av1C, vpcC; AudioSpecificConfig, OpusHead) and, where the record leaves
 * something out, the first frame (the picture size of VP8/VP9, everything
 * about MP3, which has no sequence header). No I/O.
 *
 * Codec strings follow RFC 6381 and the codecs' ISOBMFF bindings. AV1 and
 * VP9 get the long form (av01.P.LLT.DD.M.CCC.cp.tc.mc.F, vp09.PP.LL.DD.CC.cp.tc.mc.FF)
 * because the muxer rebuilds the av1C/vpcC box (and Matroska's CodecPrivate)
 * from the string: the long form keeps the chroma subsampling and colour
 * description of the stream's own record.
 */
import { MediaFormatError } from '../errors.js';
import { parseAudioSpecificConfig } from '../media/aac.js';
import { opusPacketSamples, parseAc3Header, parseFlacConfig, parseMpegAudioHeader, parseOpusHead } from '../media/audio-frames.js';
import { parseAv1CodecConfig, parseAv1SequenceHeader, findSequenceHeaderObu, type Av1SequenceHeader } from '../media/av1.js';
import { parseAvcDecoderConfig } from '../media/avc.js';
import { hevcRecordCodecString, parseHevcDecoderConfig } from '../media/hevc.js';
import { parseVp9FrameHeader, parseVpCodecConfig, type VpCodecConfig } from '../media/vp9.js';

/** Video codecs a container can take from FLV, by the muxer's names. */
export type ContainerVideoCodec = 'avc' | 'hevc' | 'av1' | 'vp9' | 'vp8';
/** Audio codecs a container can take from FLV, by the muxer's names. */
export type ContainerAudioCodec = 'aac' | 'opus' | 'mp3' | 'ac3' | 'flac';

/** Our codec ids (media/codec-names.ts) to the muxer's. */
const VIDEO_IDS: Record<string, ContainerVideoCodec> = { h264: 'avc', hevc: 'hevc', av1: 'av1', vp9: 'vp9', vp8: 'vp8' };
const AUDIO_IDS: Record<string, ContainerAudioCodec> = { aac: 'aac', opus: 'opus', mp3: 'mp3', ac3: 'ac3', flac: 'flac' };

/** The muxer's name for one of our codec ids, or undefined when we cannot write it to a container. */
export function containerVideoCodec(id: string): ContainerVideoCodec | undefined {
  return VIDEO_IDS[id];
}

export function containerAudioCodec(id: string): ContainerAudioCodec | undefined {
  return AUDIO_IDS[id];
}

/** A video track: codec string, picture size and (AVC, HEVC) the configuration record as `description`. */
export interface VideoTrackConfig {
  codec: ContainerVideoCodec;
  /** RFC 6381, e.g. "avc1.4d401e", "hvc1.1.6.L93.B0", "av01.0.04M.08", "vp09.00.10.08". */
  codecString: string;
  width: number;
  height: number;
  /** avcC / hvcC; absent for AV1, VP8 and VP9, whose boxes the muxer builds from the codec string. */
  description?: Buffer;
  /** The sequence header as received: tells a changed one from a repeated one. */
  record: Buffer;
}

/** An audio track. */
export interface AudioTrackConfig {
  codec: ContainerAudioCodec;
  /** e.g. "mp4a.40.2", "opus", "mp3", "ac-3". */
  codecString: string;
  sampleRate: number;
  channels: number;
  /** AudioSpecificConfig / OpusHead / "fLaC" + STREAMINFO; absent for MP3 and AC-3. */
  description?: Buffer;
  /**
   * Duration of one frame in seconds when every frame has the same (AAC, MP3,
   * AC-3, FLAC with a fixed block size); Opus packets say their own; 0 when
   * unknown (a variable FLAC block size: the FLV timestamps are used as they are).
   */
  frameSeconds: number;
  record: Buffer;
  /** AC-3: the first sync frame, from which the muxer builds the dac3 box. */
  primingFrame?: Buffer;
}

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * The video track for a sequence header's record. Undefined when the record
 * does not give the picture size (VP8, VP9, an av1C without a sequence
 * header): then call again with the first key frame.
 */
export function videoTrackConfig(codec: ContainerVideoCodec, record: Buffer, keyframe?: Buffer): VideoTrackConfig | undefined {
  switch (codec) {
    case 'avc': {
      const avc = parseAvcDecoderConfig(record);
      return { codec, codecString: avc.spsInfo.codecString, width: avc.spsInfo.width, height: avc.spsInfo.height, description: record, record };
    }
    case 'hevc': {
      const hevc = parseHevcDecoderConfig(record);
      return { codec, codecString: hevcRecordCodecString(hevc), width: hevc.spsInfo.width, height: hevc.spsInfo.height, description: record, record };
    }
    case 'av1': {
      const c = parseAv1CodecConfig(record);
      let seq = c.sequenceHeader;
      if (seq === undefined && keyframe !== undefined) {
        const obu = findSequenceHeaderObu(keyframe);
        if (obu === undefined) throw new MediaFormatError('AV1 key frame', 'no sequence header OBU in the av1C record or the first key frame');
        seq = parseAv1SequenceHeader(obu);
      }
      return seq && { codec, codecString: av1LongCodecString(seq, c.chromaSamplePosition), width: seq.width, height: seq.height, record };
    }
    case 'vp9': {
      const c = parseVpCodecConfig(record);
      const h = keyframe && parseVp9FrameHeader(keyframe);
      if (keyframe !== undefined && !h) throw new MediaFormatError('VP9 key frame', 'the first key frame has no key frame header');
      return h ? { codec, codecString: vp9LongCodecString(c), width: h.width, height: h.height, record } : undefined;
    }
    case 'vp8': {
      if (keyframe === undefined) return undefined;
      const size = vp8KeyframeSize(keyframe);
      return { codec, codecString: 'vp8', width: size.width, height: size.height, record };
    }
    default: {
      const never: never = codec;
      return never;
    }
  }
}

/** av01.P.LLT.DD.M.CCC.cp.tc.mc.F (AV1 ISOBMFF binding, "Codecs Parameter String"). */
export function av1LongCodecString(seq: Av1SequenceHeader, chromaSamplePosition: number): string {
  const ccc = `${seq.subsamplingX}${seq.subsamplingY}${seq.subsamplingX && seq.subsamplingY ? chromaSamplePosition : 0}`;
  return `${seq.codecString}.${seq.monochrome ? 1 : 0}.${ccc}.${two(seq.colorPrimaries)}.${two(seq.transferCharacteristics)}.${two(seq.matrixCoefficients)}.${seq.fullRange ? 1 : 0}`;
}

/** vp09.PP.LL.DD.CC.cp.tc.mc.FF (VP codec ISOBMFF binding, "Codecs Parameter String"). */
export function vp9LongCodecString(c: VpCodecConfig): string {
  return `${c.codecString}.${two(c.chromaSubsampling)}.${two(c.colourPrimaries)}.${two(c.transferCharacteristics)}.${two(c.matrixCoefficients)}.${two(c.fullRange ? 1 : 0)}`;
}

/** The picture size in a VP8 key frame header (RFC 6386 9.1: 3-byte frame tag, start code 9d 01 2a, 14-bit sizes). */
export function vp8KeyframeSize(frame: Buffer): { width: number; height: number } {
  if (frame.length < 10 || frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) throw new MediaFormatError('VP8 key frame', 'no start code 9d 01 2a at offset 3');
  const width = frame.readUInt16LE(6) & 0x3fff;
  const height = frame.readUInt16LE(8) & 0x3fff;
  if (width === 0 || height === 0) throw new MediaFormatError('VP8 key frame', `picture size ${width}x${height}`);
  return { width, height };
}

/** The audio track for an AAC, Opus or FLAC sequence header's record. */
export function audioTrackConfig(codec: 'aac' | 'opus' | 'flac', record: Buffer): AudioTrackConfig {
  if (codec === 'flac') {
    const f = parseFlacConfig(record);
    const frameSeconds = f.minBlockSize === f.maxBlockSize ? f.maxBlockSize / f.sampleRate : 0;
    return { codec, codecString: 'flac', sampleRate: f.sampleRate, channels: f.channels, description: f.description, frameSeconds, record };
  }
  if (codec === 'opus') {
    const head = parseOpusHead(record);
    return { codec, codecString: 'opus', sampleRate: 48000, channels: head.channels, description: record, frameSeconds: 0.02, record };
  }
  const asc = parseAudioSpecificConfig(record);
  return {
    codec,
    codecString: asc.codecString,
    sampleRate: asc.outputSampleRate,
    channels: asc.outputChannels ?? asc.channels ?? 2,
    description: record,
    frameSeconds: (asc.frameLength ?? 1024) / asc.sampleRate,
    record,
  };
}

/**
 * The audio track of an MP3 or AC-3 stream, from its first frame (neither has
 * a sequence header; the muxer builds AC-3's dac3 from the first frame too).
 * Undefined when the frame does not start with a valid header.
 */
export function frameAudioTrackConfig(codec: 'mp3' | 'ac3', frame: Buffer): AudioTrackConfig | undefined {
  const record = Buffer.alloc(0);
  if (codec === 'ac3') {
    const h = parseAc3Header(frame);
    // An AC-3 sync frame always holds 6 blocks of 256 samples.
    return h && { codec, codecString: 'ac-3', sampleRate: h.sampleRate, channels: h.channels, frameSeconds: 1536 / h.sampleRate, record, primingFrame: frame };
  }
  const h = parseMpegAudioHeader(frame);
  return h && { codec, codecString: 'mp3', sampleRate: h.sampleRate, channels: h.channels, frameSeconds: h.samplesPerFrame / h.sampleRate, record };
}

/** The duration of one audio packet in seconds. */
export function audioPacketSeconds(config: AudioTrackConfig, data: Buffer): number {
  if (config.codec !== 'opus') return config.frameSeconds;
  const samples = opusPacketSamples(data);
  return samples === undefined ? config.frameSeconds : samples / 48000;
}
