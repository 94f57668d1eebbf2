/**
 * Enhanced RTMP test media: an FLV built with the library's builders from an
 * ffmpeg-made MP4 (mediabunny reads the packets and the OpusHead, the sample
 * entry gives the hvcC/av1C/vpcC), and the way back — the elementary stream of played-back
 * Enhanced RTMP messages as Annex B (HEVC) or IVF (AV1, VP9), for ffmpeg to
 * decode and hash.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { ALL_FORMATS, BufferSource, EncodedPacketSink, Input } from 'mediabunny';
import { encodeFlvHeader, encodeFlvTag } from '../../src/flv/writer.js';
import { buildAudioCodedFrames, buildAudioSequenceStart, buildExVideoMessage, buildVideoCodedFrames, buildVideoSequenceStart, parseExVideoMessage, VideoPacketType, type VideoFourCc } from '../../src/media/enhanced.js';
import { parseHevcDecoderConfig } from '../../src/media/hevc.js';
import { PacketType, type MediaPacket } from '../../src/media/packet.js';
import { packetsOf } from './interop.js';
import { sampleEntryConfig } from './mp4-boxes.js';
import type { NmsServer } from './nms.js';
import { framemd5, rtmpCli, startRtmpCli } from './peers.js';

/** One coded frame of an MP4 track, in decode order, with FLV millisecond times. */
export interface SourceFrame {
  data: Uint8Array;
  key: boolean;
  dtsMs: number;
  ctsMs: number;
}

const CONFIG_BOX: Record<string, string> = { hvc1: 'hvcC', av01: 'av1C', vp09: 'vpcC' };

/** The configuration record and the frames of the MP4's video track. */
export async function readMp4Video(file: string, fourcc: VideoFourCc): Promise<{ config: Buffer; frames: SourceFrame[]; width: number; height: number }> {
  const mp4 = await readFile(file);
  const { config } = sampleEntryConfig(mp4, CONFIG_BOX[fourcc]!);
  const input = new Input({ source: new BufferSource(mp4), formats: ALL_FORMATS });
  const track = await input.getPrimaryVideoTrack();
  if (!track) throw new Error(`${file}: no video track`);
  const raw: Array<{ data: Uint8Array; key: boolean; ptsMs: number }> = [];
  for await (const p of new EncodedPacketSink(track).packets()) raw.push({ data: p.data, key: p.type === 'key', ptsMs: Math.round(p.timestamp * 1000) });
  // MP4 gives presentation times in decode order; decode times are the sorted
  // presentation times, delayed so that no frame is decoded after it is shown.
  const sorted = raw.map((f) => f.ptsMs).sort((a, b) => a - b);
  const delay = Math.max(0, ...raw.map((f, i) => sorted[i]! - f.ptsMs));
  const frames = raw.map((f, i) => {
    const dtsMs = sorted[i]! - delay;
    return { data: f.data, key: f.key, dtsMs: dtsMs + delay, ctsMs: f.ptsMs - dtsMs };
  });
  return { config, frames, width: track.codedWidth, height: track.codedHeight };
}

/** The Opus packets of the MP4's audio track as Enhanced RTMP messages (SequenceStart with the OpusHead first), timestamps from 0. */
export async function mp4OpusPackets(file: string): Promise<MediaPacket[]> {
  const input = new Input({ source: new BufferSource(await readFile(file)), formats: ALL_FORMATS });
  const track = await input.getPrimaryAudioTrack();
  const head = (await track?.getDecoderConfig())?.description;
  if (!track || !head) throw new Error(`${file}: no Opus track with an OpusHead`);
  const out: MediaPacket[] = [{ type: PacketType.Audio, timestamp: 0, payload: buildAudioSequenceStart('Opus', head instanceof ArrayBuffer ? new Uint8Array(head) : new Uint8Array(head.buffer, head.byteOffset, head.byteLength)) }];
  let first: number | undefined;
  for await (const p of new EncodedPacketSink(track).packets()) {
    first ??= p.timestamp;
    out.push({ type: PacketType.Audio, timestamp: Math.round((p.timestamp - first) * 1000), payload: buildAudioCodedFrames('Opus', p.data) });
  }
  return out;
}

