/**
 * `rtmp serve` / RtmpServer against real peers (issue #4): our publish and
 * ffmpeg as publishers; our play, ffmpeg and rtmpdump as players. Media is
 * compared with the source by packet hashes and timestamps, or by decoded
 * frame hashes (framemd5). Plus the slow-player policy, which needs no peer.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { asObject, getNumber } from '../../src/amf/expect.js';
import { RtmpClient } from '../../src/client/rtmp-client.js';
import { parseScriptData } from '../../src/flv/script-data.js';
import { isVideoKeyframe, PacketType, type MediaPacket } from '../../src/media/packet.js';
import { readFlvPackets } from '../../src/pipeline/flv-file-source.js';
import { RtmpServer, type RtmpServerOptions, type ServerEvent } from '../../src/server/rtmp-server.js';
import {
  comparePackets,
  ffmpegPublish,
  ffmpegRecord,
  findBinary,
  framemd5,
  freePort,
  probePackets,
  requirePeer,
  rtmpCli,
  sampleFlv,
  startProcess,
  startRtmpCli,
  tempDir,
  waitForExit,
  type ProbedPacket,
} from '../helpers/peers.js';

let sourcePackets: ProbedPacket[] | undefined;
const source = async (): Promise<ProbedPacket[]> => (sourcePackets ??= await probePackets(sampleFlv));

/** An in-process server on a free port whose events can be awaited. */
async function startServer(t: TestContext, opts: RtmpServerOptions = {}): Promise<{ server: RtmpServer; events: ServerEvent[]; waitFor(pred: (e: ServerEvent) => boolean, ms?: number): Promise<ServerEvent> }> {
  const events: ServerEvent[] = [];
  const waiters: Array<{ pred: (e: ServerEvent) => boolean; resolve: (e: ServerEvent) => void }> = [];
  const server = new RtmpServer({
    ...opts,
    port: 0,
    onEvent: (ev) => {
      events.push(ev);
      for (const w of [...waiters]) {
        if (w.pred(ev)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(ev);
        }
      }
    },
  });
  await server.listen();
  t.after(() => server.close());
  const waitFor = (pred: (e: ServerEvent) => boolean, ms = 10_000): Promise<ServerEvent> => {
    const seen = events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching server event within ${ms} ms; got ${events.map((e) => e.type).join(', ')}`)), ms);
      waiters.push({ pred, resolve: (e) => { clearTimeout(timer); resolve(e); } });
    });
  };
  return { server, events, waitFor };
}

const isPlay = (name: string) => (e: ServerEvent): boolean => e.type === 'play' && e.name === name;

test('1. rtmp publish → rtmp serve → rtmp play (subscribed first): every packet with the same hash and timestamps', async (t) => {
  if (!requirePeer(t, 'ffprobe')) return;
  const { server, waitFor } = await startServer(t);
  const out = path.join(await tempDir('serve-1'), 'play.flv');
  const url = server.url('live', 'one');
  const player = startRtmpCli(['play', '--quiet', url, '-o', out], { timeoutMs: 30_000 });
  t.after(() => player.stop());
  await waitFor(isPlay('one'));
  const pub = await rtmpCli(['publish', '--quiet', '--no-realtime', sampleFlv, url]);
  assert.equal(pub.code, 0, pub.stderr);
  const done = await waitForExit(player, 8000);
  assert.equal(done.forced, false, `rtmp play did not see the end of the stream:\n${done.stderr}`);
  assert.equal(done.code, 0, done.stderr);
  const cmp = comparePackets(await source(), await probePackets(out), { mode: 'exact', timestamps: 'absolute' });
  assert.ok(cmp.equal, cmp.report);
});

test('2. ffmpeg publishes in real time; ffmpeg and rtmpdump, subscribed first, decode the same frames as the source', async (t) => {
  if (!requirePeer(t, 'ffmpeg') || !requirePeer(t, 'rtmpdump')) return;
  const { server, events, waitFor } = await startServer(t);
  const dir = await tempDir('serve-2');
  const url = server.url('live', 'two');
  const viaFfmpeg = path.join(dir, 'ffmpeg.flv');
  const viaRtmpdump = path.join(dir, 'rtmpdump.flv');
  const ffPlayer = ffmpegRecord(url, viaFfmpeg, { timeoutMs: 30_000 });
  t.after(() => ffPlayer.stop());
  const rdPlayer = startProcess(findBinary('rtmpdump') ?? 'rtmpdump', ['-q', '-v', '-r', url, '-o', viaRtmpdump], { timeoutMs: 30_000 });
  t.after(() => rdPlayer.stop());
  await waitFor(() => events.filter((e) => e.type === 'play').length >= 2);
  const pub = await ffmpegPublish(sampleFlv, url, { realtime: true, timeoutMs: 30_000 });
  assert.equal(pub.code, 0, pub.stderr);
  const ff = await waitForExit(ffPlayer, 8000);
  assert.equal(ff.forced, false, `ffmpeg did not see the end of the stream:\n${ff.stderr}`);
  const rd = await waitForExit(rdPlayer, 8000);
  // rtmpdump exits 2 ("incomplete") at the end of any live stream.
  assert.equal(rd.forced, false, `rtmpdump did not see the end of the stream:\n${rd.stderr}`);
  const want = await framemd5(sampleFlv);
  assert.ok(want.length > 300);
  assert.deepEqual(await framemd5(viaFfmpeg), want, 'ffmpeg player: decoded frames differ from the source');
  assert.deepEqual(await framemd5(viaRtmpdump), want, 'rtmpdump player: decoded frames differ from the source');
});

test('3. a late joiner starts on a keyframe with metadata and sequence headers, then a contiguous run of the source', async (t) => {
  if (!requirePeer(t, 'ffprobe')) return;
  const { server, waitFor } = await startServer(t);
  const out = path.join(await tempDir('serve-3'), 'late.flv');
  const url = server.url('live', 'three');
  const publisher = startRtmpCli(['publish', '--quiet', sampleFlv, url], { timeoutMs: 30_000 });
  t.after(() => publisher.stop());
  await waitFor((e) => e.type === 'publish');
  await new Promise((r) => setTimeout(r, 2200));
  const player = await rtmpCli(['play', '--quiet', url, '-o', out], { timeoutMs: 20_000 });
  assert.equal(player.code, 0, player.stderr);
  assert.equal((await waitForExit(publisher, 5000)).code, 0);
  const got = await probePackets(out);
  const firstVideo = got.find((p) => p.codecType === 'video');
  assert.ok(firstVideo, 'no video received');
  assert.equal(firstVideo.flags[0], 'K', `first video packet is not a keyframe: ${JSON.stringify(firstVideo)}`);
  const cmp = comparePackets(await source(), got, { mode: 'run', timestamps: 'absolute' });
  assert.ok(cmp.equal, cmp.report);
  assert.ok(cmp.offsets.video >= 25, `joined at video #${cmp.offsets.video}: not late`);
});

