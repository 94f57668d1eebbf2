/**
 * `rtmp probe` end to end: against nginx-rtmp (a live stream published by
 * ffmpeg with known parameters, the vod app, a refused play, --publish), on
 * the sample file, and against the scripted server for the failures a real
 * server will not produce on demand. Every JSON document must validate
 * against the report schema.
 */
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { UserControlEvent } from '../../src/rtmp/message.js';
import type { ProbeReport } from '../../src/pipeline/probe-report.js';
import { validateProbeReport } from '../../src/pipeline/probe-schema.js';
import { startFakeServer } from '../helpers/fake-server.js';
import { havePeers } from '../helpers/interop.js';
import { findBinary, freePort, rtmpCli, runOk, sampleFlv, startNginx, startProcess, startRtmpCli, tempDir, type RunResult } from '../helpers/peers.js';
import { avcSequenceHeader, synthStream } from '../unit/pipeline/probe-stream.js';
import { assertOneErrorLine } from '../helpers/assert-cli.js';

const KEY = 'probe_SECRET_key_42';

/** 6 s of 640x360 25 fps H.264 with a keyframe every 50 frames, and 44.1 kHz stereo AAC. */
let media: Promise<string> | undefined;
function knownMedia(): Promise<string> {
  media ??= (async () => {
    const out = path.join(await tempDir('probe-media'), 'known.flv');
    await runOk(findBinary('ffmpeg') ?? 'ffmpeg', [
      '-hide_banner', '-nostdin', '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-map', '0:v', '-map', '1:a', '-t', '6',
      '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0',
      '-c:a', 'aac', '-ac', '2', '-b:a', '128k',
      '-f', 'flv', out,
    ]);
    return out;
  })();
  return media;
}

function json(r: RunResult): ProbeReport {
  const text = r.stdout.toString('utf8');
  const report = JSON.parse(text) as ProbeReport;
  assert.deepEqual(validateProbeReport(report), [], text);
  return report;
}

/** Exactly one non-empty stderr line, "error: ...", without a stack or the key. */
function oneErrorLine(r: RunResult, re: RegExp): void {
  assertOneErrorLine(r.stderr, re, [KEY]);
  assert.ok(!r.stdout.toString().includes(KEY), 'the key is never printed');
}

/** The media of `known.flv`, as the probe must report it. */
function assertKnownMedia(r: ProbeReport): void {
  const v = r.tracks.video!;
  const a = r.tracks.audio!;
  const mv = r.measurements!.video!;
  assert.deepEqual([v.codec, v.width, v.height, v.avc?.profile, v.avc?.vuiFps], ['h264', 640, 360, 'High', 25]);
  assert.deepEqual([mv.fps, mv.gop?.minFrames, mv.gop?.maxFrames, mv.gop?.maxMs], [25, 50, 50, 2000]);
  assert.deepEqual([a.codec, a.sampleRate, a.channels, a.aac?.profile], ['aac', 44100, 2, 'AAC LC']);
  assert.ok(Math.abs(r.measurements!.audio!.packetRate! - 44100 / 1024) < 0.1);
  assert.deepEqual(r.problems, []);
}

const ALL_HOLD = 'video=h264,audio=aac,width=640,height=360,min-fps=24.5,max-fps=25.5,max-gop=2s,max-gop=50f,sample-rate=44100,channels=2,max-startup=10s,no-problems';

async function nginxWith(t: TestContext): Promise<Awaited<ReturnType<typeof startNginx>>> {
  const nginx = await startNginx();
  t.after(() => nginx.stop());
  return nginx;
}

