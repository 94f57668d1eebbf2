/**
 * The first bytes of an audio payload (FLV AUDIODATA / RTMP audio message).
 *
 * Legacy layout (Adobe FLV spec v10, annex E.4.2.1):
 *   UB[4] SoundFormat (0 PCM platform endian, 1 ADPCM, 2 MP3, 3 PCM little endian,
 *         4 Nellymoser 16 kHz mono, 5 Nellymoser 8 kHz mono, 6 Nellymoser, 7 G.711 A-law,
 *         8 G.711 mu-law, 10 AAC, 11 Speex, 14 MP3 8 kHz, 15 device specific)
 *   UB[2] SoundRate (0 5.5 kHz, 1 11 kHz, 2 22 kHz, 3 44 kHz)
 *   UB[1] SoundSize (0 8-bit, 1 16-bit)
 *   UB[1] SoundType (0 mono, 1 stereo)
 *   if AAC: UI8 AACPacketType (0 AudioSpecificConfig, 1 raw frames)
 *
 * Enhanced RTMP (veovera enhanced-rtmp v2, "Enhanced Audio"): SoundFormat 9
 * (ExHeader), then the low nibble is an AudioPacketType (0 SequenceStart,
 * 1 CodedFrames, 2 SequenceEnd, 4 MultichannelConfig, 5 Multitrack, 7 ModEx),
 * ModEx steps as for video, then (for Multitrack) UB[4] AvMultitrackType and
 * UB[4] AudioPacketType, and a FOURCC ('ac-3', 'ec-3', 'Opus', '.mp3', 'fLaC', 'mp4a').
 */
import type { ByteReader } from '../bytes/byte-reader.js';
import { readLeniently } from '../bytes/lenient.js';
import { readModEx } from './enhanced.js';

/** Codec names shared by legacy SoundFormats and Enhanced RTMP FourCCs. */
export type AudioCodec =
  | 'pcm'
  | 'adpcm'
  | 'mp3'
  | 'pcm-le'
  | 'nellymoser'
  | 'g711a'
  | 'g711u'
  | 'aac'
  | 'speex'
  | 'native'
  | 'ac3'
  | 'eac3'
  | 'opus'
  | 'flac'
  | 'unknown';

/** What the header bytes of an audio payload say. */
export interface AudioTagInfo {
  /** True for an Enhanced RTMP (SoundFormat 9) payload. */
  enhanced: boolean;
  codec: AudioCodec;
  /** The 4-bit SoundFormat (9 for Enhanced RTMP). */
  soundFormat: number;
  /** Enhanced RTMP FourCC, e.g. 'Opus'. */
  fourcc?: string;
  /** Legacy: sample rate in Hz implied by SoundRate (or by the format for Nellymoser/MP3 8 kHz). */
  sampleRate?: number;
  /** Legacy: 8 or 16 bits per sample. */
  sampleSize?: number;
  /** Legacy: 1 (mono) or 2 (stereo). */
  channels?: number;
  /** AACPacketType (legacy AAC) or AudioPacketType (Enhanced); undefined for other legacy formats. */
  packetType: number | undefined;
  /** True for an AAC AudioSpecificConfig or an Enhanced SequenceStart. */
  sequenceHeader: boolean;
  /** Bytes before the codec data. */
  headerSize: number;
  /** Enhanced multitrack: AvMultitrackType. */
  multitrackType?: number;
  /** Enhanced ModEx TimestampOffsetNano, when present. */
  timestampOffsetNano?: number;
}

const LEGACY_FORMATS: Record<number, AudioCodec> = {
  0: 'pcm',
  1: 'adpcm',
  2: 'mp3',
  3: 'pcm-le',
  4: 'nellymoser',
  5: 'nellymoser',
  6: 'nellymoser',
  7: 'g711a',
  8: 'g711u',
  10: 'aac',
  11: 'speex',
  14: 'mp3',
  15: 'native',
};

const FOURCC_CODECS: Record<string, AudioCodec> = {
  'ac-3': 'ac3',
  'ec-3': 'eac3',
  Opus: 'opus',
  '.mp3': 'mp3',
  fLaC: 'flac',
  mp4a: 'aac',
};

/** The codec of an Enhanced RTMP audio FourCC ('unknown' when not listed). */
export function audioCodecOfFourCc(fourcc: string): AudioCodec {
  return FOURCC_CODECS[fourcc] ?? 'unknown';
}

const RATES = [5512, 11025, 22050, 44100];
const EX_HEADER = 9;
const AAC = 10;
const PACKET_MULTITRACK = 5;
const PACKET_MODEX = 7;
const MANY_TRACKS_MANY_CODECS = 2;

/**
 * Parses the header bytes of an audio payload. Returns undefined for an
 * empty or truncated header, or a reserved SoundFormat (12, 13); never throws.
 */
export function parseAudioTagHeader(payload: Buffer): AudioTagInfo | undefined {
  return readLeniently(payload, (r) => {
    const b0 = r.u8();
    const soundFormat = b0 >> 4;
    if (soundFormat === EX_HEADER) return parseEnhanced(r, b0);
    const codec = LEGACY_FORMATS[soundFormat];
    if (codec === undefined) return undefined;
    let sampleRate = RATES[(b0 >> 2) & 0x03]!;
    if (soundFormat === 4) sampleRate = 16000;
    else if (soundFormat === 5 || soundFormat === 14) sampleRate = 8000;
    const info: AudioTagInfo = {
      enhanced: false,
      codec,
      soundFormat,
      sampleRate,
      sampleSize: b0 & 0x02 ? 16 : 8,
      channels: b0 & 0x01 ? 2 : 1,
      packetType: undefined,
      sequenceHeader: false,
      headerSize: 1,
    };
    if (soundFormat === AAC) {
      info.packetType = r.u8();
      info.sequenceHeader = info.packetType === 0;
      info.headerSize = r.offset;
    }
    return info;
  });
}

function parseEnhanced(r: ByteReader, b0: number): AudioTagInfo {
  let packetType = b0 & 0x0f;
  const info: AudioTagInfo = {
    enhanced: true,
    codec: 'unknown',
    soundFormat: EX_HEADER,
    packetType,
    sequenceHeader: false,
    headerSize: 1,
  };
  while (packetType === PACKET_MODEX) {
    const mod = readModEx(r);
    if (mod.nanoOffset !== undefined) info.timestampOffsetNano = mod.nanoOffset;
    packetType = mod.nextPacketType;
  }
  let fourcc: string | undefined;
  if (packetType === PACKET_MULTITRACK) {
    const b = r.u8();
    info.multitrackType = b >> 4;
    packetType = b & 0x0f;
    if (info.multitrackType !== MANY_TRACKS_MANY_CODECS) fourcc = r.bytes(4).toString('latin1');
  } else {
    fourcc = r.bytes(4).toString('latin1');
  }
  if (fourcc !== undefined) {
    info.fourcc = fourcc;
    info.codec = audioCodecOfFourCc(fourcc);
  }
  info.packetType = packetType;
  info.sequenceHeader = packetType === 0;
  info.headerSize = r.offset;
  return info;
}
