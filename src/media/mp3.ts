/**
 * The MPEG audio frame header (ISO/IEC 11172-3 2.4.1.3, 13818-3 for the
 * lower rates, and the unofficial MPEG 2.5): sample rate and channel count.
 * FLV's SoundRate cannot say 48 kHz (or 32, 24, 16, 12 kHz): writers flag
 * such MP3 as 44 kHz and leave the truth to this header.
 */

/** Sample rates by sampling_frequency index, for MPEG-1; MPEG-2 halves them, MPEG 2.5 quarters them. */
const MPEG1_RATES = [44100, 48000, 32000];

/** What an MPEG audio frame header says. */
export interface MpegAudioHeader {
  sampleRate: number;
  /** 1 for single channel mode, else 2. */
  channels: number;
}

/** Reads the 4-byte header at the start of `frame`; undefined when it is not a valid MPEG audio header. */
export function parseMpegAudioHeader(frame: Uint8Array): MpegAudioHeader | undefined {
  if (frame.length < 4 || frame[0] !== 0xff || (frame[1]! & 0xe0) !== 0xe0) return undefined;
  const version = (frame[1]! >> 3) & 0x03; // 0 MPEG 2.5, 1 reserved, 2 MPEG-2, 3 MPEG-1
  const layer = (frame[1]! >> 1) & 0x03; // 0 reserved
  const rateIndex = (frame[2]! >> 2) & 0x03; // 3 reserved
  if (version === 1 || layer === 0 || rateIndex === 3) return undefined;
  const divisor = version === 3 ? 1 : version === 2 ? 2 : 4;
  return { sampleRate: MPEG1_RATES[rateIndex]! / divisor, channels: frame[3]! >> 6 === 3 ? 1 : 2 };
}
