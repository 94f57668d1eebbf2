/**
 * Containers out for the codecs of Enhanced RTMP and the legacy extensions:
 * ffmpeg encodes HEVC with B-frames + Opus, VP9 + Opus and AV1 into MP4; the
 * library's builders (test/helpers/enhanced-flv.ts) turn each into an
 * Enhanced RTMP FLV; `rtmp flv convert` writes .mkv/.webm/.mp4 from it, and
 * `rtmp play -o` records .mkv/.webm from node-media-server while `rtmp
 * publish` sends the FLV. A legacy FLV with H.264 + MP3 (SoundFormat 2), made
 * by ffmpeg, goes into .mkv and .mp4; a VP8 WebM from libvpx, as vp08 messages
 * (a vpcC built for it: WebM has none), back into .webm; ffmpeg's AC-3, as
 * ac-3 messages, and its FLAC, as fLaC messages, into .mkv and .mp4.
 *
 * Proof: ffprobe finds the expected codecs and picture size; ffmpeg decodes
 * the output's video to the same frames (framemd5: count, MD5, presentation
 * times relative to the first) as the source file; every audio packet has
 * the source's bytes (ffprobe's per-packet MD5) and time. HEVC into .webm is
 * refused with one line and exit 3, leaving no file.
 */
import assert from 'node:assert/strict';
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ALL_FORMATS, BufferSource, EncodedPacketSink, Input } from 'mediabunny';
import { buildAudioCodedFrames, buildAudioSequenceStart, type VideoFourCc } from '../../src/media/enhanced.js';
import { PacketType } from '../../src/media/packet.js';
import { buildVpCodecConfig } from '../../src/media/vp9.js';
import { enhancedPackets, interleave, mp4OpusPackets, readMp4Video, writeFlv } from '../helpers/enhanced-flv.js';
import { nmsAvailable, requireNms, startNms, type NmsServer } from '../helpers/nms.js';
import { decodedFrames, genVideo, runFfmpeg, peerAvailable, probePackets, probeStreams, requirePeer, rtmpCli, startRtmpCli, tempDir } from '../helpers/peers.js';

const FRAMES = 10;
const OPUS = ['-c:a', 'libopus', '-b:a', '32k'];

interface Source {
  /** What ffmpeg made (the reference). */
  file: string;
  /** The same media as an (Enhanced RTMP, or legacy) FLV. */
  flv: string;
}

