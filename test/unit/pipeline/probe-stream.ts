/**
 * Synthetic FLV packet sequences for the probe tests: an H.264 + AAC stream
 * with chosen frame rate, GOP, sizes and timestamp faults. The sequence
 * headers are real libx264 / ffmpeg AAC output (see test/unit/media).
 */
import { encodeAmf0 } from '../../../src/amf/amf0.js';
import { ecmaArray, type AmfObject } from '../../../src/amf/value.js';
import { PacketType, type MediaPacket } from '../../../src/media/packet.js';

/** libx264 Main 3.1, 1280x720, VUI 25 fps (the MAIN_720 vector of avc.test.ts). */
export const AVCC_720 = Buffer.from('014d401fffe10019674d401feca02802dd80880000030008000003019078c18cb001000468ef8fc8', 'hex');
/** ffmpeg AAC LC, 44100 Hz, stereo. */
export const ASC_44100_STEREO = Buffer.from('121056e500', 'hex');

export function avcSequenceHeader(ts = 0, avcc = AVCC_720): MediaPacket {
  return { type: PacketType.Video, timestamp: ts, payload: Buffer.concat([Buffer.from([0x17, 0x00, 0, 0, 0]), avcc]) };
}

export function avcFrame(ts: number, key: boolean, bytes: number): MediaPacket {
  const payload = Buffer.alloc(bytes);
  payload[0] = key ? 0x17 : 0x27;
  payload[1] = 0x01;
  return { type: PacketType.Video, timestamp: ts, payload };
}

export function aacSequenceHeader(ts = 0, asc = ASC_44100_STEREO): MediaPacket {
  return { type: PacketType.Audio, timestamp: ts, payload: Buffer.concat([Buffer.from([0xaf, 0x00]), asc]) };
}

export function aacFrame(ts: number, bytes: number): MediaPacket {
  const payload = Buffer.alloc(bytes);
  payload[0] = 0xaf;
  payload[1] = 0x01;
  return { type: PacketType.Audio, timestamp: ts, payload };
}

export function metadata(fields: AmfObject, ts = 0): MediaPacket {
  return { type: PacketType.Data, timestamp: ts, payload: encodeAmf0('onMetaData', ecmaArray(fields)) };
}

export interface StreamSpec {
  seconds: number;
  fps?: number;
  /** Keyframe every n frames. */
  gop?: number;
  videoBytes?: number;
  keyBytes?: number;
  audioBytes?: number;
  /** Audio packets per second (AAC at 44.1 kHz: 44100 / 1024). */
  audioRate?: number;
  /** Multiplies audio timestamps (1 = in sync), to make drift: packets still arrive in capture order. */
  audioClock?: number;
  /** Added to every timestamp. */
  start?: number;
  meta?: AmfObject | null;
}

/** Metadata, both sequence headers, then frames interleaved by timestamp. */
export function synthStream(spec: StreamSpec): MediaPacket[] {
  const fps = spec.fps ?? 25;
  const gop = spec.gop ?? 50;
  const rate = spec.audioRate ?? 44100 / 1024;
  const start = spec.start ?? 0;
  // `at` is the capture time: packets are interleaved as a live encoder sends them.
  const out: Array<MediaPacket & { at: number; order: number }> = [];
  const frames = Math.round(spec.seconds * fps);
  for (let i = 0; i < frames; i++) {
    const key = i % gop === 0;
    const at = (i * 1000) / fps;
    out.push({ ...avcFrame(start + Math.round(at), key, key ? (spec.keyBytes ?? 20_000) : (spec.videoBytes ?? 5_000)), at, order: 1 });
  }
  const packets = Math.round(spec.seconds * rate);
  for (let j = 0; j < packets; j++) {
    const at = (j * 1000) / rate;
    out.push({ ...aacFrame(start + Math.round(at * (spec.audioClock ?? 1)), spec.audioBytes ?? 400), at, order: 0 });
  }
  out.sort((a, b) => a.at - b.at || a.order - b.order);
  const head: MediaPacket[] = [];
  if (spec.meta !== null) head.push(metadata(spec.meta ?? { width: 1280, height: 720, framerate: fps, videocodecid: 7, audiocodecid: 10, audiosamplerate: 44100, stereo: true }, start));
  head.push(avcSequenceHeader(start), aacSequenceHeader(start));
  return [...head, ...out.map(({ order: _order, at: _at, ...p }) => p)];
}
