/**
 * Stream keys and passwords are secrets: every subcommand, on success and on
 * failure, with --verbose and --json, must never print them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RtmpServer } from '../../src/server/rtmp-server.js';
import { freePort, rtmpCli, sampleFlv, startRtmpCli, tempDir, type RunResult } from '../helpers/peers.js';

const KEY = 'sk_live_9f8e7d6c5b4a';
const PASSWORD = 'Pa55w0rd-hunter2';

function assertNoSecrets(what: string, r: RunResult): void {
  const text = r.stdout.toString('latin1') + r.stderr;
  for (const secret of [KEY, PASSWORD, encodeURIComponent(PASSWORD)]) {
    assert.ok(!text.includes(secret), `${what} printed a secret:\n${text.slice(0, 2000)}`);
  }
}

test('no subcommand prints the stream key or the password, on success or failure, with --verbose or --json', async (t) => {
  let published: () => void = () => {};
  const publishing = new Promise<void>((resolve) => (published = resolve));
  const server = new RtmpServer({ host: '127.0.0.1', port: 0, onEvent: (e) => e.type === 'publish' && published() });
  const { port } = await server.listen();
  t.after(() => server.close());
  const dead = await freePort();
  const url = (p: number, app = 'live', key = KEY): string => `rtmp://viewer:${PASSWORD}@127.0.0.1:${p}/${app}/${key}`;
  const dir = await tempDir('secrets');
  const keyFile = path.join(dir, 'key');
  await writeFile(keyFile, `${KEY}\n`);
  const runs: Array<[string, number[], Promise<RunResult>]> = [];
  /** Runs a command that must exit with one of `codes` (so success paths really are successes). */
  const run = (what: string, codes: number | number[], args: string[], timeoutMs = 20_000): void => {
    runs.push([what, Array.isArray(codes) ? codes : [codes], rtmpCli(args, { timeoutMs })]);
  };

  // Success paths while the key is being published.
  // Looped so the stream outlasts every run below even on a loaded machine; stopped with SIGINT at the end.
  const publisher = startRtmpCli(['publish', '--verbose', '--loop', '6', sampleFlv, url(port)], { timeoutMs: 60_000 });
  // The key must be taken before the runs that play it or are refused for it (however loaded the machine).
  await publishing;
  run('play --verbose', 0, ['play', '--verbose', '--duration', '1s', url(port), '-o', path.join(dir, 'a.flv')]);
  run('probe --json', 0, ['probe', '--json', '--duration', '1s', url(port)]);
  run('probe --verbose', 0, ['probe', '--verbose', '--duration', '1s', url(port)]);
  run('probe --publish', 0, ['probe', '--publish', '--verbose', url(port, 'live', `${KEY}-other`)]);
  // A relay joining a stream under way may miss packets while its destination connects (exit 10).
  run('relay --json', [0, 10], ['relay', '--json', '--duration', '1s', url(port), url(port, 'live', `${KEY}-copy`)]);
  run('relay --verbose', [0, 10], ['relay', '--verbose', '--duration', '1s', url(port), url(port, 'live', `${KEY}-copy2`)]);
  // Failure paths: nothing listening, a refused publish (the key is taken), a timeout.
  run('publish refused', 4, ['publish', '--verbose', sampleFlv, url(dead)]);
  run('publish BadName', 6, ['publish', '--verbose', sampleFlv, url(port)]);
  run('play refused', 4, ['play', '--verbose', url(dead), '-o', '-']);
  run('publish --json refused', 4, ['publish', '--json', sampleFlv, url(dead)]);
  run('play --password --json refused', 4, ['play', '--json', '--user', 'viewer', '--password', PASSWORD, `rtmp://127.0.0.1:${dead}/live/${KEY}`, '-o', path.join(dir, 'b.flv')]);
  run('publish --key-file refused', 4, ['publish', '--verbose', '--key-file', keyFile, sampleFlv, `rtmp://viewer:${PASSWORD}@127.0.0.1:${dead}/live`]);
  run('probe --json refused', 4, ['probe', '--json', url(dead)]);
  run('relay to nowhere', 10, ['relay', '--json', '--no-reconnect', '--duration', '1s', url(port), url(dead)]);
  run('usage error', 2, ['play', '--duration', 'x', url(port), '-o', '-']);
  for (const [what, codes, p] of runs) {
    const r = await p;
    assert.ok(codes.includes(r.code), `${what}: exit ${r.code}\n${r.stderr.slice(0, 1000)}`);
    assertNoSecrets(what, r);
  }
  const pub = await publisher.stop();
  assert.equal(pub.code, 130, `publish --verbose: exit ${pub.code}\n${pub.stderr.slice(0, 1000)}`);
  assertNoSecrets('publish --verbose (interrupted)', pub);
});

test('rtmp serve --verbose never prints the stream keys it is given', async () => {
  const port = await freePort();
  const serve = startRtmpCli(['serve', '--verbose', '--port', String(port), '--allow-key', KEY], { timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 800));
  const pub = await rtmpCli(['publish', '--quiet', '--no-realtime', sampleFlv, `rtmp://127.0.0.1:${port}/live/${KEY}`], { timeoutMs: 20_000 });
  assert.equal(pub.code, 0, pub.stderr);
  const refused = await rtmpCli(['publish', '--quiet', sampleFlv, `rtmp://127.0.0.1:${port}/live/${KEY}-not-allowed`], { timeoutMs: 20_000 });
  assert.equal(refused.code, 6);
  assertNoSecrets('refused publish', refused);
  const r = await serve.stop();
  assert.match(r.stderr, /listening on rtmp:\/\/127\.0\.0\.1:/);
  assertNoSecrets('serve --verbose', r);
});
