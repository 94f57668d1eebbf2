/**
 * How the CLI behaves for scripts and people (issue #5): --json events that
 * parse and add up, no escape codes when output is not a terminal, stream
 * keys from --key-file or RTMP_STREAM_KEY (and still never printed), help
 * for a command and suggestions for typos.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RtmpServer } from '../../src/server/rtmp-server.js';
import { PacketType } from '../../src/media/packet.js';
import { packetsOf } from '../helpers/interop.js';
import { freePort, rtmpCli, sampleFlv, startRtmpCli, tempDir, waitForExit, type RunResult } from '../helpers/peers.js';

const KEY = 'kf_secret_5e4d3c2b1a';

interface JsonEvent {
  time: string;
  type: string;
  [field: string]: unknown;
}

/** Every stdout line parsed as one JSON event with `time` and `type`. */
function events(r: RunResult): JsonEvent[] {
  const lines = r.stdout.toString().split('\n').filter((l) => l !== '');
  return lines.map((line) => {
    const e = JSON.parse(line) as JsonEvent;
    assert.equal(typeof e.type, 'string', line);
    assert.ok(!Number.isNaN(Date.parse(e.time)), `bad time in ${line}`);
    return e;
  });
}

function assertPlain(what: string, r: RunResult): void {
  const text = r.stdout.toString('latin1') + r.stderr;
  assert.ok(!text.includes('\x1b'), `${what} wrote an escape sequence to a pipe:\n${JSON.stringify(text.slice(0, 400))}`);
  assert.ok(!text.includes(KEY), `${what} printed the stream key`);
}

async function startServer(t: { after(fn: () => unknown): void }): Promise<number> {
  const server = new RtmpServer({ host: '127.0.0.1', port: 0 });
  const { port } = await server.listen();
  t.after(() => server.close());
  return port;
}

test('publish --json and play --json write NDJSON events whose totals match the media', async (t) => {
  const port = await startServer(t);
  const dir = await tempDir('json');
  const out = path.join(dir, 'rec.flv');
  const source = (await packetsOf(sampleFlv)).filter((p) => p.type !== PacketType.Data);
  const url = `rtmp://127.0.0.1:${port}/live/${KEY}`;
  const player = startRtmpCli(['play', '--json', '--idle-timeout', '3s', url, '-o', out], { timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 500));
  const pub = await rtmpCli(['publish', '--json', sampleFlv, url], { timeoutMs: 30_000 });
  const play = await waitForExit(player, 20_000);
  assert.equal(pub.code, 0, pub.stderr);
  assert.equal(play.code, 0, play.stderr);
  assertPlain('publish --json', pub);
  assertPlain('play --json', play);

  const pe = events(pub);
  assert.equal(pe[0]?.type, 'publishing');
  assert.ok(pe.some((e) => e.type === 'progress'), 'publish reported progress');
  const done = pe.at(-1)!;
  assert.equal(done.type, 'done');
  assert.equal((done.video as number) + (done.audio as number), source.length, 'publish counted every media packet');
  assert.match(String(done.url), /\/live\/\*\*\*\*$/);
  assert.equal(pub.stderr, '', 'no informational lines on stderr with --json');

  const ye = events(play);
  assert.equal(ye[0]?.type, 'playing');
  const end = ye.at(-1)!;
  assert.equal(end.type, 'done');
  const recorded = (await packetsOf(out)).filter((p) => p.type !== PacketType.Data);
  assert.equal(end.packets, recorded.length, 'play counted what it wrote');
  assert.equal(recorded.length, source.length, 'the player got every media packet');
});

test('serve --json reports each connection, publish and unpublish as events, keys masked', async () => {
  const port = await freePort();
  const serve = startRtmpCli(['serve', '--json', '--port', String(port)], { timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 800));
  const pub = await rtmpCli(['publish', '--quiet', '--no-realtime', sampleFlv, `rtmp://127.0.0.1:${port}/live/${KEY}`]);
  assert.equal(pub.code, 0, pub.stderr);
  const r = await serve.stop();
  assertPlain('serve --json', r);
  const ev = events(r);
  assert.deepEqual(
    ev.map((e) => e.type),
    ['listening', 'connect', 'publish', 'unpublish', 'disconnect', 'stopped'],
  );
  const unpublish = ev.find((e) => e.type === 'unpublish')!;
  assert.equal(unpublish.stream, 'live/****');
  assert.equal(unpublish.packets, (await packetsOf(sampleFlv)).length, 'the server counted every packet published');
});

