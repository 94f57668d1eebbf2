/**
 * rtmps:// against nginx-rtmp behind a TLS front, with a CA and server
 * certificates made here by openssl: publish and play succeed with
 * --ca-file and keep every packet; an unknown CA, a certificate for another
 * host and an expired one each fail with one clear line and exit 4;
 * --insecure connects anyway, with its warning.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, test } from 'node:test';
import { comparePackets, peerAvailable, probePackets, requirePeer, rtmpCli, sampleFlv, startNginx, startRtmpCli, tempDir, waitForExit, type NginxServer } from '../helpers/peers.js';
import { EOF_ONLY_APP, havePeers, startRecorder } from '../helpers/interop.js';
import { makeTestPki, startTlsFront, type TestPki, type TlsFront } from '../helpers/tls-front.js';

let pki: TestPki | undefined;
let nginx: NginxServer | undefined;
const fronts: Partial<Record<'good' | 'wrongHost' | 'expired', TlsFront>> = {};

before(async () => {
  // Each test then skips, or fails under CI, through requirePeer.
  if (!peerAvailable('nginx')) return;
  pki = await makeTestPki(await tempDir('rtmps-pki'));
  nginx = await startNginx({ extraApps: EOF_ONLY_APP });
  for (const name of ['good', 'wrongHost', 'expired'] as const) fronts[name] = await startTlsFront(pki[name], nginx.port);
});

test.after(async () => {
  for (const f of Object.values(fronts)) await f?.close();
  await nginx?.stop();
});

const url = (front: 'good' | 'wrongHost' | 'expired', host: string, app: string, stream: string): string => `rtmps://${host}:${fronts[front]!.port}/${app}/${stream}`;

/** The one stderr line of a failed run, which must start with "error:". */
function errorLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${stderr}`);
  assert.match(lines[0]!, /^error: /);
  return lines[0]!;
}

test('1. publish and play over rtmps:// with --ca-file: SNI sent for localhost, every packet arrives with the same hash', async (t) => {
  if (!havePeers(t)) return;
  const out = path.join(await tempDir('rtmps-play'), 'play.flv');
  const ca = ['--ca-file', pki!.caFile];
  const player = startRtmpCli(['play', '--quiet', ...ca, url('good', '127.0.0.1', 'eof', 'tls'), '-o', out], { timeoutMs: 30_000 });
  t.after(() => player.stop());
  await nginx!.waitForLog(/play: name='tls'/);
  const pub = await rtmpCli(['publish', '--quiet', '--no-realtime', ...ca, sampleFlv, url('good', 'localhost', 'eof', 'tls')]);
  assert.equal(pub.code, 0, pub.stderr);
  const done = await waitForExit(player, 8000);
  assert.equal(done.code, 0, done.stderr);
  // An IP literal sends no SNI (RFC 6066); a host name does.
  assert.deepEqual(fronts.good!.serverNames.slice(0, 2), [undefined, 'localhost']);
  const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(out), { mode: 'exact', timestamps: 'absolute' });
  assert.ok(cmp.equal, cmp.report);
});

test('2. without --ca-file the private CA is unknown: one line naming the URL, exit 4', async (t) => {
  if (!requirePeer(t, 'nginx')) return;
  const r = await rtmpCli(['publish', '--no-realtime', sampleFlv, url('good', '127.0.0.1', 'live', 'secretkey')]);
  assert.equal(r.code, 4);
  const line = errorLine(r.stderr);
  assert.match(line, new RegExp(`rtmps://127\\.0\\.0\\.1:${fronts.good!.port} is signed by an unknown certificate authority \\((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\\); .*--ca-file`));
  assert.doesNotMatch(r.stderr, /secretkey/);
});