/** Resolves once something accepts TCP connections on the port. */
async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on port ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('4. rtmp serve --record: a recording equals the source packet for packet; SIGINT finalizes one in progress and exits 0', async (t) => {
  if (!requirePeer(t, 'ffprobe')) return;
  const dir = await tempDir('serve-4');
  const port = await freePort();
  const key = 'rec_SECRET_KEY_42';
  const serve = startRtmpCli(['serve', '--port', String(port), '--record', dir], { timeoutMs: 30_000 });
  t.after(() => serve.stop());
  await waitForPort(port, 5000);
  const pub = await rtmpCli(['publish', '--quiet', '--no-realtime', sampleFlv, `rtmp://127.0.0.1:${port}/live/${key}`]);
  assert.equal(pub.code, 0, pub.stderr);
  // A real-time publish still going when the server stops: its recording must be finalized too.
  const live = startRtmpCli(['publish', '--quiet', sampleFlv, `rtmp://127.0.0.1:${port}/live/cut`], { timeoutMs: 30_000 });
  t.after(() => live.stop());
  // Stop the server about a second into that publish (its recording exists by then).
  const until = Date.now() + 10_000;
  while (!(await readdir(dir)).some((f) => f.startsWith('cut-')) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1000));
  const stopped = await serve.stop();
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stderr, new RegExp(`listening on rtmp://127\\.0\\.0\\.1:${port}`));
  assert.match(stopped.stderr, /publishes live\/\*\*\*\*/);
  assert.ok(!stopped.stderr.includes(key), `the stream key was printed:\n${stopped.stderr}`);
  const files = (await readdir(dir)).sort();
  assert.equal(files.length, 2, files.join(', '));
  assert.match(files[0]!, /^cut-\d{8}-\d{6}\.flv$/);
  assert.match(files[1]!, new RegExp(`^${key}-\\d{8}-\\d{6}\\.flv$`));
  const cmp = comparePackets(await source(), await probePackets(path.join(dir, files[1]!)), { mode: 'exact', timestamps: 'absolute' });
  assert.ok(cmp.equal, cmp.report);
  const cut = path.join(dir, files[0]!);
  const partial = comparePackets(await source(), await probePackets(cut), { mode: 'run', timestamps: 'absolute' });
  assert.ok(partial.equal && partial.offsets.video === 0, partial.report);
  const head = await readFlvPackets(cut).next();
  const seconds = head.done ? undefined : getNumber(asObject(parseScriptData(head.value.payload)?.value), 'duration');
  assert.ok(seconds !== undefined && seconds > 0.5 && seconds < 5, `duration of the cut recording: ${seconds}`);
});

