/**
 * The foundation proven against real peers (issue #2): our publish read back
 * by ffmpeg, ffmpeg's publish recorded by our play, VOD downloads, chunk
 * sizes at both ends of the range, and extended timestamps — all compared
 * packet by packet (MD5 of each payload, dts and pts) with the source.
 */
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import {
  comparePackets,
  ffmpegPublish,
  ffmpegRecord,
  probePackets,
  rtmpCli,
  runOk,
  sampleFlv,
  startNginx,
  tempDir,
  waitForExit,
  type NginxServer,
  type ProbedPacket,
} from '../helpers/peers.js';
import { EOF_ONLY_APP, havePeers, startRecorder } from '../helpers/interop.js';


let sourcePackets: ProbedPacket[] | undefined;
async function source(): Promise<ProbedPacket[]> {
  sourcePackets ??= await probePackets(sampleFlv);
  return sourcePackets;
}

/** Publishes `file` with our CLI while ffmpeg, subscribed first, records it; returns what ffmpeg got. */
async function publishAndRecordWithFfmpeg(nginx: NginxServer, file: string, stream: string, extra: string[]): Promise<ProbedPacket[]> {
  const dir = await tempDir('interop-pub');
  const recording = path.join(dir, `${stream}.flv`);
  const url = nginx.url('live', stream);
  const recorder = ffmpegRecord(url, recording, { timeoutMs: 40_000 });
  try {
    await nginx.waitForLog(new RegExp(`play: name='${stream}'`));
    const r = await rtmpCli(['publish', '--quiet', ...extra, file, url], { timeoutMs: 40_000 });
    assert.equal(r.code, 0, `rtmp publish failed:\n${r.stderr}`);
    const recorded = await waitForExit(recorder, 8000);
    assert.equal(recorded.forced, false, `ffmpeg did not see the end of the stream:\n${recorded.stderr}`);
  } finally {
    await recorder.stop();
  }
  return probePackets(recording);
}

test('1. rtmp publish (real time) to nginx-rtmp: ffmpeg receives every packet with the same hash and timestamps', async (t) => {
  if (!havePeers(t)) return;
  const nginx = await startNginx();
  t.after(() => nginx.stop());
  const got = await publishAndRecordWithFfmpeg(nginx, sampleFlv, 'x', []);
  const cmp = comparePackets(await source(), got, { mode: 'exact', timestamps: 'absolute' });
  assert.ok(cmp.equal, cmp.report);
});

test('2. ffmpeg publishes to nginx-rtmp, rtmp play records until StreamEOF: the recording matches the source', async (t) => {
  if (!havePeers(t)) return;
  const nginx = await startNginx({ extraApps: EOF_ONLY_APP });
  t.after(() => nginx.stop());
  const dir = await tempDir('interop-play');
  const out = path.join(dir, 'y.flv');
  const url = nginx.url('eof', 'y');
  const player = await startRecorder(t, nginx, 'eof', 'y', out);
  const pub = await ffmpegPublish(sampleFlv, url, { realtime: true, timeoutMs: 40_000 });
  assert.equal(pub.code, 0, pub.stderr);
  // The only end signal is StreamEOF: play must exit 0 by itself.
  const done = await waitForExit(player, 8000);
  assert.equal(done.forced, false, `rtmp play did not end at StreamEOF:\n${done.stderr}`);
  assert.equal(done.code, 0, done.stderr);
  const cmp = comparePackets(await source(), await probePackets(out), { mode: 'exact', timestamps: 'absolute' });
  assert.ok(cmp.equal, cmp.report);
});

test('3. rtmp play downloads from the vod app: every packet matches the file on disk', async (t) => {
  if (!havePeers(t)) return;
  const nginx = await startNginx();
  t.after(() => nginx.stop());
  await copyFile(sampleFlv, path.join(nginx.vodDir, 'sample.flv'));
  const dir = await tempDir('interop-vod');
  const out = path.join(dir, 'vod.flv');
  const r = await rtmpCli(['play', '--quiet', '--buffer', '36000000', nginx.url('vod', 'sample.flv'), '-o', out], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const cmp = comparePackets(await source(), await probePackets(out), { mode: 'exact', timestamps: 'absolute' });
  assert.ok(cmp.equal, cmp.report);
});

for (const chunk of ['128', '65536']) {
  test(`4. publishing with outgoing chunk size ${chunk} arrives intact`, async (t) => {
    if (!havePeers(t)) return;
    const nginx = await startNginx();
    t.after(() => nginx.stop());
    const got = await publishAndRecordWithFfmpeg(nginx, sampleFlv, `c${chunk}`, ['--chunk-size', chunk, '--no-realtime']);
    const cmp = comparePackets(await source(), got, { mode: 'exact', timestamps: 'absolute' });
    assert.ok(cmp.equal, cmp.report);
  });
}

test('5. timestamps crossing 0xFFFFFF (extended timestamps) survive publish and play unchanged', async (t) => {
  if (!havePeers(t)) return;
  const dir = await tempDir('interop-ext');
  // Shift the sample so it starts 2 s before 0xFFFFFF ms (16777.215 s) and crosses it.
  const shifted = path.join(dir, 'shifted.flv');
  await runOk('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-y', '-i', sampleFlv, '-c', 'copy', '-output_ts_offset', '16775.215', '-f', 'flv', shifted]);
  const src = await probePackets(shifted);
  assert.ok(src.some((p) => p.dts < 0xffffff) && src.some((p) => p.dts > 0xffffff), 'the shifted file must straddle 0xFFFFFF ms');

  const nginx = await startNginx({ extraApps: EOF_ONLY_APP });
  t.after(() => nginx.stop());
  const out = path.join(dir, 'ext.flv');
  const url = nginx.url('eof', 'ext');
  const player = await startRecorder(t, nginx, 'eof', 'ext', out);
  const r = await rtmpCli(['publish', '--quiet', '--no-realtime', shifted, url], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const done = await waitForExit(player, 8000);
  assert.equal(done.code, 0, done.stderr);
  const cmp = comparePackets(src, await probePackets(out), { mode: 'exact', timestamps: 'absolute' });
  assert.ok(cmp.equal, cmp.report);

  // And through the vod app: nginx reads the file, our play keeps the timestamps.
  await copyFile(shifted, path.join(nginx.vodDir, 'shifted.flv'));
  const vodOut = path.join(dir, 'ext-vod.flv');
  const v = await rtmpCli(['play', '--quiet', '--buffer', '36000000', nginx.url('vod', 'shifted.flv'), '-o', vodOut], { timeoutMs: 30_000 });
  assert.equal(v.code, 0, v.stderr);
  const cmpVod = comparePackets(src, await probePackets(vodOut), { mode: 'exact', timestamps: 'absolute' });
  assert.ok(cmpVod.equal, cmpVod.report);
});
