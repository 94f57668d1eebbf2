/**
 * `rtmp serve` failures that need no peer: one error line and the
 * documented exit code, before anything listens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { rtmpCli, tempDir } from '../helpers/peers.js';
import { assertOneErrorLine } from '../helpers/assert-cli.js';

test('rtmp serve on a port already in use exits 4 with one error line naming the address', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const r = await rtmpCli(['serve', '--port', String(port)], { timeoutMs: 10_000 });
    assert.equal(r.code, 4, r.stderr);
    assertOneErrorLine(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`));
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});

test('rtmp serve: a bad port is a usage error (2); a record directory that is a file is an I/O error (3)', async () => {
  const bad = await rtmpCli(['serve', '--port', '70000']);
  assert.equal(bad.code, 2, bad.stderr);
  assertOneErrorLine(bad.stderr, /--port/);
  const file = path.join(await tempDir('serve-cli'), 'not-a-dir');
  await writeFile(file, 'x');
  const r = await rtmpCli(['serve', '--port', '0', '--record', file]);
  assert.equal(r.code, 3, r.stderr);
  assertOneErrorLine(r.stderr, /record directory .*not a directory/);
});