test('5. a second publisher of the same name gets NetStream.Publish.BadName (exit 6); --allow-key refuses other keys', async (t) => {
  const { server, waitFor } = await startServer(t, { allowKeys: ['dup', 'good'] });
  const first = await RtmpClient.connect(server.url('live', 'dup'), { role: 'publish' });
  t.after(() => first.close());
  await (await first.createStream()).publish('dup');
  await waitFor((e) => e.type === 'publish' && e.name === 'dup');
  const second = await rtmpCli(['publish', '--no-realtime', sampleFlv, server.url('live', 'dup')]);
  assert.equal(second.code, 6, second.stderr);
  assert.match(second.stderr, /NetStream\.Publish\.BadName.*already being published/);
  const refused = await rtmpCli(['publish', '--no-realtime', sampleFlv, server.url('live', 'other')]);
  assert.equal(refused.code, 6, refused.stderr);
  assert.match(refused.stderr, /NetStream\.Publish\.BadName.*key is not allowed/);
  const allowed = await rtmpCli(['publish', '--quiet', '--no-realtime', sampleFlv, server.url('live', 'good')]);
  assert.equal(allowed.code, 0, allowed.stderr);
});

test('6. a player that stops reading loses audio and video up to the next keyframe, counted, instead of growing memory', async (t) => {
  const { server, waitFor } = await startServer(t, { playerQueueBytes: 256 * 1024 });
  const url = server.url('live', 'slow');
  const player = await RtmpClient.connect(url);
  t.after(() => player.close());
  const stream = await player.createStream();
  await stream.play('slow');
  // Not iterating packets() yet: the client stops reading at 1 MiB, then the kernel buffers fill.
  const publisher = await RtmpClient.connect(url, { role: 'publish' });
  t.after(() => publisher.close());
  const out = await publisher.createStream();
  await out.publish('slow');
  const frames = 2000;
  for (let i = 0; i < frames; i++) {
    const payload = Buffer.alloc(20_000, 0);
    payload[0] = i % 25 === 0 ? 0x17 : 0x27; // keyframe every 25 frames, AVC
    payload[1] = 1; // NALU, not a sequence header
    payload.writeUInt32BE(i, 5);
    if (!out.write({ type: PacketType.Video, timestamp: i * 40, payload })) await out.drained();
  }
  await out.unpublish();
  await waitFor((e) => e.type === 'unpublish');
  const drop = await waitFor((e) => e.type === 'drop');
  assert.ok(drop.type === 'drop' && drop.queuedBytes > 256 * 1024);
  const got: MediaPacket[] = [];
  for await (const p of stream.packets({ idleTimeoutMs: 5000 })) if (p.type === PacketType.Video) got.push(p);
  assert.ok(got.length > 0 && got.length < frames, `received ${got.length} of ${frames} frames`);
  let prev = -1;
  for (const p of got) {
    const i = p.payload.readUInt32BE(5);
    if (i !== prev + 1) assert.ok(isVideoKeyframe(p.payload), `frame ${i} after ${prev}: a gap must end on a keyframe`);
    prev = i;
  }
  await player.close();
  const stop = await waitFor((e) => e.type === 'stop' && e.name === 'slow');
  assert.ok(stop.type === 'stop' && stop.dropped === frames - got.length, `dropped ${stop.type === 'stop' ? stop.dropped : '?'} vs ${frames - got.length} missing`);
});

