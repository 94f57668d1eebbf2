/**
 * Proves the real-peer harness with peers only (ffmpeg against nginx-rtmp),
 * so that later interop failures can be blamed on our client, not the harness.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import {
  comparePackets,
  ffmpegCopy,
  ffmpegPublish,
  ffmpegRecord,
  probePackets,
  requirePeer,
  sampleFlv,
  startNginx,
  tempDir,
  waitForExit,
  type ProbedPacket,
} from '../helpers/peers.js';

function requireSample(): void {
  assert.ok(existsSync(sampleFlv), `missing ${sampleFlv} (the shared H.264+AAC sample)`);
}

function counts(packets: readonly ProbedPacket[]): string {
  const video = packets.filter((p) => p.codecType === 'video').length;
  return `${video} video, ${packets.length - video} audio`;
}

test('live: ffmpeg -re publishes the sample while ffmpeg records it back', async (t) => {
  if (!requirePeer(t, 'nginx') || !requirePeer(t, 'ffmpeg') || !requirePeer(t, 'ffprobe')) return;
  requireSample();
  const nginx = await startNginx();
  t.after(() => nginx.stop());
  const dir = await tempDir('harness-live');
  const recording = path.join(dir, 'live.flv');
  const url = nginx.url('live', 'h');

  // nginx-rtmp lets a player wait on a stream nobody publishes yet (idle
  // streams), so start the recorder first and wait until nginx logged its
  // play command; then it should see every packet from the first one.
  const recorder = ffmpegRecord(url, recording, { timeoutMs: 25_000 });
  t.after(() => recorder.stop());
  await nginx.waitForLog(/play: name='h'/);

  const published = await ffmpegPublish(sampleFlv, url, { realtime: true, timeoutMs: 25_000 });
  assert.equal(published.code, 0, `ffmpeg publish failed:\n${published.stderr}`);

  // With publish_notify on, nginx sends NetStream.Play.UnpublishNotify when the
  // publisher leaves and ffmpeg ends the recording on its own.
  const recorded = await waitForExit(recorder, 5000);
  assert.equal(recorded.forced, false, 'the recorder did not notice the end of the live stream');
  assert.equal(recorded.code, 0, `ffmpeg record failed:\n${recorded.stderr}`);

  const source = await probePackets(sampleFlv);
  const received = await probePackets(recording);
  assert.ok(received.some((p) => p.codecType === 'video'), `no video recorded (${counts(received)})`);
  assert.ok(received.some((p) => p.codecType === 'audio'), `no audio recorded (${counts(received)})`);

  // Alignment: a live player joins a stream in progress, so in general it
  // misses a prefix (and, if stopped early, a suffix). Per track, find where
  // the first received packet's hash occurs in the source and require every
  // following received packet to match the source packet at the same distance
  // — by hash, and by dts/pts relative to that first packet (nginx passes the
  // publisher's timestamps through; -copyts keeps them, but relative timing is
  // what a late joiner can rely on).
  const cmp = comparePackets(source, received, { mode: 'run', timestamps: 'relative' });
  assert.ok(cmp.equal, `recording is not a contiguous run of the source:\n${cmp.report}`);
  // Joined before the publisher started, so nothing at the start may be missing
  // except, at worst, a handful of packets.
  assert.ok(cmp.offsets.video <= 2 && cmp.offsets.audio <= 5, `recording started late:\n${cmp.report}`);
  const sourceVideo = source.filter((p) => p.codecType === 'video').length;
  const receivedVideo = received.filter((p) => p.codecType === 'video').length;
  assert.ok(receivedVideo >= sourceVideo * 0.9, `recording lost the tail:\n${cmp.report}`);
});

test('vod: ffmpeg reads the sample back from nginx-rtmp packet for packet', async (t) => {
  if (!requirePeer(t, 'nginx') || !requirePeer(t, 'ffmpeg') || !requirePeer(t, 'ffprobe')) return;
  requireSample();
  const nginx = await startNginx();
  t.after(() => nginx.stop());
  await copyFile(sampleFlv, path.join(nginx.vodDir, 'sample.flv'));
  const dir = await tempDir('harness-vod');
  const out = path.join(dir, 'vod.flv');

  const copied = await ffmpegCopy(nginx.url('vod', 'sample.flv'), out, { timeoutMs: 20_000 });
  assert.equal(copied.code, 0, `ffmpeg VOD read failed:\n${copied.stderr}`);
  assert.ok((await stat(out)).size > 0);

  const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(out));
  assert.ok(cmp.equal, `VOD copy differs from the source:\n${cmp.report}`);

  // stop() ends nginx and may be called again.
  await nginx.stop();
  await nginx.stop();
  assert.ok(nginx.pid !== undefined);
  assert.throws(() => process.kill(nginx.pid ?? 0, 0), { code: 'ESRCH' });
});

test('comparePackets reports the first differences', () => {
  const packet = (codecType: 'video' | 'audio', dts: number, hash: string): ProbedPacket => ({
    codecType, streamIndex: codecType === 'video' ? 0 : 1, dts, pts: dts, duration: 40, size: 10, flags: '__', hash,
  });
  const source = [packet('video', 0, 'v0'), packet('audio', 0, 'a0'), packet('video', 40, 'v1'), packet('audio', 23, 'a1'), packet('video', 80, 'v2')];

  assert.equal(comparePackets(source, source).equal, true);

  const changed = source.map((p) => (p.hash === 'v1' ? { ...p, hash: 'xx' } : p));
  const exact = comparePackets(source, changed);
  assert.equal(exact.equal, false);
  assert.match(exact.report, /video #1\/#1: hash v1 != xx/);

  // A late joiner: video from v1 on, audio from a1 on, timestamps intact.
  const late = [source[2], source[3], source[4]].filter((p): p is ProbedPacket => p !== undefined);
  const run = comparePackets(source, late, { mode: 'run', timestamps: 'relative' });
  assert.equal(run.equal, true, run.report);
  assert.deepEqual(run.offsets, { video: 1, audio: 1 });
  assert.equal(comparePackets(source, late).equal, false);

  const gap = comparePackets(source, [source[0], source[4]].filter((p): p is ProbedPacket => p !== undefined), { mode: 'run' });
  assert.equal(gap.equal, false);
  assert.match(gap.report, /video: received packets are not a contiguous run/);
});
