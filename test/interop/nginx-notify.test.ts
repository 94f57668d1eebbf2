/**
 * nginx-rtmp's on_publish / on_play callbacks (the usual way to check stream
 * tokens): the query on the stream name and the one on the app reach the
 * HTTP callback verbatim; a 2xx lets the media through (compared with the
 * source), a 403 makes nginx drop the connection — reported as one line that
 * names the likely cause, exit 4.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { comparePackets, probePackets, requirePeer, rtmpCli, sampleFlv, startNginx, startRtmpCli, tempDir, waitForExit, type RunResult } from '../helpers/peers.js';

interface Call {
  path: string;
  form: URLSearchParams;
  raw: string;
}

/** An HTTP callback server for nginx-rtmp: 200 when the form's token is "good", else 403. */
async function callbackServer(): Promise<{ port: number; calls: Call[]; close(): Promise<void> }> {
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d.length + raw.length < 65536 ? d : ''));
    req.on('end', () => {
      const form = new URLSearchParams(raw);
      calls.push({ path: req.url ?? '', form, raw });
      res.writeHead(form.get('token') === 'good' ? 200 : 403).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function oneLine(r: RunResult, re: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, re);
}

test('nginx-rtmp on_publish/on_play get the tokens verbatim; accepted media arrives whole, a 403 is one clear line', async (t) => {
  if (!requirePeer(t, 'nginx') || !requirePeer(t, 'ffprobe')) return;
  const cb = await callbackServer();
  t.after(() => cb.close());
  const nginx = await startNginx({
    extraApps: `application tok { live on; publish_notify on; on_publish http://127.0.0.1:${cb.port}/publish; on_play http://127.0.0.1:${cb.port}/play; }`,
  });
  t.after(() => nginx.stop());
  const base = `rtmp://127.0.0.1:${nginx.port}/tok?ctoken=c1`;
  const out = path.join(await tempDir('nginx-notify'), 'played.flv');
  const player = startRtmpCli(['play', `${base}/key?token=good&who=player`, '-o', out], { timeoutMs: 30_000 });
  t.after(() => player.stop());
  await nginx.waitForLog(/play: name='key'/);
  const pub = await rtmpCli(['publish', '--quiet', '--no-realtime', sampleFlv, `${base}/key?token=good&x=%2F1`]);
  assert.equal(pub.code, 0, pub.stderr);
  const done = await waitForExit(player, 8000);
  assert.equal(done.code, 0, done.stderr);
  const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(out), { mode: 'exact', timestamps: 'absolute' });
  assert.ok(cmp.equal, cmp.report);

  const [badPub, badPlay] = await Promise.all([
    rtmpCli(['publish', '--no-realtime', sampleFlv, `${base}/key2?token=bad`]),
    rtmpCli(['play', `${base}/key3?token=bad`, '-o', '-']),
  ]);
  for (const [r, what] of [[badPub, 'publish'], [badPlay, 'play']] as const) {
    assert.equal(r.code, 4, r.stderr);
    oneLine(r, new RegExp(`^error: 127\\.0\\.0\\.1:\\d+ closed the connection in reply to ${what}: servers refuse a stream key, signature or token this way`));
    assert.ok(!r.stderr.includes('token=bad'), 'the token is redacted');
  }

  const publish = cb.calls.find((c) => c.path === '/publish' && c.form.get('name') === 'key');
  assert.ok(publish, `no on_publish call for key: ${JSON.stringify(cb.calls.map((c) => c.raw))}`);
  assert.match(publish.raw, /&token=good&x=%2F1(&|$)/, 'the stream name\'s query is passed on as written');
  assert.equal(publish.form.get('app'), 'tok');
  assert.equal(publish.form.get('tcurl'), `rtmp://127.0.0.1:${nginx.port}/tok?ctoken=c1`);
  const play = cb.calls.find((c) => c.path === '/play' && c.form.get('name') === 'key');
  assert.ok(play);
  assert.equal(play.form.get('who'), 'player');
  assert.deepEqual(
    cb.calls.filter((c) => c.form.get('token') === 'bad').map((c) => `${c.path} ${c.form.get('name')}`).sort(),
    ['/play key3', '/publish key2'],
  );
});
