/**
 * Bad input ends with one clear line on stderr, the documented exit code,
 * no stack trace and no stream key — for every kind of failure we can provoke
 * without real peers (the scripted server stands in for a misbehaving one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { rtmpBin, rtmpCli, run, sampleFlv, tempDir, freePort } from '../helpers/peers.js';
import { refuseWithStatus, startFakeServer } from '../helpers/fake-server.js';
import { assertOneErrorLine } from '../helpers/assert-cli.js';

const KEY = 'sk_live_SECRETKEY123';

test('usage errors exit 2: unknown option, missing argument, bad URL scheme, bad duration', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['publish', '--bogus', sampleFlv, `rtmp://127.0.0.1/live/${KEY}`], /unknown option/],
    [['play', `rtmp://127.0.0.1/live/${KEY}`], /needs -o <file.flv\|-> or --ffmpeg-output/],
    [['publish', `rtmp://127.0.0.1/live/${KEY}`], /usage: rtmp publish <input> <url>/],
    [['publish', sampleFlv, `http://127.0.0.1/live/${KEY}`], /rtmp/],
    [['play', '--duration', 'soon', `rtmp://127.0.0.1/live/${KEY}`, '-o', '-'], /--duration/],
    [['publish', '--chunk-size', '7', sampleFlv, `rtmp://127.0.0.1/live/${KEY}`], /--chunk-size/],
  ];
  for (const [args, re] of cases) {
    const r = await rtmpCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.ok(!r.stderr.includes(KEY), `key printed for ${args.join(' ')}`);
  }
});

test('a missing input file exits 3 naming the file, before any network step', async () => {
  const r = await rtmpCli(['publish', '/nonexistent/x.flv', `rtmp://127.0.0.1:1/live/${KEY}`]);
  assert.equal(r.code, 3);
  assertOneErrorLine(r.stderr, /cannot open '\/nonexistent\/x\.flv': no such file/, [KEY]);
});

test('a file that is not an FLV exits 3 with the offset', async () => {
  const dir = await tempDir('rtmp-cli-');
  const bad = path.join(dir, 'bad.flv');
  await writeFile(bad, 'this is not a video file at all');
  const r = await rtmpCli(['publish', bad, `rtmp://127.0.0.1:1/live/${KEY}`]);
  assert.equal(r.code, 3);
  assertOneErrorLine(r.stderr, /not an FLV.*offset 0/i, [KEY]);
});

test('a refused connection exits 4 naming the address', async () => {
  const port = await freePort();
  const r = await rtmpCli(['publish', sampleFlv, `rtmp://127.0.0.1:${port}/live/${KEY}`]);
  assert.equal(r.code, 4);
  assertOneErrorLine(r.stderr, new RegExp(`refused by 127\\.0\\.0\\.1:${port}`), [KEY]);
});

test('a server answering the handshake with HTTP exits 5', async () => {
  const server = await startFakeServer({ handshake: 'http' });
  try {
    const r = await rtmpCli(['play', server.url('live', KEY), '-o', '-']);
    assert.equal(r.code, 5);
    assertOneErrorLine(r.stderr, /HTTP/, [KEY]);
  } finally {
    await server.close();
  }
});

test('a refused publish exits 6 with the server status code; --verbose adds the trace but never the key', async () => {
  const server = await startFakeServer(refuseWithStatus('publish', 'NetStream.Publish.BadName', 'Already publishing'));
  try {
    const r = await rtmpCli(['publish', sampleFlv, server.url('live', KEY)]);
    assert.equal(r.code, 6);
    assertOneErrorLine(r.stderr, /NetStream\.Publish\.BadName/, [KEY]);
    const v = await rtmpCli(['publish', '--verbose', sampleFlv, server.url('live', KEY)]);
    assert.equal(v.code, 6);
    assert.match(v.stderr, /-> CommandAMF0 csid=3 .*'connect'/);
    assert.match(v.stderr, /<- CommandAMF0 .*'onStatus'.*NetStream\.Publish\.BadName/);
    assert.ok(!v.stderr.includes(KEY), 'key leaked in --verbose trace');
    const shown = await rtmpCli(['publish', '--verbose', '--show-key', sampleFlv, server.url('live', KEY)]);
    assert.ok(shown.stderr.includes(`'${KEY}'`), '--show-key prints the key in the publish command trace');
  } finally {
    await server.close();
  }
});

test('a refused play exits 6 naming Play.StreamNotFound in plain words, and writes no file', async () => {
  const server = await startFakeServer(refuseWithStatus('play', 'NetStream.Play.StreamNotFound', 'No such stream'));
  try {
    const dir = await tempDir('rtmp-cli-');
    const out = path.join(dir, 'never.flv');
    const r = await rtmpCli(['play', server.url('vod', KEY), '-o', out]);
    assert.equal(r.code, 6);
    assertOneErrorLine(r.stderr, /NetStream\.Play\.StreamNotFound \(No such stream\) — no such stream on the server/, [KEY]);
    await assert.rejects(access(out), 'no output file is created when play is refused');
  } finally {
    await server.close();
  }
});

test('a server that never answers play exits 7 within the timeout', async () => {
  const server = await startFakeServer({ onCommand: (_c, cmd) => cmd.name === 'play' });
  try {
    const started = Date.now();
    const r = await rtmpCli(['play', '--timeout', '500ms', server.url('live', KEY), '-o', '-']);
    assert.equal(r.code, 7);
    assertOneErrorLine(r.stderr, /timed out after 500 ms waiting for NetStream\.Play\.Start/, [KEY]);
    assert.ok(Date.now() - started < 10_000);
  } finally {
    await server.close();
  }
});

test('play refuses to overwrite an existing file without --force (exit 3)', async () => {
  const dir = await tempDir('rtmp-cli-');
  const out = path.join(dir, 'exists.flv');
  await writeFile(out, 'keep me');
  const r = await rtmpCli(['play', 'rtmp://127.0.0.1:1/live/x', '-o', out]);
  assert.equal(r.code, 3);
  assertOneErrorLine(r.stderr, /exists; use --force/);
});

test('--help lists both subcommands and the exit codes; --version prints the version', async () => {
  const h = await rtmpCli(['--help']);
  assert.equal(h.code, 0);
  const text = h.stdout.toString();
  assert.match(text, /publish/);
  assert.match(text, /play/);
  assert.match(text, /Exit codes/);
  const v = await rtmpCli(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout.toString(), /^\d+\.\d+\.\d+/);
  // As installed users run it: the launcher through its shebang (env -S node with V8 options).
  const direct = await run(rtmpBin, ['--version']);
  assert.equal(direct.code, 0, direct.stderr);
  assert.equal(direct.stdout.toString(), v.stdout.toString());
});
