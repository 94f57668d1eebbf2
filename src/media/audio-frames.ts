/**
 * What a container needs to know about Opus, MP3 and AC-3 audio that FLV does
 * not say: the OpusHead's channel count and each Opus packet's duration (RFC
 * 6716 3.1: the TOC byte), an MPEG audio frame header's sample rate, channels
 * and samples per frame (ISO/IEC 11172-3 2.4.1.3, 13818-3 for the MPEG-2/2.5
 * rates), an AC-3 sync frame's sample rate and channels (ATSC A/52), and a
 * FLAC STREAMINFO's block sizes, rate and channels.
 * Whole-buffer, bounds-checked, no I/O.
 */
import { MediaFormatError } from '../errors.js';

/** What an OpusHead identification header (RFC 7845 5.1) says. */
export interface OpusHead {
  channels: number;
  /** Samples (at 48 kHz) the decoder drops at the start. */
  preSkip: number;
  /** The rate of the original input; Opus always decodes at 48 kHz. */
  inputSampleRate: number;
}

const OPUS_HEAD = 'OpusHead';

/** Parses an OpusHead. Throws MediaFormatError when it is not one. */
export function parseOpusHead(data: Uint8Array): OpusHead {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length < 19 || b.toString('latin1', 0, 8) !== OPUS_HEAD) throw new MediaFormatError(OPUS_HEAD, `not an OpusHead (${b.length} bytes, magic '${b.toString('latin1', 0, Math.min(8, b.length))}')`);
  const channels = b[9]!;
  if (channels === 0) throw new MediaFormatError(OPUS_HEAD, 'channel count 0 at offset 9');
  return { channels, preSkip: b.readUInt16LE(10), inputSampleRate: b.readUInt32LE(12) };
}

/** Frame sizes in 48 kHz samples per TOC config (RFC 6716 3.1, Table 2): SILK 0-11, hybrid 12-15, CELT 16-31. */
function opusFrameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config & 3]!;
  if (config < 16) return config & 1 ? 960 : 480;
  return [120, 240, 480, 960][config & 3]!;
}

/** Samples (at 48 kHz) in one Opus packet, from its TOC byte and frame count; undefined for an empty or truncated packet. */
export function opusPacketSamples(packet: Uint8Array): number | undefined {
  const toc = packet[0];
  if (toc === undefined) return undefined;
  const code = toc & 0x03;
  let frames = code === 0 ? 1 : code === 3 ? (packet[1] ?? 0) & 0x3f : 2;
  if (code === 3 && packet.length < 2) return undefined;
  if (frames === 0) frames = 1;
  return frames * opusFrameSamples(toc >> 3);
}

/** What an MPEG audio frame header says. */
export interface MpegAudioHeader {
  /** 1 (MPEG-1), 2 (MPEG-2) or 2.5. */
  version: 1 | 2 | 2.5;
  layer: 1 | 2 | 3;
  sampleRate: number;
  channels: 1 | 2;
  /** Samples per frame: 384 (layer I), 1152 (layer II, MPEG-1 layer III), 576 (MPEG-2/2.5 layer III). */
  samplesPerFrame: number;
}

const MPEG1_RATES = [44100, 48000, 32000];

/** Parses the 4-byte header at the start of an MPEG audio frame; undefined when there is no valid one. */
export function parseMpegAudioHeader(frame: Uint8Array): MpegAudioHeader | undefined {
  if (frame.length < 4 || frame[0] !== 0xff || (frame[1]! & 0xe0) !== 0xe0) return undefined;
  const versionBits = (frame[1]! >> 3) & 0x03;
  const layerBits = (frame[1]! >> 1) & 0x03;
  const rateIndex = (frame[2]! >> 2) & 0x03;
  if (versionBits === 1 || layerBits === 0 || rateIndex === 3 || frame[2]! >> 4 === 0x0f) return undefined;
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const layer = (4 - layerBits) as 1 | 2 | 3;
  const sampleRate = MPEG1_RATES[rateIndex]! / (version === 1 ? 1 : version === 2 ? 2 : 4);
  const channels = frame[3]! >> 6 === 3 ? 1 : 2;
  const samplesPerFrame = layer === 1 ? 384 : layer === 2 || version === 1 ? 1152 : 576;
  return { version, layer, sampleRate, channels, samplesPerFrame };
}

