/**
 * `rtmp publish in.mp4|.mov|.mkv` (issue #5): the container is demuxed in
 * process and what nginx-rtmp hands to a player must equal ffmpeg's own FLV
 * remux of the same file (`ffmpeg -i in.mp4 -c copy -f flv`) packet for
 * packet: count, dts, pts (B-frames, so CompositionTime matters) and MD5 of
 * every payload. Unsupported codecs and broken files end with one line and
 * exit 3 before anything is sent.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { asObject, getNumber } from '../../src/amf/expect.js';
import { parseScriptData } from '../../src/flv/script-data.js';
import { PacketType } from '../../src/media/packet.js';
import { parseVideoTagHeader } from '../../src/media/video-tag.js';
import { assertPublishedTwice, EOF_ONLY_APP, havePeers, packetsOf, startRecorder } from '../helpers/interop.js';
import { comparePackets, ffmpegCopy, freePort, genFlv, probePackets, rtmpCli, runOk, startNginx, tempDir, waitForExit, type GenFlvOptions } from '../helpers/peers.js';
import { assertOneErrorLine } from '../helpers/assert-cli.js';

const SOURCES: Record<string, GenFlvOptions> = {
  // 30 fps, x264 veryfast (B-frames with pyramid), AAC 44.1 kHz.
  mp4: { seconds: 2.5, size: '320x240', fps: 30, videoBitrate: '400k', audioBitrate: '64k', format: 'mp4' },
  // 25 fps and 48 kHz AAC (ffmpeg still writes 0xAF, and so must we); B-frames that reorder by one
  // frame while the SPS declares two, and the decode times are delayed by two.
  mov: { seconds: 2.5, size: '320x240', fps: 25, videoBitrate: '400k', audioBitrate: '64k', format: 'mov', sampleRate: 48000, preset: 'ultrafast', x264Params: 'bframes=2' },
  // Matroska stores pts in ms only: decode times must be derived as ffmpeg does. Published in real time.
  mkv: { seconds: 2.5, size: '320x240', fps: 30, videoBitrate: '400k', audioBitrate: '64k', format: 'matroska' },
};

const made = new Map<string, Promise<string>>();
/** The test file for a container (made once per run). */
function source(ext: string): Promise<string> {
  let p = made.get(ext);
  if (!p) {
    p = (async () => {
      const file = path.join(await tempDir('container-src'), `in.${ext}`);
      await genFlv(file, { ...SOURCES[ext]!, timeoutMs: 30_000 });
      return file;
    })();
    made.set(ext, p);
  }
  return p;
}

