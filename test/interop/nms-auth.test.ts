/**
 * node-media-server 4's signed URLs (auth.publish / auth.play): the `sign`
 * query must reach it verbatim. With a good signature media flows and is
 * compared with the source; with a bad or expired one it says
 * NetStream.Publish.Start, then drops the connection — we report that as one
 * clear line (exit 4) that names the likely cause.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { nmsSign, requireNms, startNms } from '../helpers/nms.js';
import { comparePackets, probePackets, requirePeer, rtmpCli, sampleFlv, startRtmpCli, tempDir, waitForExit, type RunResult } from '../helpers/peers.js';

const SECRET = 'nms-test-secret-4f2a';

function oneLine(r: RunResult, re: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, re);
}

test('node-media-server with auth.publish and auth.play: signed publish and play carry the media; bad and expired signatures are refused clearly', async (t) => {
  if (!requireNms(t) || !requirePeer(t, 'ffprobe')) return;
  const nms = await startNms({ auth: { publish: true, play: true, secret: SECRET } });
  t.after(() => nms.stop());
  const signed = nms.url('live', `signed?sign=${nmsSign('live', 'signed', SECRET)}`);
  const out = path.join(await tempDir('nms-auth'), 'signed.flv');
  // NMS never tells players a stream ended: the idle timeout ends the recording.
  const player = startRtmpCli(['play', '--idle-timeout', '4s', signed, '-o', out], { timeoutMs: 30_000 });
  t.after(() => player.stop());
  await new Promise((r) => setTimeout(r, 1000));
  const pub = await rtmpCli(['publish', '--quiet', '--no-realtime', sampleFlv, signed], { timeoutMs: 30_000 });
  assert.equal(pub.code, 0, pub.stderr);
  const done = await waitForExit(player, 8000);
  assert.equal(done.code, 0, done.stderr);
  const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(out));
  assert.ok(cmp.equal, cmp.report);
  const refusals = [
    ['publish, bad signature', rtmpCli(['publish', '--no-realtime', sampleFlv, nms.url('live', 'signed2?sign=1999999999-00000000000000000000000000000000')])],
    ['publish, expired', rtmpCli(['publish', '--no-realtime', sampleFlv, nms.url('live', `signed3?sign=${nmsSign('live', 'signed3', SECRET, 1_000_000_000)}`)])],
    ['play, signed for another stream', rtmpCli(['play', nms.url('live', `signed?sign=${nmsSign('live', 'other', SECRET)}`), '-o', '-'])],
  ] as const;
  for (const [what, p] of refusals) {
    const r = await p;
    assert.equal(r.code, 4, `${what}: ${r.stderr}`);
    const verb = what.startsWith('publish') ? 'publish' : 'play';
    oneLine(r, new RegExp(`^error: 127\\.0\\.0\\.1:\\d+ closed the connection.*, \\d+ ms after it accepted ${verb}: servers refuse a stream key, signature or token this way`));
  }
  await nms.stop(); // its log is complete once it has stopped
  const log = nms.log();
  assert.match(log, /publish stream \/live\/signed2 authentication verification failed/);
  assert.match(log, /publish stream \/live\/signed3 authentication verification failed/);
  assert.match(log, /play stream \/live\/signed authentication verification failed/);
});
