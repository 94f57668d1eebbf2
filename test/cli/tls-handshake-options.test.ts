/**
 * --handshake, --ca-file and rtmps:// failures that need no real peer: bad
 * option values, and servers that fail the TLS handshake in other ways
 * than a certificate problem (test/interop/rtmps.test.ts has those). Each
 * ends with one line naming what and where, and the documented exit code.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { rtmpCli, sampleFlv, tempDir } from '../helpers/peers.js';
import { assertOneErrorLine } from '../helpers/assert-cli.js';

const KEY = 'sk_tls_SECRET';

/** A TCP server on 127.0.0.1 that does `onData` with the first bytes a client sends. */
async function tcpServer(t: TestContext, onData: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => onData(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

test('bad --handshake and --ca-file values: usage (2) or input (3) errors before any network step', async () => {
  const dir = await tempDir('tls-opts');
  const notPem = path.join(dir, 'not.pem');
  await writeFile(notPem, 'hello');
  const url = `rtmps://127.0.0.1:1/live/${KEY}`;
  const cases: Array<[string[], number, RegExp]> = [
    [['publish', '--handshake', 'complex', sampleFlv, url], 2, /--handshake must be simple or digest, not 'complex'/],
    [['play', '--ca-file', path.join(dir, 'missing.pem'), url, '-o', '-'], 3, /cannot read --ca-file .*missing\.pem: ENOENT/],
    [['probe', '--ca-file', notPem, url], 2, /--ca-file .*not\.pem holds no PEM certificate/],
  ];
  for (const [args, code, re] of cases) {
    const r = await rtmpCli(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assertOneErrorLine(r.stderr, re, [KEY]);
  }
});

test('rtmps:// to a server that answers in plain text: one line saying it is not TLS, exit 4', async (t) => {
  const port = await tcpServer(t, (s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  const r = await rtmpCli(['play', `rtmps://127.0.0.1:${port}/live/${KEY}`, '-o', '-']);
  assert.equal(r.code, 4, r.stderr);
  assertOneErrorLine(r.stderr, new RegExp(`TLS handshake with rtmps://127\\.0\\.0\\.1:${port} failed: the server does not answer with TLS`), [KEY]);
});

test('rtmps:// to a server that hangs up during the TLS handshake: one line, exit 4', async (t) => {
  const port = await tcpServer(t, (s) => s.destroy());
  const r = await rtmpCli(['publish', sampleFlv, `rtmps://localhost:${port}/live/${KEY}`]);
  assert.equal(r.code, 4, r.stderr);
  assertOneErrorLine(r.stderr, new RegExp(`TLS handshake with rtmps://localhost:${port} failed: the server closed the connection`), [KEY]);
});

test('rtmp:// to a TLS port is still explained by the RTMP handshake (a hint to use rtmps://)', async (t) => {
  // A TLS server answers a non-TLS first byte with a TLS alert record (0x15).
  const port = await tcpServer(t, (s) => s.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])));
  const r = await rtmpCli(['probe', '--handshake', 'simple', `rtmp://127.0.0.1:${port}/live/${KEY}`]);
  assert.equal(r.code, 5, r.stderr);
  assert.match(r.stderr, /try rtmps:\/\//);
});