const SOURCES = {
  hevc: { fourcc: 'hvc1', codecArgs: ['-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=5:min-keyint=5:bframes=3', '-pix_fmt', 'yuv420p'], audioArgs: OPUS },
  vp9: { fourcc: 'vp09', codecArgs: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-g', '5', '-pix_fmt', 'yuv420p'], audioArgs: OPUS },
  av1: { fourcc: 'av01', codecArgs: ['-c:v', 'libaom-av1', '-cpu-used', '8', '-g', '5', '-pix_fmt', 'yuv420p'], audioArgs: undefined },
} as const satisfies Record<string, { fourcc: VideoFourCc; codecArgs: readonly string[]; audioArgs: readonly string[] | undefined }>;

/** Presentation times relative to the first (sorted), rounded to 0.1 ms. */
const relative = (times: number[]): number[] => {
  const first = Math.min(...times);
  return times.map((t) => Math.round((t - first) * 10) / 10);
};

/** Checks `out` against `src`: codecs, video frames decoded, audio packets. */
async function assertSameMedia(out: string, src: string, want: { video?: string; audio?: string }): Promise<void> {
  const streams = await probeStreams(out);
  assert.deepEqual(
    streams.map((s) => [s.codec_type, s.codec_name]),
    [...(want.video ? [['video', want.video]] : []), ...(want.audio ? [['audio', want.audio]] : [])],
    `${path.basename(out)}: streams`,
  );
  if (want.video) await assertSameVideo(out, src);
  if (want.audio) await assertSameAudio(out, src);
}

/** ffmpeg decodes `out`'s video to the frames of `src`'s, at the same relative times. */
async function assertSameVideo(out: string, src: string): Promise<void> {
  const [a, b] = await Promise.all([decodedFrames(src), decodedFrames(out)]);
  assert.equal(a.video.length, FRAMES, `${path.basename(src)}: decoded source frames`);
  assert.equal(b.video.length, a.video.length, `${path.basename(out)}: decoded video frames`);
  assert.deepEqual(b.video.map((f) => f.hash), a.video.map((f) => f.hash), `${path.basename(out)}: decoded frames differ from the source`);
  assert.deepEqual(relative(b.video.map((f) => f.ptsMs)), relative(a.video.map((f) => f.ptsMs)), `${path.basename(out)}: video presentation times`);
}

/** Every audio packet of `out` has the bytes and (relative) time of `src`'s. */
async function assertSameAudio(out: string, src: string): Promise<void> {
  const [pa, pb] = await Promise.all([probePackets(src), probePackets(out)]);
  const audio = (ps: typeof pa) => ps.filter((p) => p.codecType === 'audio');
  assert.ok(audio(pa).length >= 10, `${audio(pa).length} source audio packets`);
  assert.deepEqual(audio(pb).map((p) => p.hash), audio(pa).map((p) => p.hash), `${path.basename(out)}: audio packet bytes`);
  // FLV keeps whole milliseconds: 1.5 ms covers the rounding on both sides.
  const ta = relative(audio(pa).map((p) => (p.ptsTime ?? Number.NaN) * 1000));
  const tb = relative(audio(pb).map((p) => (p.ptsTime ?? Number.NaN) * 1000));
  const off = tb.findIndex((t, i) => !(Math.abs(t - ta[i]!) <= 1.5));
  assert.equal(off, -1, `${path.basename(out)}: audio packet #${off} at ${tb[off]} ms, source ${ta[off]} ms`);
}

/** Runs `rtmp flv convert` and expects success. */
async function convert(flv: string, out: string): Promise<void> {
  const r = await rtmpCli(['flv', 'convert', '--quiet', flv, out], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
}

describe('Enhanced RTMP codecs into MKV, WebM and MP4', { concurrency: true }, () => {
  let dir = '';
  let nms: NmsServer | undefined;
  const made = new Map<string, Promise<Source>>();
  before(async () => {
    if (!peerAvailable('ffmpeg')) return;
    dir = await tempDir('rtmp-enh-out-');
    if (nmsAvailable()) nms = await startNms();
  });
  after(async () => {
    await nms?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The source MP4 and its Enhanced RTMP FLV, made once. */
  const source = (name: keyof typeof SOURCES): Promise<Source> => {
    let p = made.get(name);
    if (!p) {
      p = (async () => {
        const s = SOURCES[name];
        const file = path.join(dir, `${name}-src.mp4`);
        await genVideo(file, { size: '200x110', frames: FRAMES, codecArgs: s.codecArgs, ...(s.audioArgs ? { audioArgs: s.audioArgs } : {}) });
        const video = await readMp4Video(file, s.fourcc);
        const flv = path.join(dir, `${name}-src.flv`);
        await writeFlv(flv, interleave(enhancedPackets(s.fourcc, video), s.audioArgs ? await mp4OpusPackets(file) : []));
        return { file, flv };
      })();
      made.set(name, p);
    }
    return p;
  };

  test('flv convert: HEVC with B-frames + Opus into .mkv and .mp4; into .webm refused with one line, exit 3, no file', async (t) => {
    if (!requirePeer(t, 'ffmpeg')) return;
    const src = await source('hevc');
    for (const ext of ['mkv', 'mp4']) {
      const out = path.join(dir, `hevc.${ext}`);
      await convert(src.flv, out);
      await assertSameMedia(out, src.file, { video: 'hevc', audio: 'opus' });
    }
    const webm = path.join(dir, 'hevc.webm');
    const r = await rtmpCli(['flv', 'convert', src.flv, webm], { timeoutMs: 30_000 });
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(r.stderr.trim().split('\n'), ['error: cannot write H.265/HEVC video into WebM: WebM holds only VP8, VP9 or AV1 video and Opus audio; use .mkv or .mp4 (or .flv)']);
    await assert.rejects(stat(webm), { code: 'ENOENT' });
  });

  test('flv convert: VP9 + Opus into .webm; AV1 into .webm and .mp4', async (t) => {
    if (!requirePeer(t, 'ffmpeg')) return;
    const [vp9, av1] = await Promise.all([source('vp9'), source('av1')]);
    await convert(vp9.flv, path.join(dir, 'vp9.webm'));
    await assertSameMedia(path.join(dir, 'vp9.webm'), vp9.file, { video: 'vp9', audio: 'opus' });
    for (const ext of ['webm', 'mp4']) {
      const out = path.join(dir, `av1.${ext}`);
      await convert(av1.flv, out);
      await assertSameMedia(out, av1.file, { video: 'av1' });
    }
  });

  test('flv convert: legacy H.264 + MP3 (SoundFormat 2) into .mkv and .mp4 keeps every MP3 packet', async (t) => {
    if (!requirePeer(t, 'ffmpeg')) return;
    const flv = path.join(dir, 'mp3.flv');
    await genVideo(flv, { size: '200x110', frames: FRAMES, codecArgs: ['-c:v', 'libx264', '-g', '5', '-pix_fmt', 'yuv420p'], audioArgs: ['-c:a', 'libmp3lame', '-ar', '44100', '-b:a', '64k'] });
    for (const ext of ['mkv', 'mp4']) {
      const out = path.join(dir, `mp3.${ext}`);
      await convert(flv, out);
      await assertSameMedia(out, flv, { video: 'h264', audio: 'mp3' });
    }
  });

  test('flv convert: VP8 (vp08, frames from a libvpx WebM) into .webm', async (t) => {
    if (!requirePeer(t, 'ffmpeg')) return;
    const webm = path.join(dir, 'vp8-src.webm');
    await genVideo(webm, { size: '200x110', frames: FRAMES, codecArgs: ['-c:v', 'libvpx', '-deadline', 'realtime', '-g', '5'] });
    const input = new Input({ source: new BufferSource(await readFile(webm)), formats: ALL_FORMATS });
    const track = await input.getPrimaryVideoTrack();
    assert.ok(track, 'a VP8 track');
    const frames: Array<{ data: Uint8Array; key: boolean; dtsMs: number; ctsMs: number }> = [];
    // VP8 has no reordering: decode time = presentation time.
    for await (const p of new EncodedPacketSink(track).packets()) frames.push({ data: p.data, key: p.type === 'key', dtsMs: Math.round(p.timestamp * 1000), ctsMs: 0 });
    const config = buildVpCodecConfig({ profile: 0, levelIdc: 0, bitDepth: 8, chromaSubsampling: 1, fullRange: false });
    const flv = path.join(dir, 'vp8-src.flv');
    await writeFlv(flv, enhancedPackets('vp08', { config, frames }));
    const out = path.join(dir, 'vp8.webm');
    await convert(flv, out);
    await assertSameMedia(out, webm, { video: 'vp8' });
  });

  for (const a of [
    { name: 'AC-3', fourcc: 'ac-3', ffprobe: 'ac3', args: ['-c:a', 'ac3', '-b:a', '96k'] },
    { name: 'FLAC', fourcc: 'fLaC', ffprobe: 'flac', args: ['-c:a', 'flac'] },
  ] as const) {
    test(`flv convert: ${a.name} (${a.fourcc} messages) into .mkv and .mp4`, async (t) => {
      if (!requirePeer(t, 'ffmpeg')) return;
      const mka = path.join(dir, `${a.ffprobe}-src.mka`);
      await runFfmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1', ...a.args, mka]);
      const input = new Input({ source: new BufferSource(await readFile(mka)), formats: ALL_FORMATS });
      const track = await input.getPrimaryAudioTrack();
      assert.ok(track, `an ${a.name} track`);
      const packets = [];
      // FLAC: the SequenceStart carries the bare 34-byte STREAMINFO (mediabunny's description is "fLaC", a block header, then it).
      const head = (await track.getDecoderConfig())?.description;
      if (a.fourcc === 'fLaC' && head) packets.push({ type: PacketType.Audio, timestamp: 0, payload: buildAudioSequenceStart('fLaC', new Uint8Array(head instanceof ArrayBuffer ? head : head.buffer, head instanceof ArrayBuffer ? 8 : head.byteOffset + 8, 34)) });
      for await (const p of new EncodedPacketSink(track).packets()) packets.push({ type: PacketType.Audio, timestamp: Math.round(p.timestamp * 1000), payload: buildAudioCodedFrames(a.fourcc, p.data) });
      const flv = path.join(dir, `${a.ffprobe}-src.flv`);
      await writeFlv(flv, packets);
      for (const ext of ['mkv', 'mp4']) {
        const out = path.join(dir, `${a.ffprobe}.${ext}`);
        await convert(flv, out);
        await assertSameMedia(out, mka, { audio: a.ffprobe });
      }
    });
  }

  test('play -o from node-media-server: HEVC + Opus into .mkv and fragmented .mp4, VP9 + Opus into .webm', async (t) => {
    if (!requirePeer(t, 'ffmpeg') || !requireNms(t)) return;
    const cases = [
      { name: 'hevc', ext: 'mkv', want: { video: 'hevc', audio: 'opus' } },
      { name: 'hevc', ext: 'mp4', want: { video: 'hevc', audio: 'opus' } },
      { name: 'vp9', ext: 'webm', want: { video: 'vp9', audio: 'opus' } },
    ] as const;
    await Promise.all(
      cases.map(async (c) => {
        const src = await source(c.name);
        const url = nms!.url('live', `enh-out-${c.name}-${c.ext}`);
        const out = path.join(dir, `played-${c.name}.${c.ext}`);
        // NMS never tells players a stream ended: SIGINT ends the recording (exit 0) once the
        // last message is in, and --idle-timeout bounds the wait should the publisher fail.
        const player = startRtmpCli(['play', '--verbose', '--idle-timeout', '20s', url, '-o', out], { timeoutMs: 30_000 });
        try {
          assert.ok(await player.waitForStderr(/NetStream\.Play\.Start/, 10_000), 'the player did not start playing');
          const pub = await rtmpCli(['publish', '--quiet', src.flv, url], { timeoutMs: 30_000 });
          assert.equal(pub.code, 0, pub.stderr);
          await sleep(300);
        } finally {
          const done = await player.stop();
          assert.equal(done.code, 0, done.stderr);
        }
        await assertSameMedia(out, src.file, c.want);
      }),
    );
  });
});