/** Audio and video in timestamp order (video first at equal times), as a muxer interleaves them. */
export function interleave(video: readonly MediaPacket[], audio: readonly MediaPacket[]): MediaPacket[] {
  return [...video, ...audio].map((p, i) => ({ p, i })).sort((x, y) => x.p.timestamp - y.p.timestamp || x.i - y.i).map((x) => x.p);
}

/** The FLV messages of one source: its SequenceStart, then one CodedFrames message per frame. */
export function enhancedPackets(fourcc: VideoFourCc, src: { config: Buffer; frames: SourceFrame[] }): MediaPacket[] {
  const out: MediaPacket[] = [{ type: PacketType.Video, timestamp: 0, payload: buildVideoSequenceStart(fourcc, src.config) }];
  for (const f of src.frames) out.push({ type: PacketType.Video, timestamp: f.dtsMs, payload: buildVideoCodedFrames(fourcc, f.data, fourcc === 'hvc1' ? f.ctsMs : 0, f.key) });
  return out;
}

/**
 * Two sources as one multitrack stream: track 0 as plain messages (as OBS
 * sends the default track) and track 1 in OneTrack multitrack messages at the
 * same timestamps, behind a ModEx TimestampOffsetNano step (frame i: i µs).
 * The sources must have the same frame times and key frames.
 */
export function multitrackPackets(fourcc: VideoFourCc, track0: { config: Buffer; frames: SourceFrame[] }, track1: { config: Buffer; frames: SourceFrame[] }): MediaPacket[] {
  const out: MediaPacket[] = [];
  const zero = enhancedPackets(fourcc, track0);
  const one = (packetType: number, frameType: number, data: Uint8Array, cts: number, nano: number): Buffer =>
    buildExVideoMessage({ frameType, packetType, multitrackType: 0, timestampOffsetNano: nano, tracks: [{ trackId: 1, fourcc, data: Buffer.from(data), compositionTime: cts }] });
  out.push(zero[0]!, { type: PacketType.Video, timestamp: 0, payload: one(VideoPacketType.SequenceStart, 1, track1.config, 0, 0) });
  track1.frames.forEach((f, i) => {
    out.push(zero[i + 1]!, { type: PacketType.Video, timestamp: f.dtsMs, payload: one(VideoPacketType.CodedFrames, f.key ? 1 : 2, f.data, fourcc === 'hvc1' ? f.ctsMs : 0, i * 1000) });
  });
  return out;
}

/** Writes packets as an FLV file (video only). */
export async function writeFlv(file: string, packets: readonly MediaPacket[]): Promise<void> {
  const audio = packets.some((p) => p.type === PacketType.Audio);
  await writeFile(file, Buffer.concat([encodeFlvHeader({ audio, video: true }), ...packets.flatMap((p) => encodeFlvTag(p))]));
}

const START_CODE = Buffer.from([0, 0, 0, 1]);

/** Length-prefixed NAL units as Annex B. */
function annexB(data: Buffer, lengthSize: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + lengthSize <= data.length; ) {
    const n = data.readUIntBE(at, lengthSize);
    out.push(START_CODE, data.subarray(at + lengthSize, at + lengthSize + n));
    at += lengthSize + n;
  }
  return out;
}

/** An IVF file header (32 bytes) and frame headers (12 bytes). */
function ivf(codec: 'AV01' | 'VP90', width: number, height: number, frames: Buffer[]): Buffer {
  const head = Buffer.alloc(32);
  head.write('DKIF', 0, 'latin1');
  head.writeUInt16LE(0, 4);
  head.writeUInt16LE(32, 6);
  head.write(codec, 8, 'latin1');
  head.writeUInt16LE(width, 12);
  head.writeUInt16LE(height, 14);
  head.writeUInt32LE(1000, 16);
  head.writeUInt32LE(1, 20);
  head.writeUInt32LE(frames.length, 24);
  const parts = [head];
  frames.forEach((f, i) => {
    const h = Buffer.alloc(12);
    h.writeUInt32LE(f.length, 0);
    h.writeBigUInt64LE(BigInt(i), 4);
    parts.push(h, Buffer.from(f));
  });
  return Buffer.concat(parts);
}

/** AV1 temporal delimiter OBU: MP4 samples leave it out, IVF/Annex-less streams start each unit with it. */
const TEMPORAL_DELIMITER = Buffer.from([0x12, 0x00]);

