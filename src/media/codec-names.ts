/**
 * Names for the codecs an FLV/RTMP stream can carry: the legacy CodecID and
 * SoundFormat numbers (Adobe FLV spec v10, E.4.2.1 and E.4.3.1) and the
 * Enhanced RTMP FourCCs, as a short stable id (used by `probe --expect` and
 * in JSON) and a name for people.
 */
import type { AudioTagInfo } from './audio-tag.js';
import type { VideoTagInfo } from './video-tag.js';

/** A codec's stable short id and its name for people. */
export interface CodecName {
  /** e.g. "h264", "aac", "nellymoser". */
  id: string;
  /** e.g. "H.264/AVC", "Nellymoser 8 kHz mono". */
  name: string;
}

/** Legacy video CodecIDs (E.4.3.1; 12 is the common pre-Enhanced HEVC extension). */
const VIDEO_CODEC_IDS: Record<number, CodecName> = {
  1: { id: 'jpeg', name: 'JPEG' },
  2: { id: 'h263', name: 'Sorenson H.263' },
  3: { id: 'screen', name: 'Screen video' },
  4: { id: 'vp6', name: 'On2 VP6' },
  5: { id: 'vp6a', name: 'On2 VP6 with alpha' },
  6: { id: 'screen2', name: 'Screen video v2' },
  7: { id: 'h264', name: 'H.264/AVC' },
  12: { id: 'hevc', name: 'H.265/HEVC' },
};

/** Enhanced RTMP video FourCCs. */
const VIDEO_FOURCCS: Record<string, CodecName> = {
  avc1: { id: 'h264', name: 'H.264/AVC' },
  hvc1: { id: 'hevc', name: 'H.265/HEVC' },
  av01: { id: 'av1', name: 'AV1' },
  vp08: { id: 'vp8', name: 'VP8' },
  vp09: { id: 'vp9', name: 'VP9' },
  vvc1: { id: 'vvc', name: 'H.266/VVC' },
};

/** Legacy SoundFormats (E.4.2.1). */
const SOUND_FORMATS: Record<number, CodecName> = {
  0: { id: 'pcm', name: 'Linear PCM, platform endian' },
  1: { id: 'adpcm', name: 'ADPCM' },
  2: { id: 'mp3', name: 'MP3' },
  3: { id: 'pcm-le', name: 'Linear PCM, little endian' },
  4: { id: 'nellymoser', name: 'Nellymoser 16 kHz mono' },
  5: { id: 'nellymoser', name: 'Nellymoser 8 kHz mono' },
  6: { id: 'nellymoser', name: 'Nellymoser' },
  7: { id: 'g711a', name: 'G.711 A-law' },
  8: { id: 'g711u', name: 'G.711 mu-law' },
  10: { id: 'aac', name: 'AAC' },
  11: { id: 'speex', name: 'Speex' },
  14: { id: 'mp3', name: 'MP3 8 kHz' },
  15: { id: 'native', name: 'Device-specific sound' },
};

/** Enhanced RTMP audio FourCCs. */
const AUDIO_FOURCCS: Record<string, CodecName> = {
  'ac-3': { id: 'ac3', name: 'AC-3' },
  'ec-3': { id: 'eac3', name: 'E-AC-3' },
  Opus: { id: 'opus', name: 'Opus' },
  '.mp3': { id: 'mp3', name: 'MP3' },
  fLaC: { id: 'flac', name: 'FLAC' },
  mp4a: { id: 'aac', name: 'AAC' },
};

/** Other spellings accepted for a codec id (e.g. in `--expect video=avc`). */
const ALIASES: Record<string, string> = {
  avc: 'h264',
  'h.264': 'h264',
  h265: 'hevc',
  'h.265': 'hevc',
  sorenson: 'h263',
  flv1: 'h263',
  pcma: 'g711a',
  alaw: 'g711a',
  pcmu: 'g711u',
  mulaw: 'g711u',
  ulaw: 'g711u',
};

/** The name of the video codec a tag header announces. */
export function videoCodecName(info: Pick<VideoTagInfo, 'codecId' | 'fourcc'>): CodecName {
  if (info.fourcc !== undefined) return VIDEO_FOURCCS[info.fourcc] ?? { id: 'unknown', name: `FourCC '${info.fourcc}'` };
  if (info.codecId !== undefined) return VIDEO_CODEC_IDS[info.codecId] ?? { id: 'unknown', name: `video CodecID ${info.codecId}` };
  return { id: 'unknown', name: 'unknown video codec' };
}

/** The name of the audio codec a tag header announces. */
export function audioCodecName(info: Pick<AudioTagInfo, 'soundFormat' | 'fourcc'>): CodecName {
  if (info.fourcc !== undefined) return AUDIO_FOURCCS[info.fourcc] ?? { id: 'unknown', name: `FourCC '${info.fourcc}'` };
  return SOUND_FORMATS[info.soundFormat] ?? { id: 'unknown', name: `SoundFormat ${info.soundFormat}` };
}

/** A codec id as written by a person, in canonical form: lower case, aliases resolved ("AVC" → "h264"). */
export function canonicalCodecId(text: string): string {
  const t = text.trim().toLowerCase();
  return ALIASES[t] ?? t;
}

/** Every codec id this module can report, for help texts and validation. */
export function knownCodecIds(kind: 'video' | 'audio'): string[] {
  const names = kind === 'video' ? [...Object.values(VIDEO_CODEC_IDS), ...Object.values(VIDEO_FOURCCS)] : [...Object.values(SOUND_FORMATS), ...Object.values(AUDIO_FOURCCS)];
  return [...new Set(names.map((n) => n.id))];
}
