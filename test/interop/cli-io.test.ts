/**
 * publish and play beyond the plain file case, against nginx-rtmp: stdin and
 * stdout, --loop, --duration, SIGINT finalizing a recording, and damaged input.
 */
import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { asObject, getNumber } from '../../src/amf/expect.js';
import { parseScriptData } from '../../src/flv/script-data.js';
import { PacketType, isVideoSequenceHeader } from '../../src/media/packet.js';
import {
  comparePackets,
  ffmpegPublish,
  ffmpegRecord,
  probePackets,
  rtmpCli,
  sampleFlv,
  startNginx,
  startRtmpCli,
  tempDir,
  waitForExit,
} from '../helpers/peers.js';
import { assertPublishedTwice, EOF_ONLY_APP, havePeers, startRecorder, packetsOf } from '../helpers/interop.js';


test('publish - reads FLV from stdin; play -o - writes FLV to stdout; both match the source packet for packet', async (t) => {
  if (!havePeers(t)) return;
  const nginx = await startNginx();
  t.after(() => nginx.stop());
  const dir = await tempDir('cli-io');
  // stdin → live, read back by ffmpeg.
  const recording = path.join(dir, 'stdin.flv');
  const url = nginx.url('live', 'stdin');
  const recorder = ffmpegRecord(url, recording, { timeoutMs: 30_000 });
  t.after(() => recorder.stop());
  await nginx.waitForLog(/play: name='stdin'/);
  const pub = await rtmpCli(['publish', '--quiet', '-', url], { input: await readFile(sampleFlv), timeoutMs: 30_000 });
  assert.equal(pub.code, 0, pub.stderr);
  const rec = await waitForExit(recorder, 8000);
  assert.equal(rec.forced, false);
  const source = await probePackets(sampleFlv);
  const cmp = comparePackets(source, await probePackets(recording));
  assert.ok(cmp.equal, cmp.report);

  // vod → stdout.
  await copyFile(sampleFlv, path.join(nginx.vodDir, 'sample.flv'));
  const play = await rtmpCli(['play', '--quiet', '--buffer', '36000000', nginx.url('vod', 'sample.flv'), '-o', '-'], { timeoutMs: 30_000 });
  assert.equal(play.code, 0, play.stderr);
  assert.equal(play.stderr, '', '--quiet prints nothing on success');
  const out = path.join(dir, 'stdout.flv');
  await writeFile(out, play.stdout);
  const cmp2 = comparePackets(source, await probePackets(out));
  assert.ok(cmp2.equal, cmp2.report);
});

test('publish --loop 2 sends the file twice with increasing timestamps and the same payloads', async (t) => {
  if (!havePeers(t)) return;
  const nginx = await startNginx({ extraApps: EOF_ONLY_APP });
  t.after(() => nginx.stop());
  const dir = await tempDir('cli-loop');
  const out = path.join(dir, 'loop.flv');
  const url = nginx.url('eof', 'loop');
  const player = await startRecorder(t, nginx, 'eof', 'loop', out);
  const pub = await rtmpCli(['publish', '--quiet', '--no-realtime', '--loop', '2', sampleFlv, url], { timeoutMs: 30_000 });
  assert.equal(pub.code, 0, pub.stderr);
  assert.equal((await waitForExit(player, 8000)).code, 0);

  const src = (await packetsOf(sampleFlv)).filter((p) => p.type !== PacketType.Data);
  const got = (await packetsOf(out)).filter((p) => p.type !== PacketType.Data);
  assertPublishedTwice(src, got);
});

test('play --duration stops after that much media and exits 0; SIGINT finalizes the file with its real duration', async (t) => {
  if (!havePeers(t)) return;
  const nginx = await startNginx();
  t.after(() => nginx.stop());
  const dir = await tempDir('cli-dur');
  const url = nginx.url('live', 'dur');
  const limited = path.join(dir, 'limited.flv');
  const interrupted = path.join(dir, 'interrupted.flv');
  const a = startRtmpCli(['play', '--duration', '2s', url, '-o', limited], { timeoutMs: 30_000 });
  const b = startRtmpCli(['play', url, '-o', interrupted], { timeoutMs: 30_000 });
  t.after(() => a.stop());
  t.after(() => b.stop());
  await nginx.waitForLog(/play: name='dur'/, { count: 2 });
  const publishing = ffmpegPublish(sampleFlv, url, { realtime: true, timeoutMs: 30_000 });

  const ra = await waitForExit(a, 10_000);
  assert.equal(ra.forced, false, 'play --duration did not stop by itself');
  assert.equal(ra.code, 0, ra.stderr);
  assert.match(ra.stderr, /duration reached/);
  const media = (await packetsOf(limited)).filter((p) => p.type !== PacketType.Data);
  const span = media.at(-1)!.timestamp - media[0]!.timestamp;
  assert.ok(span >= 1900 && span < 2100, `recorded span ${span} ms`);

  // SIGINT the other recorder mid-stream (after the first one stopped at ~2 s).
  b.stop();
  const rb = await b.done;
  assert.equal(rb.code, 0, `SIGINT should end play cleanly:\n${rb.stderr}`);
  assert.match(rb.stderr, /recorded .*\(stopped\)/);
  await publishing;
  const all = await packetsOf(interrupted);
  const meta = parseScriptData(all[0]!.payload);
  assert.equal(meta?.name, 'onMetaData');
  const av = all.filter((p) => p.type !== PacketType.Data);
  const realSpan = (av.at(-1)!.timestamp - av[0]!.timestamp) / 1000;
  assert.ok(realSpan > 1, `recorded ${realSpan} s before SIGINT`);
  assert.equal(getNumber(asObject(meta?.value), 'duration'), realSpan, 'onMetaData duration rewritten on close');
  const probed = await probePackets(interrupted);
  // ffprobe reads the whole file; it counts the AVC sequence header as extradata, not a packet.
  assert.equal(probed.filter((p) => p.codecType === 'video').length, av.filter((p) => p.type === PacketType.Video && !isVideoSequenceHeader(p.payload)).length);
});

test('a damaged tag in the middle of a file gives a warning with its offset, and publishing continues', async (t) => {
  if (!havePeers(t)) return;
  const nginx = await startNginx();
  t.after(() => nginx.stop());
  const dir = await tempDir('cli-bad');
  const bytes = Buffer.from(await readFile(sampleFlv));
  // Find the 100th tag and give its header an unknown tag type (0x55): the reader skips it.
  let off = 13;
  for (let i = 0; i < 100; i++) off += 11 + bytes.readUIntBE(off + 1, 3) + 4;
  bytes[off] = 0x55;
  const bad = path.join(dir, 'damaged.flv');
  await writeFile(bad, bytes);
  const r = await rtmpCli(['publish', '--no-realtime', bad, nginx.url('live', 'bad')], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`warning: .*damaged\\.flv: .*offset ${off}`));
  // Exactly the damaged tag is missing from what was sent.
  const m = /\((\d+) video, (\d+) audio packets/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.equal(Number(m[1]) + Number(m[2]), (await packetsOf(sampleFlv)).filter((p) => p.type !== PacketType.Data).length - 1);
});