test('7. a player that came before the publisher waits, and stays subscribed across unpublish and a new publish', async (t) => {
  const { server, events, waitFor } = await startServer(t);
  const url = server.url('live', 'again');
  const codes: string[] = [];
  const player = await RtmpClient.connect(url, { onEvent: (e) => e.type === 'status' && codes.push(e.info.code) });
  t.after(() => player.close());
  await (await player.createStream()).play('again');
  const joined = await waitFor((e) => e.type === 'play');
  assert.ok(joined.type === 'play' && joined.waiting, 'the player waits for a publisher');
  for (let round = 1; round <= 2; round++) {
    const pub = await RtmpClient.connect(url, { role: 'publish' });
    const s = await pub.createStream();
    await s.publish('again');
    s.write({ type: PacketType.Video, timestamp: 0, payload: Buffer.from([0x17, 1, 0, 0, 0, 1, 2, 3]) });
    await s.unpublish();
    await pub.close();
    await waitFor(() => events.filter((e) => e.type === 'unpublish').length >= round);
  }
  const until = Date.now() + 5000;
  while (codes.length < 6 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(codes, [
    'NetStream.Play.Reset',
    'NetStream.Play.Start',
    'NetStream.Play.PublishNotify',
    'NetStream.Play.UnpublishNotify',
    'NetStream.Play.PublishNotify',
    'NetStream.Play.UnpublishNotify',
  ]);
  assert.deepEqual(server.streams(), [{ app: 'live', name: 'again', publishing: false, players: 1 }]);
});

test('8. a client that speaks HTTP or stays silent gets one error event and is disconnected; the server goes on', async (t) => {
  const { server, events, waitFor } = await startServer(t, { handshakeTimeoutMs: 300 });
  const port = server.address!.port;
  const http = net.connect({ host: '127.0.0.1', port }, () => http.write('GET / HTTP/1.1\r\n\r\n'));
  http.on('error', () => undefined);
  const silent = net.connect({ host: '127.0.0.1', port });
  silent.on('error', () => undefined);
  t.after(() => { http.destroy(); silent.destroy(); });
  const bad = await waitFor((e) => e.type === 'error' && /HTTP/.test(e.error.message));
  const late = await waitFor((e) => e.type === 'error' && e.error.name === 'TimeoutError');
  assert.ok(bad.type === 'error' && late.type === 'error');
  await waitFor(() => events.filter((e) => e.type === 'disconnect').length >= 2);
  // Still serving.
  const client = await RtmpClient.connect(server.url('live', 'x'));
  await client.close();
});

test('9. a GOP over gopCacheBytes is not replayed: a joiner then starts at the next keyframe; a GOP under it is', async (t) => {
  const { server, events, waitFor } = await startServer(t, { gopCacheBytes: 50_000 });
  const playing = (n: number): Promise<ServerEvent> => waitFor(() => events.filter((e) => e.type === 'play').length >= n);
  const url = server.url('live', 'gop');
  const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 150));
  const publisher = await RtmpClient.connect(url, { role: 'publish' });
  t.after(() => publisher.close());
  const out = await publisher.createStream();
  await out.publish('gop');
  const send = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) {
      const payload = Buffer.alloc(2000, 0);
      payload[0] = i % 40 === 0 ? 0x17 : 0x27; // keyframes at 0 and 40
      payload[1] = 1;
      payload.writeUInt32BE(i, 5);
      out.write({ type: PacketType.Video, timestamp: i * 40, payload });
    }
    await publisher.flush();
    await pause();
  };
  const join = async (): Promise<number[]> => {
    const c = await RtmpClient.connect(url);
    t.after(() => c.close());
    const s = await c.createStream();
    await s.play('gop');
    const frames: number[] = [];
    for await (const p of s.packets({ idleTimeoutMs: 5000 })) if (p.type === PacketType.Video) frames.push(p.payload.readUInt32BE(5));
    return frames;
  };
  await send(0, 30); // 60 kB since the keyframe: over the cap, not cached
  const a = join();
  await playing(1);
  await send(30, 50); // keyframe 40, then 20 kB: cached
  const b = join();
  await playing(2);
  await send(50, 60);
  await out.unpublish();
  const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
  assert.deepEqual(await a, range(40, 60), 'joined with no GOP cached: starts at the next keyframe');
  assert.deepEqual(await b, range(40, 60), 'joined with a GOP cached: gets it, then live');
});
