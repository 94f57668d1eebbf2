/**
 * Issue #5, containers out: `rtmp play -o x.mp4|x.mkv` from nginx-rtmp and
 * `rtmp flv convert` to MP4/MKV/MOV. ffprobe must find H.264 + AAC with the
 * source's packet counts and duration, and ffmpeg must decode the very frames
 * the source FLV decodes to (framemd5: same count, same MD5 per frame, same
 * presentation times). A play stopped by SIGINT, and one killed by SIGKILL,
 * leave a fragmented MP4 whose frames are the source's first ones; `--faststart`
 * ends with a moov-first MP4 and no temporary file.
 *
 * The source is test/fixtures/sample.flv: H.264 Main with B-frames (non-zero
 * composition times), 125 frames, and 217 AAC frames.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { havePeers, startRecorder } from '../helpers/interop.js';
import { countPackets, decodedFrames, findBinary, rtmpCli, runOk, sampleFlv, startNginx, startRtmpCli, tempDir, type DecodedFrame } from '../helpers/peers.js';

type Frames = { video: DecodedFrame[]; audio: DecodedFrame[] };

interface FrameCheck {
  /**
   * 'exact': the same frames. 'cut': a recording cut short — every frame is
   * the source's frame at the same time, and none is missing before the last
   * 200 ms (a cut in decode order can leave out the B-frames shown just before
   * the last recorded reference frame).
   */
  mode: 'exact' | 'cut';
}

/** Frame-by-frame comparison; returns the first differences (empty when equal). */
function compareFrames(want: Frames, got: Frames, check: FrameCheck): string[] {
  const problems: string[] = [];
  for (const kind of ['video', 'audio'] as const) {
    const a = want[kind];
    const b = got[kind];
    // Audio times come from ms-rounded FLV timestamps on one side and from sample counts on the other.
    const tolerance = kind === 'audio' ? 1.5 : 0.5;
    if (check.mode === 'exact') {
      if (b.length !== a.length) problems.push(`${kind}: ${b.length} frames decoded, source has ${a.length}`);
      for (let i = 0; i < Math.min(a.length, b.length) && problems.length < 5; i++) {
        const fa = a[i]!;
        const fb = b[i]!;
        if (fa.hash !== fb.hash) problems.push(`${kind} #${i}: MD5 ${fb.hash.slice(0, 8)}, source ${fa.hash.slice(0, 8)}`);
        else if (Math.abs(fa.ptsMs - fb.ptsMs) > tolerance) problems.push(`${kind} #${i}: pts ${fb.ptsMs} ms, source ${fa.ptsMs} ms`);
      }
      continue;
    }
    if (b.length === 0) problems.push(`${kind}: no frames decoded`);
    const last = Math.max(...b.map((f) => f.ptsMs));
    for (const fb of b) {
      const fa = a.find((f) => Math.abs(f.ptsMs - fb.ptsMs) <= tolerance);
      if (fa?.hash !== fb.hash) problems.push(`${kind} at ${fb.ptsMs} ms: MD5 ${fb.hash.slice(0, 8)}, source ${fa?.hash.slice(0, 8) ?? 'has no frame there'}`);
    }
    for (const fa of a) {
      if (fa.ptsMs < last - 200 && !b.some((f) => Math.abs(f.ptsMs - fa.ptsMs) <= tolerance)) problems.push(`${kind} at ${fa.ptsMs} ms: missing`);
    }
  }
  return problems.slice(0, 5);
}

interface Probed {
  streams: Array<{ codec_type: string; codec_name: string }>;
  format: { duration?: string; format_name: string };
}

/** The types of an ISOBMFF file's top-level boxes, in order. */
function topLevelBoxes(file: Buffer): string[] {
  const types: string[] = [];
  for (let at = 0; at + 8 <= file.length; ) {
    const size32 = file.readUInt32BE(at);
    const size = size32 === 1 ? Number(file.readBigUInt64BE(at + 8)) : size32 === 0 ? file.length - at : size32;
    types.push(file.toString('latin1', at + 4, at + 8));
    if (size < 8) break;
    at += size;
  }
  return types;
}

async function probe(file: string): Promise<Probed> {
  const { stdout } = await runOk(findBinary('ffprobe') ?? 'ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name:format=duration,format_name', '-of', 'json', file], { timeoutMs: 20_000 });
  return JSON.parse(stdout.toString('utf8')) as Probed;
}

/** ffprobe sees H.264 + AAC and (for a whole file) the source's packet counts and duration. */
async function assertStreams(file: string, whole: { video: number; audio: number; seconds: number } | undefined): Promise<void> {
  const p = await probe(file);
  const codecs = p.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort();
  assert.deepEqual(codecs, ['audio:aac', 'video:h264'], `${file}: streams`);
  if (!whole) return;
  assert.deepEqual(await countPackets(file), { video: whole.video, audio: whole.audio }, `${file}: packet counts`);
  const duration = Number(p.format.duration);
  assert.ok(Math.abs(duration - whole.seconds) < 0.1, `${file}: duration ${duration} s, source ${whole.seconds} s`);
}