/**
 * The elementary stream of the Enhanced RTMP video messages in `packets`
 * (plain, single-track messages of one FourCC): Annex B for hvc1 with the
 * parameter sets first, IVF for av01 and vp09.
 */
export function elementaryStream(packets: readonly MediaPacket[], width: number, height: number): { fourcc: string; data: Buffer; frames: number } {
  let fourcc = '';
  let nalLengthSize = 4;
  const frames: Buffer[] = [];
  const header: Buffer[] = [];
  for (const p of packets) {
    if (p.type !== PacketType.Video) continue;
    const m = parseExVideoMessage(p.payload);
    const t = m.tracks[0];
    if (m.multitrackType !== undefined || t === undefined) throw new Error(`a ${m.multitrackType !== undefined ? 'multitrack' : 'command'} message at ${p.timestamp} ms`);
    fourcc = t.fourcc;
    if (m.packetType === VideoPacketType.SequenceStart && fourcc === 'hvc1') {
      const c = parseHevcDecoderConfig(t.data);
      nalLengthSize = c.nalLengthSize;
      header.length = 0;
      for (const a of c.arrays) for (const nal of a.nalus) header.push(START_CODE, nal);
    } else if (m.packetType === VideoPacketType.CodedFrames || m.packetType === VideoPacketType.CodedFramesX) {
      if (fourcc === 'hvc1') frames.push(Buffer.concat([...(frames.length === 0 ? header : []), ...annexB(t.data, nalLengthSize)]));
      else if (fourcc === 'av01') frames.push(Buffer.concat([TEMPORAL_DELIMITER, t.data]));
      else frames.push(t.data);
    }
  }
  if (fourcc === 'hvc1') return { fourcc, data: Buffer.concat(frames), frames: frames.length };
  return { fourcc, data: ivf(fourcc === 'av01' ? 'AV01' : 'VP90', width, height, frames), frames: frames.length };
}

/** The MD5 column of ffmpeg's framemd5 lines for stream 0 (the video): one per decoded frame. */
export async function frameHashes(file: string): Promise<string[]> {
  return (await framemd5(file)).filter((line) => line.startsWith('0,')).map((line) => line.split(',').at(-1)!.trim());
}

/**
 * Asserts that the elementary stream of `packets` (written to `esBase` +
 * .hevc or .ivf) decodes in ffmpeg to `frames` frames with the same hashes as
 * `source`'s video.
 */
export async function assertDecodesLike(packets: readonly MediaPacket[], source: string, esBase: string, size: { width: number; height: number }, frames: number): Promise<void> {
  const es = elementaryStream(packets, size.width, size.height);
  assert.equal(es.frames, frames, 'frames in the elementary stream');
  const esFile = `${esBase}.${es.fourcc === 'hvc1' ? 'hevc' : 'ivf'}`;
  await writeFile(esFile, es.data);
  const [want, have] = await Promise.all([frameHashes(source), frameHashes(esFile)]);
  assert.equal(want.length, frames, 'frames the source decodes to');
  assert.deepEqual(have, want, 'decoded frames differ from the source');
}

/**
 * Plays `stream` on node-media-server (with `playArgs`) while `rtmp publish`
 * (with `publishArgs`) sends `input` there; returns what was recorded to
 * `out`, without script data.
 */
export async function publishAndPlay(nms: NmsServer, input: string, stream: string, out: string, playArgs: string[] = [], publishArgs: string[] = []): Promise<MediaPacket[]> {
  const url = nms.url('live', stream);
  // NMS never tells players a stream ended: the idle timeout bounds the recording.
  // --verbose traces the server's replies: publish once it has said NetStream.Play.Start.
  const player = startRtmpCli(['play', '--verbose', '--idle-timeout', '20s', ...playArgs, url, '-o', out], { timeoutMs: 30_000 });
  try {
    assert.ok(await player.waitForStderr(/NetStream\.Play\.Start/, 10_000), 'the player did not start playing');
    const pub = await rtmpCli(['publish', '--quiet', ...publishArgs, input, url], { timeoutMs: 30_000 });
    assert.equal(pub.code, 0, pub.stderr);
    // SIGINT ends the recording (exit 0) once the last message is in.
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    const done = await player.stop();
    assert.equal(done.code, 0, done.stderr);
  }
  return (await packetsOf(out)).filter((p) => p.type !== PacketType.Data);
}
