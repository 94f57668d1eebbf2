/**
 * Reconnects (issue #6): publish --reconnect and play --reconnect through a
 * loopback proxy that cuts the connection mid-stream.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { PacketType, isAudioSequenceHeader, isVideoKeyframe, isVideoSequenceHeader, type MediaPacket } from '../../src/media/packet.js';
import { RtmpServer } from '../../src/server/rtmp-server.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { packetsOf } from '../helpers/interop.js';
import { comparePackets, probePackets, requirePeer, sampleFlv, startRtmpCli, tempDir, waitForExit } from '../helpers/peers.js';

const media = (ps: MediaPacket[]): MediaPacket[] => ps.filter((p) => p.type !== PacketType.Data);

test('publish --reconnect: after a cut it publishes again, resends headers and resumes on a keyframe with later timestamps', async (t) => {
  if (!requirePeer(t, 'ffprobe')) return;
  const dir = await tempDir('reconnect-pub');
  const recDir = path.join(dir, 'rec');
  const server = new RtmpServer({ host: '127.0.0.1', port: 0, recordDir: recDir });
  const { port } = await server.listen();
  t.after(() => server.close());
  const proxy = await startFaultProxy(port);
  t.after(() => proxy.close());
  const pub = startRtmpCli(['publish', '--reconnect', '--retry-min', '200ms', sampleFlv, proxy.url('live', 'rc')], { timeoutMs: 40_000 });
  t.after(() => pub.stop());
  await new Promise((r) => setTimeout(r, 2000));
  proxy.cutAll();
  const r = await waitForExit(pub, 15_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /lost rtmp:\/\/127\.0\.0\.1:\d+\/live\/\*\*\*\*/);
  assert.match(r.stderr, /reconnecting in 0\.2 s \(attempt 1 of 10\)/);
  assert.match(r.stderr, /1 reconnect\(s\)/);
  await server.close();

  const files = (await readdir(recDir)).sort();
  assert.equal(files.length, 2, `one recording per publish session: ${files.join(', ')}`);
  const [first, second] = await Promise.all(files.map((f) => packetsOf(path.join(recDir, f))));
  const firstMedia = media(first!);
  const secondMedia = media(second!);
  // Headers are sent again, then video resumes on a keyframe.
  const video2 = secondMedia.filter((p) => p.type === PacketType.Video);
  assert.ok(isVideoSequenceHeader(video2[0]!.payload), 'the video sequence header is resent');
  assert.ok(isVideoKeyframe(video2[1]!.payload), 'video resumes on a keyframe');
  assert.ok(secondMedia.filter((p) => !isVideoSequenceHeader(p.payload)).every((p) => p.timestamp >= firstMedia.at(-1)!.timestamp - 200), 'timestamps go on from the first session');
  // From that keyframe on, the server holds every frame of the source.
  const probed = await probePackets(path.join(recDir, files[1]!));
  const cmp = comparePackets(await probePackets(sampleFlv), probed, { mode: 'run' });
  assert.ok(cmp.equal, cmp.report);
  const source = await probePackets(sampleFlv);
  assert.equal(cmp.offsets.video + probed.filter((p) => p.codecType === 'video').length, source.filter((p) => p.codecType === 'video').length, 'video runs to the end of the source');
});