test('3. a certificate for another host name is refused even with the right CA: exit 4', async (t) => {
  if (!requirePeer(t, 'nginx')) return;
  const r = await rtmpCli(['play', '--ca-file', pki!.caFile, url('wrongHost', 'localhost', 'live', 'x'), '-o', '-']);
  assert.equal(r.code, 4);
  assert.match(errorLine(r.stderr), new RegExp(`certificate of rtmps://localhost:${fronts.wrongHost!.port} is not valid for host 'localhost' \\(it is for DNS:other\\.example\\)`));
  assert.equal(r.stdout.length, 0);
});

test('4. an expired certificate is refused: exit 4', async (t) => {
  if (!requirePeer(t, 'nginx')) return;
  const r = await rtmpCli(['probe', '--ca-file', pki!.caFile, url('expired', '127.0.0.1', 'live', 'x')]);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, new RegExp(`certificate of rtmps://127\\.0\\.0\\.1:${fronts.expired!.port} has expired \\(valid until Jan  2 00:00:00 2020 GMT\\)`));
});

test('5. --insecure connects to the expired, unknown-CA server, with a warning; --verbose shows TLS and handshake', async (t) => {
  if (!havePeers(t)) return;
  const r = await rtmpCli(['publish', '--verbose', '--no-realtime', '--insecure', sampleFlv, url('expired', '127.0.0.1', 'live', 'k5')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: --insecure: rtmps:\/\/ server certificates and host names are NOT verified/);
  assert.match(r.stderr, /TLS: TLSv1\.[23] \S+, certificate CN=expired issued by CN=rtmp-toolkit test CA, valid until 2020-01-02T00:00:00\.000Z \(NOT verified\)/);
  assert.match(r.stderr, /handshake: digest, server version 13\.14\.10\.13, server digest verified \(scheme 0\), S2 signed for ours/);
  await nginx!.waitForLog(/publish: name='k5'/);
});

test('6. probe over rtmps:// reports the TLS protocol, cipher and certificate, and the digest handshake', async (t) => {
  if (!requirePeer(t, 'nginx')) return;
  const r = await rtmpCli(['probe', '--json', '--publish', '--ca-file', pki!.caFile, url('good', 'localhost', 'live', 'p6')]);
  assert.equal(r.code, 0, r.stderr);
  const server = JSON.parse(r.stdout.toString()).server;
  assert.match(server.tls.protocol, /^TLSv1\.[23]$/);
  assert.ok(server.tls.cipher.length > 0);
  assert.equal(server.tls.subject, 'CN=good');
  assert.equal(server.tls.issuer, 'CN=rtmp-toolkit test CA');
  const validTo = Date.parse(server.tls.validTo);
  assert.ok(validTo > Date.now() && validTo < Date.now() + 3 * 86_400_000, server.tls.validTo);
  assert.deepEqual(server.handshake, { mode: 'digest', serverVersion: '13.14.10.13', serverDigest: 0, s2Signed: true });
});

test('7. relay from an rtmps:// source to an rtmps:// destination keeps every packet', async (t) => {
  if (!havePeers(t)) return;
  const out = path.join(await tempDir('rtmps-relay'), 'relayed.flv');
  const recorder = await startRecorder(t, nginx!, 'eof', 'rdst', out);
  const ca = ['--ca-file', pki!.caFile];
  const relay = startRtmpCli(['relay', '--quiet', ...ca, url('good', 'localhost', 'eof', 'rsrc'), url('good', '127.0.0.1', 'eof', 'rdst')], { timeoutMs: 30_000 });
  t.after(() => relay.stop());
  await nginx!.waitForLog(/play: name='rsrc'/);
  const pub = await rtmpCli(['publish', '--quiet', '--no-realtime', ...ca, sampleFlv, url('good', 'localhost', 'eof', 'rsrc')]);
  assert.equal(pub.code, 0, pub.stderr);
  const relayed = await waitForExit(relay, 8000);
  assert.equal(relayed.code, 0, relayed.stderr);
  const recorded = await waitForExit(recorder, 8000);
  assert.equal(recorded.code, 0, recorded.stderr);
  const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(out), { mode: 'exact', timestamps: 'absolute' });
  assert.ok(cmp.equal, cmp.report);
});
