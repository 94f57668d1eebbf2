/**
 * rtmp relay against nginx-rtmp: packet-for-packet fan-out to two
 * destinations, and fault cases through a loopback proxy the test controls.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { PacketType, isVideoKeyframe, isVideoSequenceHeader } from '../../src/media/packet.js';
import { RtmpServer } from '../../src/server/rtmp-server.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { EOF_ONLY_APP, havePeers, startRecorder, packetsOf } from '../helpers/interop.js';
import {
  comparePackets,
  ffmpegPublish,
  freePort,
  probePackets,
  sampleFlv,
  startNginx,
  startRtmpCli,
  tempDir,
  waitForExit,
} from '../helpers/peers.js';

test('relay from nginx-rtmp to two destinations (nginx-rtmp and rtmp serve): both recordings match the source packet for packet', async (t) => {
  if (!havePeers(t)) return;
  const nginx = await startNginx({ extraApps: EOF_ONLY_APP });
  t.after(() => nginx.stop());
  const serve = new RtmpServer({ host: '127.0.0.1', port: 0 });
  await serve.listen();
  t.after(() => serve.close());
  const dir = await tempDir('relay');
  const outs = [path.join(dir, 'nginx.flv'), path.join(dir, 'serve.flv')];
  const recorders = [
    await startRecorder(t, nginx, 'eof', 'd1', outs[0]!),
    startRtmpCli(['play', '--quiet', serve.url('live', 'd2'), '-o', outs[1]!], { timeoutMs: 40_000 }),
  ];
  t.after(() => recorders[1]!.stop());
  const relay = startRtmpCli(['relay', '--json', nginx.url('live', 'src'), nginx.url('eof', 'd1'), serve.url('live', 'd2')], { timeoutMs: 40_000 });
  t.after(() => relay.stop());
  // Destinations are live before the first packet, so they must get all of it.
  await nginx.waitForLog(/publish: name='d1'/);
  await nginx.waitForLog(/play: name='src'/);
  const deadline = Date.now() + 5000;
  while (!serve.streams().some((s) => s.name === 'd2' && s.publishing && s.players === 1)) {
    assert.ok(Date.now() < deadline, 'relay did not start publishing to rtmp serve');
    await new Promise((r) => setTimeout(r, 50));
  }
  const pub = await ffmpegPublish(sampleFlv, nginx.url('live', 'src'), { realtime: true, timeoutMs: 30_000 });
  assert.equal(pub.code, 0, pub.stderr);
  const r = await waitForExit(relay, 10_000);
  assert.equal(r.forced, false, `relay did not end with its source:\n${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { type: string; state?: string });
  assert.ok(events.some((e) => e.type === 'destination' && e.state === 'live'));
  assert.ok(events.some((e) => e.type === 'stats'));
  for (const rec of recorders) assert.equal((await waitForExit(rec, 8000)).code, 0);
  const source = await probePackets(sampleFlv);
  for (const out of outs) {
    const cmp = comparePackets(source, await probePackets(out));
    assert.ok(cmp.equal, `${path.basename(out)}: ${cmp.report}`);
  }
});

test('a destination cut mid-stream reconnects and restarts on a keyframe; the other is untouched', async (t) => {
  if (!havePeers(t)) return;
  const dir = await tempDir('relay-cut');
  const recDir = path.join(dir, 'rec');
  const nginx = await startNginx({
    extraApps: `${EOF_ONLY_APP} application rec { live on; record all; record_path ${recDir}; record_unique on; }`,
  });
  t.after(() => nginx.stop());
  const { mkdir } = await import('node:fs/promises');
  await mkdir(recDir, { recursive: true });
  const proxy = await startFaultProxy(nginx.port);
  t.after(() => proxy.close());
  const good = path.join(dir, 'good.flv');
  const goodRec = await startRecorder(t, nginx, 'eof', 'good', good);
  const relay = startRtmpCli(
    ['relay', '--retry-min', '200ms', nginx.url('live', 'src'), proxy.url('rec', 'cut'), nginx.url('eof', 'good')],
    { timeoutMs: 40_000 },
  );
  t.after(() => relay.stop());
  await nginx.waitForLog(/publish: name='cut'/);
  await nginx.waitForLog(/publish: name='good'/);
  await nginx.waitForLog(/play: name='src'/);
  const publishing = ffmpegPublish(sampleFlv, nginx.url('live', 'src'), { realtime: true, timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 2000));
  proxy.cutAll();
  await nginx.waitForLog(/publish: name='cut'/, { count: 2, timeoutMs: 5000 });
  assert.equal((await publishing).code, 0);
  const r = await waitForExit(relay, 10_000);
  assert.equal(r.code, 10, `relay should report the cut destination as incomplete:\n${r.stderr}`);
  assert.match(r.stderr, /reconnecting in/);
  assert.match(r.stderr, /1 reconnects/);

  // The untouched destination got everything.
  assert.equal((await waitForExit(goodRec, 8000)).code, 0);
  const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(good));
  assert.ok(cmp.equal, cmp.report);

  // The cut one: two recordings (one per publish session); the second starts decodable.
  const files = (await readdir(recDir)).filter((f) => f.startsWith('cut')).sort();
  assert.equal(files.length, 2, `recordings: ${files.join(', ')}`);
  const second = (await packetsOf(path.join(recDir, files[1]!))).filter((p) => p.type === PacketType.Video && !isVideoSequenceHeader(p.payload));
  assert.ok(second.length > 10, `second session got ${second.length} video packets`);
  assert.ok(isVideoKeyframe(second[0]!.payload), 'after reconnecting, video starts with a keyframe');
});

test('a destination that never accepts does not stop the others; relay exits 10 naming it', async (t) => {
  if (!havePeers(t)) return;
  const nginx = await startNginx({ extraApps: EOF_ONLY_APP });
  t.after(() => nginx.stop());
  const dir = await tempDir('relay-dead');
  const out = path.join(dir, 'ok.flv');
  const rec = await startRecorder(t, nginx, 'eof', 'ok', out);
  const dead = await freePort();
  const relay = startRtmpCli(
    ['relay', '--max-retries', '2', '--retry-min', '100ms', nginx.url('live', 'src'), `rtmp://127.0.0.1:${dead}/live/never`, nginx.url('eof', 'ok')],
    { timeoutMs: 40_000 },
  );
  t.after(() => relay.stop());
  await nginx.waitForLog(/publish: name='ok'/);
  await nginx.waitForLog(/play: name='src'/);
  assert.equal((await ffmpegPublish(sampleFlv, nginx.url('live', 'src'), { realtime: true, timeoutMs: 30_000 })).code, 0);
  const r = await waitForExit(relay, 10_000);
  assert.equal(r.code, 10, r.stderr);
  assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${dead}/live/\\*\\*\\*\\*: giving up: connection refused`));
  assert.equal((await waitForExit(rec, 8000)).code, 0);
  const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(out));
  assert.ok(cmp.equal, cmp.report);
});

test('a source cut mid-stream is reconnected; timestamps downstream keep increasing and video resumes on a keyframe', async (t) => {
  if (!havePeers(t)) return;
  const nginx = await startNginx({ extraApps: EOF_ONLY_APP });
  t.after(() => nginx.stop());
  const proxy = await startFaultProxy(nginx.port);
  t.after(() => proxy.close());
  const dir = await tempDir('relay-src');
  const out = path.join(dir, 'down.flv');
  const rec = await startRecorder(t, nginx, 'eof', 'down', out);
  const relay = startRtmpCli(['relay', '--retry-min', '200ms', proxy.url('live', 'src'), nginx.url('eof', 'down')], { timeoutMs: 40_000 });
  t.after(() => relay.stop());
  await nginx.waitForLog(/publish: name='down'/);
  await nginx.waitForLog(/play: name='src'/);
  const publishing = ffmpegPublish(sampleFlv, nginx.url('live', 'src'), { realtime: true, timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 2000));
  proxy.cutAll();
  assert.equal((await publishing).code, 0);
  const r = await waitForExit(relay, 10_000);
  assert.match(r.stderr, /source .*reconnecting in/);
  assert.equal(r.code, 10, 'a source outage means destinations missed part of the stream');
  assert.equal((await waitForExit(rec, 8000)).code, 0);
  const got = (await packetsOf(out)).filter((p) => p.type !== PacketType.Data);
  for (const type of [PacketType.Video, PacketType.Audio]) {
    const track = got.filter((p) => p.type === type);
    for (let i = 1; i < track.length; i++) assert.ok(track[i]!.timestamp >= track[i - 1]!.timestamp, `track ${type} goes back at #${i}`);
  }
  // After the outage, the first video packet (other than a sequence header) is a keyframe.
  const video = got.filter((p) => p.type === PacketType.Video && !isVideoSequenceHeader(p.payload));
  let gapAt = -1;
  for (let i = 1; i < video.length; i++) if (video[i]!.timestamp - video[i - 1]!.timestamp > 200) gapAt = i;
  assert.ok(gapAt > 0, 'the cut left a gap in the recording');
  assert.ok(isVideoKeyframe(video[gapAt]!.payload), 'video resumes on a keyframe');
});

test('--backup: a destination whose primary never accepts fails over to its backup, which gets the whole stream', async (t) => {
  if (!havePeers(t)) return;
  const nginx = await startNginx({ extraApps: EOF_ONLY_APP });
  t.after(() => nginx.stop());
  const dir = await tempDir('relay-backup');
  const out = path.join(dir, 'backup.flv');
  const rec = await startRecorder(t, nginx, 'eof', 'bk', out);
  const dead = await freePort();
  const relay = startRtmpCli(
    ['relay', '--retry-min', '100ms', '--failover-after', '2', '--backup', `1=${nginx.url('eof', 'bk')}`, nginx.url('live', 'src'), `rtmp://127.0.0.1:${dead}/live/primary`],
    { timeoutMs: 40_000 },
  );
  t.after(() => relay.stop());
  await nginx.waitForLog(/publish: name='bk'/);
  await nginx.waitForLog(/play: name='src'/);
  assert.equal((await ffmpegPublish(sampleFlv, nginx.url('live', 'src'), { realtime: true, timeoutMs: 30_000 })).code, 0);
  const r = await waitForExit(relay, 10_000);
  assert.equal(r.code, 0, `the backup got the whole stream:\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`destination 1: 2 failed attempts on rtmp://127\\.0\\.0\\.1:${dead}/live/\\*\\*\\*\\*; switching to rtmp://127\\.0\\.0\\.1:${nginx.port}/eof/\\*\\*\\*\\*`));
  assert.equal((await waitForExit(rec, 8000)).code, 0);
  const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(out));
  assert.ok(cmp.equal, cmp.report);
});

test('SIGINT stops the relay cleanly: destinations are unpublished, so their players end by themselves', async (t) => {
  if (!havePeers(t)) return;
  const nginx = await startNginx({ extraApps: EOF_ONLY_APP });
  t.after(() => nginx.stop());
  const dir = await tempDir('relay-int');
  const out = path.join(dir, 'int.flv');
  const rec = await startRecorder(t, nginx, 'eof', 'int', out);
  const relay = startRtmpCli(['relay', nginx.url('live', 'src'), nginx.url('eof', 'int')], { timeoutMs: 40_000 });
  t.after(() => relay.stop());
  await nginx.waitForLog(/publish: name='int'/);
  await nginx.waitForLog(/play: name='src'/);
  const publishing = ffmpegPublish(sampleFlv, nginx.url('live', 'src'), { realtime: true, timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 2500));
  const r = await relay.stop();
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /every destination got the whole stream/);
  // The player of the destination sees the unpublish (StreamEOF) and ends on its own.
  const done = await waitForExit(rec, 5000);
  assert.equal(done.forced, false, 'the destination was not unpublished');
  assert.equal(done.code, 0);
  await publishing;
  const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(out), { mode: 'run' });
  assert.ok(cmp.equal, cmp.report);
  assert.equal(cmp.offsets.video, 0, 'the recording starts at the beginning of the stream');
});