/** What an AC-3 sync frame header says (ATSC A/52 5.4.1, 5.4.2: syncinfo and the start of bsi). */
export interface Ac3Header {
  sampleRate: number;
  /** Full-bandwidth channels (acmod) plus the LFE channel. */
  channels: number;
}

const AC3_RATES = [48000, 44100, 32000];
const AC3_ACMOD_CHANNELS = [2, 1, 2, 3, 3, 4, 4, 5];

/** Parses the header of an AC-3 sync frame; undefined when there is none (or it is E-AC-3, bsid > 10). */
export function parseAc3Header(frame: Uint8Array): Ac3Header | undefined {
  if (frame.length < 8 || frame[0] !== 0x0b || frame[1] !== 0x77) return undefined;
  const fscod = frame[4]! >> 6;
  const bsid = frame[5]! >> 3;
  if (fscod === 3 || bsid > 10) return undefined;
  // bsi after bsid/bsmod: acmod(3), then the mix levels acmod asks for, then lfeon.
  const bits = (frame[6]! << 8) | frame[7]!;
  const acmod = bits >> 13;
  let at = 3;
  if (acmod & 1 && acmod !== 1) at += 2; // cmixlev
  if (acmod & 4) at += 2; // surmixlev
  if (acmod === 2) at += 2; // dsurmod
  const lfeon = (bits >> (15 - at)) & 1;
  return { sampleRate: AC3_RATES[fscod]!, channels: AC3_ACMOD_CHANNELS[acmod]! + lfeon };
}

/** What a FLAC STREAMINFO block says (FLAC format, 8.2). */
export interface FlacStreamInfo {
  minBlockSize: number;
  maxBlockSize: number;
  sampleRate: number;
  channels: number;
  /** The decoder configuration as WebCodecs has it: "fLaC", a last-block STREAMINFO header, the 34 bytes. */
  description: Buffer;
}

const FLAC_MAGIC = 'fLaC';
const STREAMINFO_SIZE = 34;

/**
 * Parses a FLAC configuration: the 34-byte STREAMINFO alone, or "fLaC" and
 * metadata blocks starting with STREAMINFO (both forms are seen in FLAC
 * SequenceStart messages). Throws MediaFormatError otherwise.
 */
export function parseFlacConfig(data: Uint8Array): FlacStreamInfo {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let info = b;
  if (b.length >= 8 + STREAMINFO_SIZE && b.toString('latin1', 0, 4) === FLAC_MAGIC) {
    if ((b[4]! & 0x7f) !== 0 || b.readUIntBE(5, 3) !== STREAMINFO_SIZE) throw new MediaFormatError('FLAC STREAMINFO', 'the first metadata block at offset 4 is not a 34-byte STREAMINFO');
    info = b.subarray(8, 8 + STREAMINFO_SIZE);
  } else if (b.length !== STREAMINFO_SIZE) {
    throw new MediaFormatError('FLAC STREAMINFO', `${b.length} bytes: neither a 34-byte STREAMINFO nor 'fLaC' and metadata blocks`);
  }
  const sampleRate = info.readUIntBE(10, 3) >> 4;
  if (sampleRate === 0) throw new MediaFormatError('FLAC STREAMINFO', 'sample rate 0 at offset 10');
  const channels = ((info[12]! >> 1) & 0x07) + 1;
  const description = Buffer.concat([Buffer.from(FLAC_MAGIC, 'latin1'), Buffer.from([0x80, 0, 0, STREAMINFO_SIZE]), info]);
  return { minBlockSize: info.readUInt16BE(0), maxBlockSize: info.readUInt16BE(2), sampleRate, channels, description };
}