test('flv convert: MP4, MKV and MOV decode to the source frames, audio-only and video-only too', async (t) => {
  if (!havePeers(t, ['ffmpeg', 'ffprobe'])) return;
  const dir = await tempDir('convert');
  const want = await decodedFrames(sampleFlv);
  const source = { ...(await countPackets(sampleFlv)), seconds: 5.08 };
  for (const ext of ['mp4', 'mkv', 'mov']) {
    const out = path.join(dir, `sample.${ext}`);
    const r = await rtmpCli(['flv', 'convert', sampleFlv, out]);
    assert.equal(r.code, 0, r.stderr);
    await assertStreams(out, source);
    assert.deepEqual(compareFrames(want, await decodedFrames(out), { mode: 'exact' }), [], `${ext}: decoded frames`);
  }
  // An audio-only and a video-only FLV (ffmpeg's onMetaData then lacks the other codec id)
  // give files with that one track, without waiting for the other.
  for (const [only, drop] of [['audio', '-vn'], ['video', '-an']] as const) {
    const flv = path.join(dir, `${only}.flv`);
    await runOk(findBinary('ffmpeg') ?? 'ffmpeg', ['-v', 'error', '-i', sampleFlv, drop, '-c', 'copy', '-f', 'flv', flv], { timeoutMs: 20_000 });
    const out = path.join(dir, `${only}.mp4`);
    const r = await rtmpCli(['flv', 'convert', flv, out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.includes('warning'), false, r.stderr);
    const p = await probe(out);
    assert.deepEqual(p.streams.map((s) => s.codec_type), [only]);
    assert.deepEqual(compareFrames(await decodedFrames(flv), await decodedFrames(out), { mode: 'exact' }), [], `${only}.mp4`);
  }
  // MP4 and MOV are finalized moov-first, not fragmented.
  for (const ext of ['mp4', 'mov']) {
    const boxes = topLevelBoxes(await readFile(path.join(dir, `sample.${ext}`)));
    assert.ok(boxes.indexOf('moov') >= 0 && boxes.indexOf('moov') < boxes.indexOf('mdat') && !boxes.includes('moof'), `${ext}: boxes ${boxes.join(' ')}`);
  }
});

test('play -o x.mp4 / x.mkv from nginx-rtmp; SIGINT and SIGKILL leave playable fragmented MP4s', async (t) => {
  if (!havePeers(t)) return;
  const nginx = await startNginx();
  t.after(() => nginx.stop());
  const dir = await tempDir('container-play');
  const out = (name: string): string => path.join(dir, name);
  const [mp4, mkv, interrupted, killed] = await Promise.all([
    startRecorder(t, nginx, 'live', 'c', out('whole.mp4')),
    startRecorder(t, nginx, 'live', 'c', out('whole.mkv')),
    startRecorder(t, nginx, 'live', 'c', out('sigint.mp4')),
    startRecorder(t, nginx, 'live', 'c', out('sigkill.mp4')),
  ]);
  const faststart = startRtmpCli(['play', '--quiet', '--faststart', nginx.url('live', 'c'), '-o', out('faststart.mp4')], { timeoutMs: 40_000 });
  t.after(() => faststart.stop());
  await nginx.waitForLog(/play: name='c'/, { count: 5 });
  const publisher = rtmpCli(['publish', '--quiet', sampleFlv, nginx.url('live', 'c')], { timeoutMs: 30_000 });
  // The publisher paces at real time: after 2.5 s about half the media is out.
  await sleep(2500);
  process.kill(killed.pid!, 'SIGKILL');
  process.kill(interrupted.pid!, 'SIGINT');
  const pub = await publisher;
  assert.equal(pub.code, 0, pub.stderr.toString());
  for (const [name, player] of [['whole.mp4', mp4], ['whole.mkv', mkv], ['sigint.mp4', interrupted], ['faststart.mp4', faststart]] as const) {
    const r = await player.done;
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
  }
  assert.equal((await killed.done).signal, 'SIGKILL');

  const want = await decodedFrames(sampleFlv);
  const source = { ...(await countPackets(sampleFlv)), seconds: 5.08 };
  await assertStreams(out('whole.mp4'), source);
  assert.deepEqual(compareFrames(want, await decodedFrames(out('whole.mp4')), { mode: 'exact' }), [], 'whole.mp4');
  await assertStreams(out('whole.mkv'), source);
  assert.deepEqual(compareFrames(want, await decodedFrames(out('whole.mkv')), { mode: 'exact' }), [], 'whole.mkv');
  // --faststart: moov first, and the temporary FLV is gone.
  await assertStreams(out('faststart.mp4'), source);
  assert.deepEqual(compareFrames(want, await decodedFrames(out('faststart.mp4')), { mode: 'exact' }), [], 'faststart.mp4');
  const boxes = topLevelBoxes(await readFile(out('faststart.mp4')));
  assert.ok(boxes.indexOf('moov') < boxes.indexOf('mdat') && !boxes.includes('moof'), `faststart.mp4 boxes: ${boxes.join(' ')}`);
  assert.deepEqual((await readdir(dir)).sort(), ['faststart.mp4', 'sigint.mp4', 'sigkill.mp4', 'whole.mkv', 'whole.mp4']);
  for (const name of ['sigint.mp4', 'sigkill.mp4']) {
    await assertStreams(out(name), undefined);
    const got = await decodedFrames(out(name));
    assert.ok(got.video.length >= 25 && got.video.length < want.video.length, `${name}: ${got.video.length} of ${want.video.length} video frames`);
    assert.deepEqual(compareFrames(want, got, { mode: 'cut' }), [], name);
  }
});