test('play --reconnect: through a cut it plays again and goes on writing the same file, with no duplicate or backward timestamps', async (t) => {
  if (!requirePeer(t, 'ffprobe')) return;
  const dir = await tempDir('reconnect-play');
  const server = new RtmpServer({ host: '127.0.0.1', port: 0 });
  const { port } = await server.listen();
  t.after(() => server.close());
  const proxy = await startFaultProxy(port);
  t.after(() => proxy.close());
  const out = path.join(dir, 'rec.flv');
  const player = startRtmpCli(['play', '--reconnect', '--retry-min', '200ms', proxy.url('live', 'pr'), '-o', out], { timeoutMs: 40_000 });
  t.after(() => player.stop());
  await new Promise((r) => setTimeout(r, 500));
  const pub = startRtmpCli(['publish', '--quiet', sampleFlv, server.url('live', 'pr')], { timeoutMs: 40_000 });
  t.after(() => pub.stop());
  await new Promise((r) => setTimeout(r, 2000));
  proxy.cutAll();
  assert.equal((await waitForExit(pub, 10_000)).code, 0);
  const r = await waitForExit(player, 10_000);
  assert.equal(r.forced, false, r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /closed the connection; reconnecting in 0\.2 s \(attempt 1 of 10\)/);
  assert.match(r.stderr, /1 reconnect\(s\)/);
  // Sequence headers are resent after the reconnect, stamped at their track's last timestamp; the rest must move forward.
  const got = media(await packetsOf(out)).filter((p) => (p.type === PacketType.Video ? !isVideoSequenceHeader(p.payload) : !isAudioSequenceHeader(p.payload)));
  for (const type of [PacketType.Video, PacketType.Audio]) {
    const track = got.filter((p) => p.type === type);
    for (let i = 1; i < track.length; i++) assert.ok(track[i]!.timestamp >= track[i - 1]!.timestamp, `track ${type}: #${i} goes back`);
    // No packet twice (the replayed GOP's frames that were already recorded are dropped).
    const seen = new Set(track.map((p) => `${p.timestamp}:${p.payload.toString('base64')}`));
    assert.equal(seen.size, track.length, `track ${type} holds duplicates`);
  }
  // rtmp serve replays the current GOP to a re-joining player and the duplicates are dropped, so
  // the video is the source's, in order, with at most one gap — frames lost while disconnected when
  // a new GOP began meanwhile — no longer than one GOP, and a gap always resumes on a keyframe.
  const source = await probePackets(sampleFlv);
  const probed = await probePackets(out);
  const srcVideo = source.filter((p) => p.codecType === 'video');
  const gotVideo = probed.filter((p) => p.codecType === 'video');
  let at = srcVideo.findIndex((p) => p.hash === gotVideo[0]!.hash);
  assert.equal(at, 0, 'the recording starts at the beginning');
  const gaps: Array<{ from: number; to: number }> = [];
  for (const p of gotVideo.slice(1)) {
    const next = srcVideo.findIndex((q, i) => i > at && q.hash === p.hash);
    assert.ok(next > at, 'every recorded frame is a later frame of the source');
    if (next > at + 1) gaps.push({ from: at, to: next });
    at = next;
  }
  assert.ok(gaps.length <= 1, `gaps: ${JSON.stringify(gaps)}`);
  for (const g of gaps) {
    assert.ok(g.to - g.from <= 25, `gap of ${g.to - g.from - 1} frames is longer than a GOP`);
    assert.equal(srcVideo[g.to]!.flags[0], 'K', 'after a gap, video resumes on a keyframe');
  }
  assert.equal(at, srcVideo.length - 1, 'the recording runs to the end of the stream');
});

test('play without --reconnect: a cut ends with exit 4, and the recording so far is a valid FLV', async (t) => {
  if (!requirePeer(t, 'ffprobe')) return;
  const dir = await tempDir('cut-play');
  const server = new RtmpServer({ host: '127.0.0.1', port: 0 });
  const { port } = await server.listen();
  t.after(() => server.close());
  const proxy = await startFaultProxy(port);
  t.after(() => proxy.close());
  const out = path.join(dir, 'cut.flv');
  const player = startRtmpCli(['play', proxy.url('live', 'pc'), '-o', out], { timeoutMs: 40_000 });
  t.after(() => player.stop());
  await new Promise((r) => setTimeout(r, 500));
  const pub = startRtmpCli(['publish', '--quiet', sampleFlv, server.url('live', 'pc')], { timeoutMs: 40_000 });
  t.after(() => pub.stop());
  await new Promise((r) => setTimeout(r, 2000));
  proxy.cutAll();
  const r = await waitForExit(player, 5000);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /closed the connection after \d+\.\d s of media; the recording up to there is a valid FLV/);
  const got = await packetsOf(out); // our reader: no truncation warnings
  assert.ok(got.length > 50);
  const probed = await probePackets(out);
  const cmp = comparePackets(await probePackets(sampleFlv), probed, { mode: 'run' });
  assert.ok(cmp.equal, cmp.report);
});