test('live stream published by ffmpeg: the probe reports exactly its parameters and every check holds', async (t) => {
  if (!havePeers(t, ['nginx', 'ffmpeg'])) return;
  const [nginx, file] = await Promise.all([nginxWith(t), knownMedia()]);
  const url = nginx.url('live', KEY);
  // Play first, so the measured window starts at the publisher's first keyframe.
  const probe = startRtmpCli(['probe', '--json', '--duration', '2s', '--expect', ALL_HOLD, url], { timeoutMs: 30_000 });
  await nginx.waitForLog(/play: name='probe_SECRET/);
  const pub = startProcess(findBinary('ffmpeg') ?? 'ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-re', '-i', file, '-c', 'copy', '-f', 'flv', url], { timeoutMs: 30_000 });
  t.after(() => pub.stop());
  const r = await probe.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'nothing on stderr with --json when all is well');
  const report = json(r);
  assertKnownMedia(report);
  assert.deepEqual(report.steps.map((s) => s.name), ['dns', 'tcp', 'handshake', 'connect', 'createStream', 'play', 'metadata', 'audio', 'video', 'keyframe']);
  assert.equal(report.input.target, url.replace(KEY, '****'));
  assert.ok(report.checks.length === 12 && report.checks.every((c) => c.ok), JSON.stringify(report.checks));
  const s = report.server!;
  assert.deepEqual([s.windowAckSize, s.chunkSize, s.connect?.properties && (s.connect.properties as Record<string, unknown>)['fmsVer']], [5_000_000, 4096, 'FMS/3,0,1,123']);
  assert.ok(s.events.some((e) => e.name === 'NetStream.Play.PublishNotify'));
  assert.equal((report.metadata as Record<string, unknown>)['Server'], 'NGINX RTMP (github.com/arut/nginx-rtmp-module)');
});