test('flv fix --json and flv convert --json end with one done event', async () => {
  const dir = await tempDir('flv-json');
  const copy = path.join(dir, 'copy.flv');
  await writeFile(copy, await readFile(sampleFlv));
  const fix = await rtmpCli(['flv', 'fix', '--json', copy]);
  assert.equal(fix.code, 0, fix.stderr);
  assertPlain('flv fix --json', fix);
  assert.deepEqual(events(fix).map((e) => [e.type, e.action, e.exitCode]), [['done', 'none', 0]]);
  const out = path.join(dir, 'out.mkv');
  const conv = await rtmpCli(['flv', 'convert', '--json', sampleFlv, out]);
  assert.equal(conv.code, 0, conv.stderr);
  assertPlain('flv convert --json', conv);
  const done = events(conv).at(-1)!;
  const media = (await packetsOf(sampleFlv)).filter((p) => p.type !== PacketType.Data);
  assert.equal(done.type, 'done');
  assert.equal((done.video as number) + (done.audio as number), media.filter((p) => p.payload.length > 2 && p.payload[1] === 1).length, 'every coded frame went into the MKV');
  assert.equal(done.format, 'mkv');
});

test('--json failures end with an error event carrying the exit code; play --json -o - is a usage error', async () => {
  const dead = await freePort();
  const r = await rtmpCli(['publish', '--json', sampleFlv, `rtmp://127.0.0.1:${dead}/live/${KEY}`]);
  assert.equal(r.code, 4, r.stderr);
  const last = events(r).at(-1)!;
  assert.equal(last.type, 'error');
  assert.equal(last.exitCode, 4);
  assert.equal(last.code, 'RTMP_ERR_CONNECTION');
  assert.match(r.stderr, /^error: connection refused/m);
  assertPlain('refused publish --json', r);

  const u = await rtmpCli(['play', '--json', `rtmp://127.0.0.1:${dead}/live/${KEY}`, '-o', '-']);
  assert.equal(u.code, 2, u.stderr);
  assert.match(u.stderr, /--json .* needs -o <file>/);
});

test('the stream key can come from --key-file or RTMP_STREAM_KEY and is never printed', async (t) => {
  const port = await startServer(t);
  const dir = await tempDir('keyfile');
  const keyFile = path.join(dir, 'key');
  await writeFile(keyFile, `\n  ${KEY}  \n`);
  const base = `rtmp://127.0.0.1:${port}/live`;
  const out = path.join(dir, 'rec.flv');
  // The player names the key in its URL; the publisher takes it from the file, then from the environment.
  for (const [what, args, env] of [
    ['--key-file', ['--key-file', keyFile], {}],
    ['RTMP_STREAM_KEY', [], { RTMP_STREAM_KEY: KEY }],
  ] as const) {
    const player = startRtmpCli(['play', '--verbose', '-y', '--idle-timeout', '3s', `${base}/${KEY}`, '-o', out], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    const pub = await rtmpCli(['publish', '--verbose', '--no-realtime', ...args, sampleFlv, base], { timeoutMs: 30_000, env });
    const play = await waitForExit(player, 20_000);
    assert.equal(pub.code, 0, `${what}: ${pub.stderr}`);
    assert.equal(play.code, 0, `${what}: ${play.stderr}`);
    assertPlain(`publish with ${what}`, pub);
    assertPlain(`play while publishing with ${what}`, play);
    assert.ok((await packetsOf(out)).length > 0, `${what}: the player received the stream published under the key`);
  }

  const both = await rtmpCli(['publish', '--stream', 'x', '--key-file', keyFile, sampleFlv, base]);
  assert.equal(both.code, 2, both.stderr);
  const missing = await rtmpCli(['publish', '--key-file', path.join(dir, 'nope'), sampleFlv, base]);
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /cannot read the key file '.*nope': no such file or directory/);
  const none = await rtmpCli(['publish', sampleFlv, base], { env: { RTMP_STREAM_KEY: '' } });
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr, /no stream name or key .*--key-file or RTMP_STREAM_KEY/);
});

test('rtmp help <command> shows its options; typos get a suggestion and exit 2', async () => {
  const help = await rtmpCli(['help', 'publish']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout.toString(), /Usage: rtmp publish/);
  assert.match(help.stdout.toString(), /--key-file <path>/);
  const option = await rtmpCli(['play', '--idle-timout', '1s', 'rtmp://h/a/b', '-o', '-']);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /unknown option '--idle-timout'\n\(Did you mean --idle-timeout\?\)/);
  const command = await rtmpCli(['pubish']);
  assert.equal(command.code, 2);
  assert.match(command.stderr, /\(Did you mean publish\?\)/);
  assertPlain('help and typos', { ...help, stderr: help.stderr + option.stderr + command.stderr });
});
