/**
 * Publish and play against node-media-server 4 (from npm): it announces chunk
 * size 65535, sends players media on message stream 0 with @setDataFrame
 * still in front of onMetaData, and never signals the end of a live stream.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { requireNms, startNms } from '../helpers/nms.js';
import { comparePackets, probePackets, requirePeer, rtmpCli, sampleFlv, startRtmpCli, tempDir, waitForExit } from '../helpers/peers.js';

test('rtmp publish to node-media-server while rtmp play records: the recording matches the source', async (t) => {
  if (!requireNms(t) || !requirePeer(t, 'ffprobe')) return;
  const nms = await startNms();
  t.after(() => nms.stop());
  const dir = await tempDir('nms');
  const out = path.join(dir, 'nms.flv');
  const url = nms.url('live', 'nmskey');
  // NMS never tells players a stream ended: the idle timeout ends the recording.
  const player = startRtmpCli(['play', '--idle-timeout', '1500ms', url, '-o', out], { timeoutMs: 30_000 });
  t.after(() => player.stop());
  await new Promise((r) => setTimeout(r, 700));
  const pub = await rtmpCli(['publish', '--quiet', sampleFlv, url], { timeoutMs: 30_000 });
  assert.equal(pub.code, 0, pub.stderr);
  const done = await waitForExit(player, 8000);
  assert.equal(done.forced, false, done.stderr);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, /no media for 1\.5 s \(--idle-timeout\); ended the recording/);
  const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(out));
  assert.ok(cmp.equal, cmp.report);
});

test('rtmp probe of a live stream on node-media-server reports the published media exactly', async (t) => {
  if (!requireNms(t)) return;
  const nms = await startNms();
  t.after(() => nms.stop());
  const url = nms.url('live', 'probekey');
  const publisher = startRtmpCli(['publish', '--quiet', sampleFlv, url], { timeoutMs: 30_000 });
  t.after(() => publisher.stop());
  await new Promise((r) => setTimeout(r, 500));
  const checks = ['video=h264', 'audio=aac', 'width=320', 'height=240', 'min-fps=24', 'max-gop=1s', 'sample-rate=44100', 'channels=2'];
  const r = await rtmpCli(['probe', '--json', '--duration', '2s', ...checks.flatMap((c) => ['--expect', c]), url], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout.toString()) as {
    tracks: { video: { codec: string; width: number; height: number; avc: { profile: string } }; audio: { codec: string; sampleRate: number; channels: number } };
    measurements: { video: { fps: number; gop: { maxFrames: number } } };
    server: { chunkSize: number };
    checks: Array<{ ok: boolean }>;
  };
  assert.deepEqual(
    [report.tracks.video.codec, report.tracks.video.width, report.tracks.video.height, report.tracks.video.avc.profile],
    ['h264', 320, 240, 'Main'],
  );
  assert.deepEqual([report.tracks.audio.codec, report.tracks.audio.sampleRate, report.tracks.audio.channels], ['aac', 44100, 2]);
  assert.ok(Math.abs(report.measurements.video.fps - 25) < 0.5, `fps ${report.measurements.video.fps}`);
  assert.equal(report.server.chunkSize, 65535, 'node-media-server announces chunk size 65535');
  assert.equal(report.checks.length, checks.length);
  assert.ok(report.checks.every((c) => c.ok));
  assert.ok(!r.stdout.toString().includes('probekey') && !r.stderr.includes('probekey'), 'the key is redacted');
});