test('the vod app: same report; failing checks exit 8 and are all listed', async (t) => {
  if (!havePeers(t, ['nginx', 'ffmpeg'])) return;
  const [nginx, file] = await Promise.all([nginxWith(t), knownMedia()]);
  await copyFile(file, path.join(nginx.vodDir, 'known.flv'));
  const url = nginx.url('vod', 'known.flv');
  const ok = await rtmpCli(['probe', '--json', '--duration', '2s', '--expect', ALL_HOLD, url]);
  assert.equal(ok.code, 0, ok.stderr);
  assertKnownMedia(json(ok));
  const failing = await rtmpCli(['probe', '--json', '--duration', '2s', '--expect', 'width=1920', '--expect', 'min-fps=30', '--expect', 'audio=aac', url]);
  assert.equal(failing.code, 8, failing.stderr);
  oneErrorLine(failing, /^error: 2 of 3 checks failed: width=1920 \(width is 640\); min-fps=30 \(measured 25 fps, expected at least 30 fps\)$/);
  const report = json(failing);
  assert.deepEqual(report.checks.map((c) => c.ok), [false, false, true]);
  assert.deepEqual([report.error?.code, report.error?.exitCode], ['RTMP_ERR_CHECK_FAILED', 8]);
  // The human report lists every check, one line each.
  const human = await rtmpCli(['probe', '--duration', '2s', '--expect', 'width=1920,min-fps=30', url], { env: { NO_COLOR: '1' } });
  assert.equal(human.code, 8);
  const text = human.stdout.toString();
  assert.match(text, /✗ width=1920 +width is 640\n +✗ min-fps=30 +measured 25 fps, expected at least 30 fps/);
  assert.doesNotMatch(text, /\x1b\[/);
});

test('a refused play exits 6 with the report so far; --publish checks a key and unpublishes cleanly', async (t) => {
  if (!havePeers(t, ['nginx'])) return;
  const nginx = await nginxWith(t);
  const refused = await rtmpCli(['probe', '--json', nginx.url('vod', `${KEY}.flv`)]);
  assert.equal(refused.code, 6, refused.stderr);
  oneErrorLine(refused, /server refused play: NetStream\.Play\.StreamNotFound/);
  const report = json(refused);
  assert.deepEqual([report.error?.step, report.error?.exitCode, report.steps.at(-1)?.status], ['play', 6, 'failed']);
  assert.equal(report.server?.connect !== null, true, 'the connect result is kept');
  const human = await rtmpCli(['probe', nginx.url('vod', `${KEY}.flv`)]);
  assert.equal(human.code, 6);
  assert.match(human.stdout.toString(), /play +[\d.]+ ms +failed: server refused play/);
  oneErrorLine(human, /StreamNotFound/);

  const pub = await rtmpCli(['probe', '--publish', '--json', nginx.url('live', KEY)]);
  assert.equal(pub.code, 0, pub.stderr);
  const p = json(pub);
  assert.deepEqual(p.steps.slice(-3).map((s) => `${s.name}:${s.status}:${s.detail}`), ['createStream:ok:stream id 1', 'publish:ok:NetStream.Publish.Start', 'unpublish:ok:FCUnpublish, deleteStream']);
  const line = await nginx.waitForLog(new RegExp(`publish: name='${KEY}'`));
  const conn = /\*(\d+) publish/.exec(line)?.[1];
  const after = (await nginx.log()).split(line)[1] ?? '';
  assert.match(after, new RegExp(`\\*${conn} deleteStream`), 'nginx saw the unpublish');
  assert.ok(!pub.stdout.toString().includes(KEY));
});

test('rtmp probe <file.flv>: the same media report, no network steps', async () => {
  const r = await rtmpCli(['probe', '--json', '--duration', '0', sampleFlv]);
  assert.equal(r.code, 0, r.stderr);
  const report = json(r);
  assert.deepEqual([report.input.kind, report.steps, report.server], ['file', [], null]);
  assert.deepEqual([report.tracks.video?.width, report.tracks.video?.height, report.measurements?.video?.fps, report.measurements?.video?.gop?.maxFrames], [320, 240, 25, 25]);
  assert.deepEqual([report.tracks.audio?.sampleRate, report.tracks.audio?.channels, report.measurements?.video?.frames, report.measurements?.audio?.packets], [44100, 2, 125, 217]);
  const text = await rtmpCli(['probe', sampleFlv, '--expect', 'max-startup=1s']);
  assert.equal(text.code, 8);
  assert.match(text.stdout.toString(), /^Video  H\.264\/AVC  Main 1\.3 \(avc1\.4d400d\)$/m);
  oneErrorLine(text, /max-startup=1s \(a file has no network start-up time\)/);
  const usage = await rtmpCli(['probe', '--expect', 'fps=30', sampleFlv]);
  assert.equal(usage.code, 2);
  oneErrorLine(usage, /--expect fps=30: unknown check 'fps'/);
});

test('against a scripted server: silence exits 7, garbage sequence headers exit 5, no server exits 4 — each with a JSON report', async (t) => {
  const silent = await startFakeServer();
  t.after(() => silent.close());
  const r7 = await rtmpCli(['probe', '--json', '--timeout', '500ms', silent.url('live', KEY)]);
  assert.equal(r7.code, 7, r7.stderr);
  oneErrorLine(r7, /timed out after 500 ms waiting for audio or video/);
  assert.equal(json(r7).error?.code, 'RTMP_ERR_TIMEOUT');

  const packets = synthStream({ seconds: 1 });
  const broken = await startFakeServer({
    onCommand(conn, cmd, msg) {
      if (cmd.name !== 'play') return false;
      conn.userControl(UserControlEvent.StreamBegin, msg.streamId);
      conn.status(msg.streamId, 'status', 'NetStream.Play.Start', 'Start live');
      for (const p of [packets[0]!, avcSequenceHeader(0, Buffer.from('0142c00dffe1', 'hex'))]) conn.media(msg.streamId, p);
      return true;
    },
  });
  t.after(() => broken.close());
  const r5 = await rtmpCli(['probe', broken.url('live', KEY)]);
  assert.equal(r5.code, 5, r5.stderr);
  oneErrorLine(r5, /^error: malformed AVCDecoderConfigurationRecord: truncated sequenceParameterSetLength/);
  assert.match(r5.stdout.toString(), /Metadata  \(onMetaData\)/, 'what was learned is printed');

  const port = await freePort();
  const r4 = await rtmpCli(['probe', '--json', `rtmp://127.0.0.1:${port}/live/${KEY}`]);
  assert.equal(r4.code, 4, r4.stderr);
  oneErrorLine(r4, /connection refused/);
  assert.deepEqual([json(r4).error?.step, json(r4).error?.exitCode], ['tcp', 4]);
});
