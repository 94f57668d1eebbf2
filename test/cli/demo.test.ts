import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, run } from '../helpers/peers.js';

test('npm run demo (the README quick start) publishes to rtmp serve and records every packet back', async () => {
  const r = await run(process.execPath, [path.join(repoRoot, 'dist', 'test', 'demo', 'demo.js')], { timeoutMs: 60_000, cwd: repoRoot });
  const out = r.stdout.toString();
  assert.equal(r.code, 0, `${out}\n${r.stderr}`);
  assert.match(out, /OK: video: all 127 packets of the sample arrived with the same timestamp and MD5/);
  assert.match(out, /OK: audio: all 218 packets of the sample arrived with the same timestamp and MD5/);
  assert.match(out, /Video  H\.264\/AVC  Main/, 'the demo probes the recording');
  assert.doesNotMatch(out, /demo-key/, 'the stream key is redacted in what the demo prints');
});
