/**
 * Connect authentication (issue #7) against a scripted Adobe Media Server /
 * Limelight gate in front of our RtmpServer (test/helpers/auth-server.ts).
 * ffmpeg's client authenticating against the gate shows the gate is right;
 * our publish, play, probe and relay authenticating against it, with media
 * compared packet by packet with the source, shows ours is. Wrong or missing
 * credentials end with one clear line and exit 12, and no password is printed.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { startAuthServer, type AuthServer, type ServerAuthMod } from '../helpers/auth-server.js';
import {
  comparePackets,
  ffmpegPublish,
  ffmpegRecord,
  probePackets,
  requirePeer,
  rtmpCli,
  sampleFlv,
  startRtmpCli,
  tempDir,
  waitForExit,
  type ProbedPacket,
  type RunResult,
} from '../helpers/peers.js';
import { assertOneErrorLine } from '../helpers/assert-cli.js';

// ffmpeg takes the URL's userinfo literally (no percent-decoding), so its password stays URL-safe.
const ALICE = { user: 'alice', password: 'Al1ce-pw_2718' };
const USERS = { [ALICE.user]: ALICE.password };

let sourcePackets: ProbedPacket[] | undefined;
const source = async (): Promise<ProbedPacket[]> => (sourcePackets ??= await probePackets(sampleFlv));

async function gate(t: TestContext, authmod: ServerAuthMod, users: Record<string, string> = USERS): Promise<AuthServer> {
  const s = await startAuthServer(authmod, users);
  t.after(() => s.close());
  return s;
}

function assertNoPassword(r: RunResult, ...passwords: string[]): void {
  const text = r.stdout.toString('latin1') + r.stderr;
  for (const p of passwords) assert.ok(!text.includes(p) && !text.includes(encodeURIComponent(p)), `a password was printed:\n${text}`);
}

/** The gate's outcomes for one user, in order. */
const outcomes = (s: AuthServer): string[] => s.steps.map((x) => x.outcome);

test('adobe: ffmpeg publishes with credentials in its URL; rtmp play (credentials in the URL) records every packet of the source', async (t) => {
  if (!requirePeer(t, 'ffmpeg') || !requirePeer(t, 'ffprobe')) return;
  const s = await gate(t, 'adobe');
  const out = path.join(await tempDir('auth-adobe'), 'play.flv');
  const player = startRtmpCli(['play', '--verbose', s.url('live', 'a1', ALICE), '-o', out], { timeoutMs: 30_000 });
  t.after(() => player.stop());
  await s.waitForPlay('a1');
  // Ours: it starts with authmod=adobe and the user, answers the challenge and is in.
  assert.deepEqual(outcomes(s), ['challenge', 'accepted']);
  const pub = await ffmpegPublish(sampleFlv, s.url('live', 'a1', ALICE), { timeoutMs: 30_000 });
  assert.equal(pub.code, 0, pub.stderr);
  // ffmpeg's: a plain connect first, then the user, then the answer.
  assert.deepEqual(outcomes(s).slice(2), ['need-auth', 'challenge', 'accepted']);
  const accepted = s.steps.filter((x) => x.outcome === 'accepted');
  for (const a of accepted) {
    assert.match(a.app, /^live\?authmod=adobe&user=alice&challenge=[0-9a-f]{8}&response=[A-Za-z0-9+/]{22}==&opaque=[A-Za-z0-9+/]{8}$/);
    assert.equal(a.tcUrl, `rtmp://127.0.0.1:${s.port}/${a.app}`, 'the tcUrl carries the same query as the app');
  }
  const done = await waitForExit(player, 8000);
  assert.equal(done.forced, false, `rtmp play did not see the end of the stream:\n${done.stderr}`);
  assert.equal(done.code, 0, done.stderr);
  assertNoPassword(done, ALICE.password);
  const cmp = comparePackets(await source(), await probePackets(out), { mode: 'exact', timestamps: 'absolute' });
  assert.ok(cmp.equal, cmp.report);
});

