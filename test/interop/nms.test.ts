/**
 * Publish and play against node-media-server 4 (from npm): it announces chunk
 * size 65535, sends players media on message stream 0 with @setDataFrame
 * still in front of onMetaData, and never signals the end of a live stream.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { nmsAvailable, startNms } from '../helpers/nms.js';
import { comparePackets, probePackets, requirePeer, rtmpCli, sampleFlv, startRtmpCli, tempDir, waitForExit } from '../helpers/peers.js';

function haveNms(t: TestContext): boolean {
  if (nmsAvailable()) return true;
  if (process.env['CI'] === 'true') throw new Error('node-media-server is missing from node_modules (npm ci installs it)');
  t.skip('node-media-server not installed: npm ci');
  return false;
}

test('rtmp publish to node-media-server while rtmp play records: the recording matches the source', async (t) => {
  if (!haveNms(t) || !requirePeer(t, 'ffprobe')) return;
  const nms = await startNms();
  t.after(() => nms.stop());
  const dir = await tempDir('nms');
  const out = path.join(dir, 'nms.flv');
  const url = nms.url('live', 'nmskey');
  // NMS never tells players a stream ended: the idle timeout ends the recording.
  const player = startRtmpCli(['play', '--idle-timeout', '1500ms', url, '-o', out], { timeoutMs: 30_000 });
  t.after(() => player.stop());
  await new Promise((r) => setTimeout(r, 700));
  const pub = await rtmpCli(['publish', '--quiet', sampleFlv, url], { timeoutMs: 30_000 });
  assert.equal(pub.code, 0, pub.stderr);
  const done = await waitForExit(player, 8000);
  assert.equal(done.forced, false, done.stderr);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, /no media for 1\.5 s \(--idle-timeout\); ended the recording/);
  const cmp = comparePackets(await probePackets(sampleFlv), await probePackets(out));
  assert.ok(cmp.equal, cmp.report);
});