/** ffmpeg's own remux of `file` to FLV: the reference. */
async function ffmpegRemux(file: string): Promise<string> {
  const ref = `${file}.ref.flv`;
  const r = await ffmpegCopy(file, ref, { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  return ref;
}

for (const ext of Object.keys(SOURCES)) {
  test(`publish in.${ext} to nginx-rtmp: the player gets exactly ffmpeg's FLV remux (dts, pts, MD5 per packet)`, async (t) => {
    if (!havePeers(t)) return;
    const file = await source(ext);
    const nginx = await startNginx({ extraApps: EOF_ONLY_APP });
    t.after(() => nginx.stop());
    const out = path.join(path.dirname(file), `got-${ext}.flv`);
    const player = await startRecorder(t, nginx, 'eof', ext, out);
    // The MKV goes out in real time (paced by the derived decode times), the others as fast as possible.
    const realtime = ext === 'mkv';
    const started = performance.now();
    const pub = await rtmpCli(['publish', '--quiet', ...(realtime ? [] : ['--no-realtime']), file, nginx.url('eof', ext)], { timeoutMs: 30_000 });
    assert.equal(pub.code, 0, pub.stderr);
    const seconds = (performance.now() - started) / 1000;
    if (realtime) assert.ok(seconds > 2.3 && seconds < 8, `2.5 s of media paced in ${seconds.toFixed(2)} s`);
    const done = await waitForExit(player, 8000);
    assert.equal(done.code, 0, done.stderr);

    const ref = await probePackets(await ffmpegRemux(file));
    const got = await probePackets(out);
    assert.ok(ref.some((p) => p.pts !== p.dts), 'the source must have B-frames (pts != dts)');
    const cmp = comparePackets(ref, got, { mode: 'exact', timestamps: 'absolute' });
    assert.ok(cmp.equal, cmp.report);

    // onMetaData came first and describes the file (nginx-rtmp passes on only some fields, audiosamplerate not).
    const packets = await packetsOf(out);
    const meta = parseScriptData(packets[0]!.payload);
    assert.equal(meta?.name, 'onMetaData');
    const m = asObject(meta?.value);
    assert.deepEqual(
      ['width', 'height', 'videocodecid', 'audiocodecid'].map((k) => getNumber(m, k)),
      [320, 240, 7, 10],
    );
    assert.ok(Math.abs(getNumber(m, 'duration')! - 2.5) < 0.1, `duration ${getNumber(m, 'duration')}`);
    assert.ok(Math.abs(getNumber(m, 'framerate')! - SOURCES[ext]!.fps!) < 0.01, `framerate ${getNumber(m, 'framerate')}`);
  });
}

test('publish --loop 2 in.mp4: every packet twice, timestamps keep increasing, CompositionTime kept', async (t) => {
  if (!havePeers(t)) return;
  const file = await source('mp4');
  const nginx = await startNginx({ extraApps: EOF_ONLY_APP });
  t.after(() => nginx.stop());
  const out = path.join(path.dirname(file), 'loop.flv');
  const player = await startRecorder(t, nginx, 'eof', 'loop', out);
  const pub = await rtmpCli(['publish', '--quiet', '--no-realtime', '--loop', '2', file, nginx.url('eof', 'loop')], { timeoutMs: 30_000 });
  assert.equal(pub.code, 0, pub.stderr);
  assert.equal((await waitForExit(player, 8000)).code, 0);

  // ffmpeg ends its file with an AVC end-of-sequence tag (AVCPacketType 2); we send none.
  const ref = (await packetsOf(await ffmpegRemux(file))).filter((p) => p.type !== PacketType.Data && !(p.type === PacketType.Video && p.payload[1] === 2));
  const got = (await packetsOf(out)).filter((p) => p.type !== PacketType.Data);
  assertPublishedTwice(ref, got);
  const cts = got.filter((p) => p.type === PacketType.Video).map((p) => parseVideoTagHeader(p.payload)?.compositionTime ?? 0);
  assert.ok(cts.some((c) => c > 0), 'B-frames keep their CompositionTime in both passes');
});

/** Runs publish against a port nobody listens on: input errors must come first. */
async function publishBadInput(file: string): Promise<{ code: number; stderr: string }> {
  const port = await freePort();
  return rtmpCli(['publish', '--no-realtime', file, `rtmp://127.0.0.1:${port}/live/x`], { timeoutMs: 20_000 });
}

test('a VP8/Opus WebM is refused with one line naming the codec and the file, exit 3, before connecting', async (t) => {
  if (!havePeers(t, ['ffmpeg'])) return;
  const file = path.join(await tempDir('container-webm'), 'in.webm');
  await runOk('ffmpeg', [
    '-hide_banner', '-nostdin', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=15', '-f', 'lavfi', '-i', 'sine=sample_rate=48000',
    '-t', '0.5', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-c:a', 'libopus', file,
  ], { timeoutMs: 20_000 });
  const r = await publishBadInput(file);
  assert.equal(r.code, 3, r.stderr);
  assertOneErrorLine(r.stderr, /^error: .*in\.webm: video codec vp8 is not supported yet \(H\.264\/HEVC\/AV1\/VP9\/AAC\/Opus\/MP3\/AC-3\/E-AC-3 only\); use an FLV input$/);
  assert.deepEqual(await probeErrorCode(file), ['RTMP_ERR_UNSUPPORTED_CODEC', 3]);
});

/** The error code and exit code `rtmp probe --json` reports for a file. */
async function probeErrorCode(file: string): Promise<[string | undefined, number | undefined]> {
  const r = await rtmpCli(['probe', '--json', file], { timeoutMs: 20_000 });
  const report = JSON.parse(r.stdout.toString('utf8')) as { error: { code: string; exitCode: number } | null };
  assert.equal(r.code, report.error?.exitCode);
  return [report.error?.code, report.error?.exitCode];
}

test('a garbage .mp4, a truncated or corrupt MP4 and a truncated MKV end with one line naming the file, exit 3', async (t) => {
  if (!havePeers(t, ['ffmpeg'])) return;
  const dir = await tempDir('container-bad');
  const garbage = path.join(dir, 'garbage.mp4');
  await writeFile(garbage, Buffer.from('this is not a movie, just some text that is long enough'.repeat(20)));
  const g = await publishBadInput(garbage);
  assert.equal(g.code, 3, g.stderr);
  assertOneErrorLine(g.stderr, /garbage\.mp4: not a recognisable MP4, MOV, Matroska, WebM or FLV file$/);
  assert.deepEqual(await probeErrorCode(garbage), ['RTMP_ERR_CONTAINER', 3]);

  // No moov box (ffmpeg writes it last): cut the file in half.
  const whole = await readFile(await source('mp4'));
  const cut = path.join(dir, 'cut.mp4');
  await writeFile(cut, whole.subarray(0, whole.length >> 1));
  const c = await publishBadInput(cut);
  assert.equal(c.code, 3, c.stderr);
  assertOneErrorLine(c.stderr, /cut\.mp4: the file has no video or audio track \(truncated\? its index, the moov box, is missing\)$/);

  // Four bytes of a sample count corrupted: refused at once, not gigabytes of sample table later.
  const counted = Buffer.from(whole);
  const stts = counted.indexOf('stts', 0, 'latin1');
  counted.writeUInt32BE(0x7f000000, stts + 12); // first entry's sample_count
  const badCount = path.join(dir, 'count.mp4');
  await writeFile(badCount, counted);
  const started = performance.now();
  const b = await publishBadInput(badCount);
  assert.equal(b.code, 3, b.stderr);
  assertOneErrorLine(b.stderr, /count\.mp4: corrupt MP4 index: stts at byte offset \d+ describes \d+ samples, stsz holds \d+$/);
  assert.ok(performance.now() - started < 10_000, 'refused quickly');

  // A Matroska file cut short just ends (mediabunny drops the incomplete cluster, here the first): its header's duration gives it away.
  const mkv = await readFile(await source('mkv'));
  const cutMkv = path.join(dir, 'cut.mkv');
  await writeFile(cutMkv, mkv.subarray(0, mkv.length >> 1));
  const p = await rtmpCli(['probe', '--quiet', '--duration', '0', cutMkv], { timeoutMs: 20_000 });
  assert.equal(p.code, 3, p.stderr);
  assertOneErrorLine(p.stderr, /cut\.mkv: the file is truncated: (its media ends at [\d.]+ s|it holds no frames), its header says 2\.5\d* s$/);
});

test('rtmp probe reads an MP4 like an FLV: codec, size and every frame counted', async (t) => {
  if (!havePeers(t, ['ffmpeg', 'ffprobe'])) return;
  const file = await source('mp4');
  const r = await rtmpCli(['probe', '--json', '--duration', '0', file], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout.toString('utf8')) as { tracks: { video: { codec: string; width: number; height: number } }; measurements: { video: { frames: number } } };
  assert.deepEqual([report.tracks.video.codec, report.tracks.video.width, report.tracks.video.height], ['h264', 320, 240]);
  const frames = (await probePackets(file)).filter((p) => p.codecType === 'video').length;
  assert.equal(report.measurements.video.frames, frames);
});
