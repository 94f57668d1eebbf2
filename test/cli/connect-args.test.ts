/**
 * What reaches the server in connect, publish and play, captured by the
 * scripted server: query-string tokens kept verbatim where they belong
 * (Facebook's `?s_bl=…&a=…`, node-media-server's `sign=`, nginx-rtmp's
 * on_publish arguments in the app), and --conn's extra AMF arguments, checked
 * against rtmpdump's own parsing of the same items.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { AmfValue } from '../../src/amf/value.js';
import { startFakeServer, type FakeServer } from '../helpers/fake-server.js';
import { findBinary, requirePeer, rtmpCli, startProcess } from '../helpers/peers.js';

async function fake(t: TestContext): Promise<FakeServer> {
  const server = await startFakeServer();
  t.after(() => server.close());
  return server;
}

/** connect's command object, further arguments, and the publish/play name, from the connection that did `name`. */
function captured(server: FakeServer, command: 'publish' | 'play'): { app: unknown; tcUrl: unknown; args: AmfValue[]; name: AmfValue } {
  const conn = server.connections.find((c) => c.commands.some((x) => x.name === command));
  assert.ok(conn, `no connection sent ${command}`);
  const connect = conn.commands.find((c) => c.name === 'connect')!;
  const obj = connect.commandObject as Record<string, unknown>;
  return { app: obj['app'], tcUrl: obj['tcUrl'], args: connect.args, name: conn.commands.find((c) => c.name === command)!.args[0] };
}

test('query tokens reach the server verbatim: the stream\'s in the publish/play name, the app\'s in app and tcUrl', async (t) => {
  const server = await fake(t);
  const base = `rtmp://127.0.0.1:${server.port}`;
  const cases: Array<{ url: string; command: 'publish' | 'play'; app: string; tcUrl: string; name: string }> = [
    // Facebook Live: the key carries its own query.
    { url: `${base}/rtmp/FB-123-0?s_bl=1&s_psm=1&s_sc=123&a=AbCd-_x9`, command: 'publish', app: 'rtmp', tcUrl: `${base}/rtmp`, name: 'FB-123-0?s_bl=1&s_psm=1&s_sc=123&a=AbCd-_x9' },
    // node-media-server's signed URLs.
    { url: `${base}/live/stream?sign=1700000000-0123456789abcdef0123456789abcdef`, command: 'play', app: 'live', tcUrl: `${base}/live`, name: 'stream?sign=1700000000-0123456789abcdef0123456789abcdef' },
    // nginx-rtmp on_publish/on_connect arguments on the app.
    { url: `${base}/app?token=s3cr%2Bt&x=1/key?pass=2`, command: 'publish', app: 'app?token=s3cr%2Bt&x=1', tcUrl: `${base}/app?token=s3cr%2Bt&x=1`, name: 'key?pass=2' },
  ];
  for (const c of cases) {
    server.connections.length = 0;
    const args = c.command === 'publish' ? ['probe', '--publish', c.url] : ['play', '--idle-timeout', '200ms', c.url, '-o', '-'];
    const r = await rtmpCli(args, { timeoutMs: 15_000 });
    assert.equal(r.code, 0, `${c.url}: ${r.stderr}`);
    const got = captured(server, c.command);
    assert.deepEqual({ app: got.app, tcUrl: got.tcUrl, name: got.name }, { app: c.app, tcUrl: c.tcUrl, name: c.name }, c.url);
    assert.ok(!r.stderr.includes(c.name.split('?')[1]!), `the token was printed: ${r.stderr}`);
  }
});

test('with credentials, the authentication query follows the app\'s own token in app and tcUrl', async (t) => {
  const server = await fake(t);
  const r = await rtmpCli(['probe', '--publish', '--user', 'u', '--password', 'p4ssw0rd!', `rtmp://127.0.0.1:${server.port}/app?token=abc/key`], { timeoutMs: 15_000 });
  assert.equal(r.code, 0, r.stderr);
  const got = captured(server, 'publish');
  assert.equal(got.app, 'app?token=abc&authmod=adobe&user=u');
  assert.equal(got.tcUrl, `rtmp://127.0.0.1:${server.port}/app?token=abc&authmod=adobe&user=u`);
  assert.equal(got.name, 'key');
});

const CONN = ['B:1', 'B:0', 'N:3.5', 'S:hello world', 'O:1', 'NS:name:va:lue', 'NN:num:7', 'NB:flag:1', 'NO:inner:1', 'NS:k:v', 'O:0', 'O:0', 'Z:', 'S:last'];
const CONN_VALUES: AmfValue[] = [true, false, 3.5, 'hello world', { name: 'va:lue', num: 7, flag: true, inner: { k: 'v' } }, null, 'last'];

test('--conn appends its AMF values to connect, after the command object', async (t) => {
  const server = await fake(t);
  const r = await rtmpCli(['probe', '--publish', ...CONN.flatMap((c) => ['--conn', c]), `rtmp://127.0.0.1:${server.port}/live/key`], { timeoutMs: 15_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(captured(server, 'publish').args, CONN_VALUES);
});

test('rtmpdump sends the same connect arguments for the same --conn items', async (t) => {
  if (!requirePeer(t, 'rtmpdump')) return;
  const server = await fake(t);
  const rd = startProcess(findBinary('rtmpdump') ?? 'rtmpdump', ['-q', '-r', `rtmp://127.0.0.1:${server.port}/live/key`, ...CONN.flatMap((c) => ['--conn', c]), '-o', '/dev/null'], { timeoutMs: 10_000 });
  t.after(() => rd.stop());
  const deadline = Date.now() + 5000;
  while (!server.connections[0]?.commands.some((c) => c.name === 'connect') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const connect = server.connections[0]?.commands.find((c) => c.name === 'connect');
  assert.ok(connect, 'rtmpdump did not connect');
  assert.deepEqual(connect.args, CONN_VALUES);
});

test('a bad --conn item is a usage error (exit 2) naming the item', async () => {
  const r = await rtmpCli(['probe', '--publish', '--conn', 'S:ok', '--conn', 'Q:1', 'rtmp://127.0.0.1:9/live/key']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim(), "error: --conn item 2 'Q:1': unknown type 'Q' (expected B, N, S, O or Z)");
  const unclosed = await rtmpCli(['play', '--conn', 'O:1', '--conn', 'NS:a:b', 'rtmp://127.0.0.1:9/live/key', '-o', '-']);
  assert.equal(unclosed.code, 2, unclosed.stderr);
  assert.match(unclosed.stderr, /^error: --conn: 1 object is not closed \(end each with O:0\)\n$/);
});