test('llnw: rtmp publish with --user and $RTMP_PASSWORD; ffmpeg (credentials in its URL) records every packet', async (t) => {
  if (!requirePeer(t, 'ffmpeg') || !requirePeer(t, 'ffprobe')) return;
  const s = await gate(t, 'llnw');
  const out = path.join(await tempDir('auth-llnw'), 'ffmpeg.flv');
  const recorder = ffmpegRecord(s.url('live', 'l1', ALICE), out, { timeoutMs: 30_000 });
  t.after(() => recorder.stop());
  await s.waitForPlay('l1');
  // ffmpeg: plain connect, then authmod=llnw with the user, then the digest.
  assert.deepEqual(outcomes(s), ['need-auth', 'challenge', 'accepted']);
  const pub = await rtmpCli(['publish', '--verbose', '--no-realtime', '--user', ALICE.user, sampleFlv, s.url('live', 'l1')], {
    env: { RTMP_PASSWORD: ALICE.password },
  });
  assert.equal(pub.code, 0, pub.stderr);
  assertNoPassword(pub, ALICE.password);
  // Ours starts with authmod=adobe; the gate asks for llnw, and we follow.
  assert.deepEqual(outcomes(s).slice(3), ['need-auth', 'challenge', 'accepted']);
  assert.match(s.steps.at(-1)!.app, /^live\?authmod=llnw&user=alice&nonce=[0-9a-f]{16}&cnonce=[0-9a-f]{8}&nc=00000001&response=[0-9a-f]{32}$/);
  const rec = await waitForExit(recorder, 8000);
  assert.equal(rec.forced, false, `ffmpeg did not see the end of the stream:\n${rec.stderr}`);
  const cmp = comparePackets(await source(), await probePackets(out));
  assert.ok(cmp.equal, cmp.report);
});

test('relay: the source authenticates with --user/--password (adobe), the destination with the credentials in its URL (llnw)', async (t) => {
  if (!requirePeer(t, 'ffmpeg') || !requirePeer(t, 'ffprobe')) return;
  const src = await gate(t, 'adobe');
  const BOB = { user: 'bob', password: 'b0b:p@ss/word' };
  const dst = await gate(t, 'llnw', { bob: BOB.password });
  const out = path.join(await tempDir('auth-relay'), 'relayed.flv');
  const player = startRtmpCli(['play', dst.url('live', 'r1', BOB), '-o', out], { timeoutMs: 30_000 });
  t.after(() => player.stop());
  await dst.waitForPlay('r1');
  const relay = startRtmpCli(['relay', '--user', ALICE.user, '--password', ALICE.password, '--idle-timeout', '10s', src.url('live', 'r0'), dst.url('live', 'r1', BOB)], { timeoutMs: 30_000 });
  t.after(() => relay.stop());
  await src.waitForPlay('r0');
  const pub = await ffmpegPublish(sampleFlv, src.url('live', 'r0', ALICE), { timeoutMs: 30_000 });
  assert.equal(pub.code, 0, pub.stderr);
  const done = await waitForExit(player, 10_000);
  assert.equal(done.code, 0, done.stderr);
  const r = await waitForExit(relay, 10_000);
  assert.equal(r.code, 0, r.stderr);
  assertNoPassword(r, ALICE.password, BOB.password);
  assert.ok(src.steps.some((x) => x.outcome === 'accepted' && x.user === 'alice'));
  assert.ok(dst.steps.some((x) => x.outcome === 'accepted' && x.user === 'bob'), 'a password with : @ / is percent-decoded from the URL');
  const cmp = comparePackets(await source(), await probePackets(out), { mode: 'exact', timestamps: 'absolute' });
  assert.ok(cmp.equal, cmp.report);
});

