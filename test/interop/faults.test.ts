/**
 * Network faults through the loopback proxy (issue #6): traffic re-fragmented
 * into 1-byte segments, added latency, a server that stalls mid-stream, and
 * one that never answers the handshake.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { RtmpServer, type RtmpServerOptions } from '../../src/server/rtmp-server.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { comparePackets, probePackets, requirePeer, rtmpCli, sampleFlv, startRtmpCli, tempDir, waitForExit } from '../helpers/peers.js';

async function serverWithProxy(t: import('node:test').TestContext, recordDir?: string, onEvent?: RtmpServerOptions['onEvent']) {
  const server = new RtmpServer({ host: '127.0.0.1', port: 0, ...(recordDir ? { recordDir } : {}), ...(onEvent ? { onEvent } : {}) });
  const { port } = await server.listen();
  t.after(() => server.close());
  const proxy = await startFaultProxy(port);
  t.after(() => proxy.close());
  return { server, proxy };
}

test('every byte in its own TCP segment, both ways: publish and play still carry the stream exactly', async (t) => {
  if (!requirePeer(t, 'ffprobe')) return;
  const dir = await tempDir('faults-frag');
  const recDir = path.join(dir, 'rec');
  const { server, proxy } = await serverWithProxy(t, recDir);
  proxy.fragment = true;
  const out = path.join(dir, 'played.flv');
  const player = startRtmpCli(['play', '--quiet', proxy.url('live', 'frag'), '-o', out], { timeoutMs: 60_000 });
  t.after(() => player.stop());
  await new Promise((r) => setTimeout(r, 1500));
  const pub = await rtmpCli(['publish', '--quiet', '--no-realtime', sampleFlv, proxy.url('live', 'frag')], { timeoutMs: 60_000 });
  assert.equal(pub.code, 0, pub.stderr);
  const played = await waitForExit(player, 30_000);
  assert.equal(played.code, 0, played.stderr);
  await server.close();
  const source = await probePackets(sampleFlv);
  const [recorded] = await readdir(recDir);
  for (const file of [path.join(recDir, recorded!), out]) {
    const cmp = comparePackets(source, await probePackets(file));
    assert.ok(cmp.equal, `${path.basename(file)}: ${cmp.report}`);
  }
});

test('100 ms of added latency: a real-time publish arrives exactly', async (t) => {
  if (!requirePeer(t, 'ffprobe')) return;
  const dir = await tempDir('faults-lat');
  const recDir = path.join(dir, 'rec');
  let unpublished: () => void = () => {};
  const done = new Promise<void>((resolve) => (unpublished = resolve));
  const { server, proxy } = await serverWithProxy(t, recDir, (e) => e.type === 'unpublish' && unpublished());
  proxy.latencyMs = 100;
  const pub = await rtmpCli(['publish', '--quiet', sampleFlv, proxy.url('live', 'lat')], { timeoutMs: 30_000 });
  assert.equal(pub.code, 0, pub.stderr);
  // The publisher may exit while its last packets are still in the proxy's 100 ms delay line.
  await done;
  await server.close();
  const [recorded] = await readdir(recDir);
  const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(path.join(recDir, recorded!)));
  assert.ok(cmp.equal, cmp.report);
});

test('a server that stalls mid-stream: play ends cleanly at --idle-timeout with a valid file', async (t) => {
  if (!requirePeer(t, 'ffprobe')) return;
  const dir = await tempDir('faults-stall');
  const { server, proxy } = await serverWithProxy(t);
  const out = path.join(dir, 'stalled.flv');
  const player = startRtmpCli(['play', '--idle-timeout', '1s', proxy.url('live', 'st'), '-o', out], { timeoutMs: 30_000 });
  t.after(() => player.stop());
  await new Promise((r) => setTimeout(r, 500));
  const pub = startRtmpCli(['publish', '--quiet', sampleFlv, server.url('live', 'st')], { timeoutMs: 30_000 });
  t.after(() => pub.stop());
  await new Promise((r) => setTimeout(r, 2000));
  proxy.stalled = true;
  const r = await waitForExit(player, 8000);
  assert.equal(r.forced, false, 'play hung on a stalled server');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /no media for 1\.0 s \(--idle-timeout\); ended the recording/);
  const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(out), { mode: 'run' });
  assert.ok(cmp.equal, cmp.report);
  assert.equal(cmp.offsets.video, 0);
});

test('a server that accepts TCP but never answers the handshake: exit 7 within --timeout', async (t) => {
  const { proxy } = await serverWithProxy(t);
  proxy.stalled = true;
  const started = Date.now();
  const r = await rtmpCli(['publish', '--timeout', '700ms', sampleFlv, proxy.url('live', 'hs')], { timeoutMs: 15_000 });
  assert.equal(r.code, 7, r.stderr);
  assert.match(r.stderr, /^error: timed out after 700 ms waiting for the RTMP handshake with 127\.0\.0\.1:\d+$/m);
  assert.ok(Date.now() - started < 5000);
});
