/**
 * The digest (Flash Player 9) handshake against real peers, both ways:
 * our client against nginx-rtmp, which verifies C1's digest and signs S2 for
 * it only when it does (both offset schemes, with media compared by packet
 * hashes); and ffmpeg's and rtmpdump's digest clients against our server,
 * which they accept only if S1's digest and S2's signature verify.
 *
 * What nginx-rtmp does with a bad client digest (ngx_rtmp_handshake.c):
 * it logs "handshake: digest not found" and falls back to the old-style
 * handshake, echoing C1 back as both S1 and S2 — it does not drop the
 * connection. Test 2 shows it, and that our client then only warns.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { RtmpClient } from '../../src/client/rtmp-client.js';
import { readFlvPackets } from '../../src/pipeline/flv-file-source.js';
import { pumpPublish, startPublish } from '../../src/pipeline/publish.js';
import { digestOffset } from '../../src/rtmp/digest.js';
import { ClientHandshake } from '../../src/rtmp/handshake.js';
import { RtmpServer, type ServerEvent } from '../../src/server/rtmp-server.js';
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
  startNginx,
  startProcess,
  startRtmpCli,
  tempDir,
  waitForExit,
  waitForPort,
} from '../helpers/peers.js';
import { EOF_ONLY_APP, havePeers, startRecorder } from '../helpers/interop.js';

for (const scheme of [0, 1] as const) {
  test(`1.${scheme} digest handshake, scheme ${scheme}, against nginx-rtmp: S2 signed for our C1; publish and play keep every packet`, async (t) => {
    if (!havePeers(t)) return;
    const nginx = await startNginx({ extraApps: EOF_ONLY_APP });
    t.after(() => nginx.stop());
    const out = path.join(await tempDir('hs-nginx'), 'play.flv');
    // The player is our CLI (digest handshake by default, scheme 0).
    const player = await startRecorder(t, nginx, 'eof', `s${scheme}`, out);
    const warnings: string[] = [];
    const client = await RtmpClient.connect(nginx.url('eof', `s${scheme}`), { role: 'publish', handshake: 'digest', digestScheme: scheme, onWarning: (w) => warnings.push(w) });
    try {
      // nginx signs S2 for our C1 digest only when it found that digest.
      assert.deepEqual(client.handshake, { mode: 'digest', serverVersion: '13.14.10.13', serverDigest: 0, s2Signed: true });
      assert.deepEqual(warnings, []);
      const stream = await startPublish(client, `s${scheme}`, 'live');
      await pumpPublish(stream, { open: () => readFlvPackets(sampleFlv), loops: 1, realtime: false });
      await stream.unpublish();
    } finally {
      await client.close();
    }
    const done = await waitForExit(player, 8000);
    assert.equal(done.code, 0, done.stderr);
    assert.doesNotMatch(await nginx.log(), /digest not found/);
    const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(out), { mode: 'exact', timestamps: 'absolute' });
    assert.ok(cmp.equal, cmp.report);
  });
}

test('2. nginx-rtmp answers a C1 with a broken digest old-style (S1 = S2 = C1); our client warns and carries on', async (t) => {
  if (!requirePeer(t, 'nginx')) return;
  const nginx = await startNginx();
  t.after(() => nginx.stop());
  const hs = new ClientHandshake({ mode: 'digest' });
  const c0c1 = hs.start();
  c0c1[1 + digestOffset(c0c1.subarray(1), 0)]! ^= 0xff; // break the digest
  const socket = net.connect({ host: '127.0.0.1', port: nginx.port });
  t.after(() => socket.destroy());
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    const timer = setTimeout(() => reject(new Error(`nginx sent only ${n} handshake bytes`)), 5000);
    socket.on('data', (d: Buffer) => {
      parts.push(d);
      n += d.length;
      if (n >= 3073) {
        clearTimeout(timer);
        resolve(Buffer.concat(parts));
      }
    });
    socket.once('error', reject);
    socket.write(c0c1);
  });
  assert.deepEqual(reply.subarray(1, 1537), c0c1.subarray(1), 'S1 echoes C1');
  assert.deepEqual(reply.subarray(1537, 3073), c0c1.subarray(1), 'S2 echoes C1');
  await nginx.waitForLog(/handshake: digest not found/);
  const step = hs.push(reply);
  assert.equal(step.done, true);
  assert.match(step.warnings?.join('\n') ?? '', /no valid digest/);
});

test('3. ffmpeg and rtmpdump (digest clients) play from our server, which they verify; our digest publish arrives intact', async (t) => {
  if (!requirePeer(t, 'ffmpeg') || !requirePeer(t, 'rtmpdump')) return;
  const events: ServerEvent[] = [];
  const server = new RtmpServer({ port: 0, onEvent: (e) => events.push(e) });
  await server.listen();
  t.after(() => server.close());
  const dir = await tempDir('hs-serve');
  const url = server.url('live', 'd');
  const viaFfmpeg = path.join(dir, 'ffmpeg.flv');
  const viaRtmpdump = path.join(dir, 'rtmpdump.flv');
  // ffmpeg as a player checks S1's digest and S2's signature ("Server response validating failed").
  const ffPlayer = ffmpegRecord(url, viaFfmpeg, { timeoutMs: 30_000 });
  t.after(() => ffPlayer.stop());
  // librtmp uses the digest handshake when given a SWF hash and size, and then
  // refuses a server whose S1 digest or S2 signature does not verify.
  const swf = ['-w', '00'.repeat(32), '-x', '1000'];
  const rdPlayer = startProcess(findBinary('rtmpdump') ?? 'rtmpdump', ['-q', '-v', ...swf, '-r', url, '-o', viaRtmpdump], { timeoutMs: 30_000 });
  t.after(() => rdPlayer.stop());
  const deadline = Date.now() + 10_000;
  while (events.filter((e) => e.type === 'play').length < 2) {
    assert.ok(Date.now() < deadline, `players did not start: ${events.map((e) => e.type).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const pub = await rtmpCli(['publish', '--quiet', '--no-realtime', '--handshake', 'digest', sampleFlv, url], { timeoutMs: 30_000 });
  assert.equal(pub.code, 0, pub.stderr);
  const ff = await waitForExit(ffPlayer, 8000);
  assert.equal(ff.forced, false, `ffmpeg did not see the end of the stream:\n${ff.stderr}`);
  const rd = await waitForExit(rdPlayer, 8000);
  assert.equal(rd.forced, false, `rtmpdump did not see the end of the stream:\n${rd.stderr}`);
  // Every client (ffmpeg 9.0.124.2, librtmp, ours) used a digest our server found.
  const connects = events.flatMap((e) => (e.type === 'connect' ? [e.conn.handshake] : []));
  assert.equal(connects.length, 3);
  for (const hs of connects) assert.equal(hs?.clientDigest !== undefined, true, JSON.stringify(hs));
  const want = await framemd5(sampleFlv);
  assert.deepEqual(await framemd5(viaFfmpeg), want, 'ffmpeg player: decoded frames differ from the source');
  assert.deepEqual(await framemd5(viaRtmpdump), want, 'rtmpdump player: decoded frames differ from the source');
});

test('4. rtmp serve names the digest handshake on its connect line for ffmpeg, and not for a simple client', async (t) => {
  if (!requirePeer(t, 'ffmpeg')) return;
  const port = await freePort();
  const serve = startRtmpCli(['serve', '--port', String(port)], { timeoutMs: 30_000 });
  t.after(() => serve.stop());
  assert.ok(await waitForPort(port, 10_000), 'rtmp serve did not start listening');
  const pub = await ffmpegPublish(sampleFlv, `rtmp://127.0.0.1:${port}/live/ff`, { timeoutMs: 20_000 });
  assert.equal(pub.code, 0, pub.stderr);
  const simple = await rtmpCli(['probe', '--publish', '--handshake', 'simple', `rtmp://127.0.0.1:${port}/live/simple`]);
  assert.equal(simple.code, 0, simple.stderr);
  const lines = (await serve.stop()).stderr.split('\n').filter((l) => l.includes(' connected to app '));
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0]!, /connected to app 'live' \(digest handshake, scheme 0, client 9\.0\.124\.2\)$/);
  assert.match(lines[1]!, /connected to app 'live'$/);
});