/** One stderr line, starting `error: `, matching `re`. */
test('refused credentials: one clear line and exit 12 from publish, play, probe and relay; never the password', async (t) => {
  const adobe = await gate(t, 'adobe');
  const llnw = await gate(t, 'llnw');
  const wrong = { user: 'alice', password: 'not-the-password' };
  const runs: Array<[string, Promise<RunResult>, RegExp]> = [
    ['publish, wrong password (adobe)', rtmpCli(['publish', '--quiet', sampleFlv, adobe.url('live', 'x', wrong)]), /^error: 127\.0\.0\.1:\d+ refused authentication as 'alice': wrong user name or password \(reason=authfailed\)$/],
    ['play, wrong password (llnw)', rtmpCli(['play', llnw.url('live', 'x', wrong), '-o', '-']), /refused authentication as 'alice': wrong user name or password \(reason=authfailed\)/],
    ['probe, no such user', rtmpCli(['probe', '--user', 'mallory', '--password', 'whatever1', adobe.url('live', 'x')]), /refused authentication as 'mallory': no such user \(reason=nosuchuser\)/],
    ['play, no credentials', rtmpCli(['play', adobe.url('live', 'x'), '-o', '-']), /requires authentication \(authmod=adobe\): give a user and password/],
    ['relay, wrong source password', rtmpCli(['relay', '--no-reconnect', adobe.url('live', 'x', wrong), llnw.url('live', 'y', ALICE)]), /refused authentication as 'alice'/],
  ];
  for (const [what, p, re] of runs) {
    const r = await p;
    assert.equal(r.code, 12, `${what}: exit ${r.code}\n${r.stderr}`);
    if (what.startsWith('relay')) assert.match(r.stderr, re);
    else assertOneErrorLine(r.stderr, re);
    assertNoPassword(r, wrong.password, 'whatever1', ALICE.password);
  }
});

test('where the password comes from: --password over the URL\'s, the URL\'s over $RTMP_PASSWORD; --password needs a user', async (t) => {
  const s = await gate(t, 'adobe');
  const bad = { user: ALICE.user, password: 'wrong-one' };
  const probe = (args: string[], env: Record<string, string> = {}): Promise<RunResult> => rtmpCli(['probe', '--publish', '--verbose', ...args], { env });
  const [flagWins, urlWins, envOnly, noUser] = await Promise.all([
    probe(['--password', ALICE.password, s.url('live', 'p1', bad)]),
    probe([s.url('live', 'p2', ALICE)], { RTMP_PASSWORD: 'wrong-one' }),
    probe([`rtmp://${ALICE.user}@127.0.0.1:${s.port}/live/p3`], { RTMP_PASSWORD: ALICE.password }),
    rtmpCli(['probe', '--publish', '--password', ALICE.password, s.url('live', 'p4')]),
  ]);
  for (const r of [flagWins, urlWins, envOnly]) {
    assert.equal(r.code, 0, r.stderr);
    assertNoPassword(r, ALICE.password, 'wrong-one');
  }
  assert.equal(noUser.code, 2, noUser.stderr);
  assertOneErrorLine(noUser.stderr, /--password needs a user name: --user <name> or rtmp:\/\/user@host\/app\/key/);
  assert.deepEqual(outcomes(s).filter((o) => o === 'accepted').length, 3);
});

test('rtmp probe --json times each connect of the authentication and says why it connected again', async (t) => {
  const s = await gate(t, 'adobe');
  const r = await rtmpCli(['probe', '--publish', '--json', s.url('live', 'j1', ALICE)]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout.toString()) as { steps: Array<{ name: string; status: string; detail: string | null }> };
  assert.deepEqual(
    report.steps.map((x) => `${x.name} ${x.status}${x.name === 'connect' ? ` ${x.detail}` : ''}`),
    [
      'dns skipped',
      'tcp ok',
      'handshake ok',
      'connect ok authmod=adobe challenge; connecting again with the response',
      'tcp ok',
      'handshake ok',
      'connect ok NetConnection.Connect.Success',
      'createStream ok',
      'publish ok',
      'unpublish ok',
    ],
  );
  assertNoPassword(r, ALICE.password);
});
