import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PLAIN_COLORS, renderProbeReport } from '../../../src/cli/probe-render.js';
import { ProbeAnalyzer } from '../../../src/pipeline/probe-analyzer.js';
import { evaluateExpectations, parseExpectations } from '../../../src/pipeline/probe-checks.js';
import { probeFile } from '../../../src/pipeline/probe.js';
import { PROBE_SCHEMA, finishMedia, newReport, type ProbeReport } from '../../../src/pipeline/probe-report.js';
import { validateProbeReport } from '../../../src/pipeline/probe-schema.js';
import { sampleFlv } from '../../helpers/peers.js';
import { synthStream } from './probe-stream.js';

/** A play report with every section filled: steps, server, problems, checks, an error. */
function fullReport(): ProbeReport {
  const r = newReport({ kind: 'rtmp', target: 'rtmp://127.0.0.1:1935/live/****', mode: 'play' }, 2000, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
  r.steps = [
    { name: 'dns', status: 'skipped', ms: null, atMs: null, detail: 'IP address' },
    { name: 'tcp', status: 'ok', ms: 0.4, atMs: 0.5, detail: null },
    { name: 'handshake', status: 'ok', ms: 1.2, atMs: 1.7, detail: null },
    { name: 'connect', status: 'ok', ms: 2.1, atMs: 3.8, detail: 'NetConnection.Connect.Success' },
    { name: 'play', status: 'failed', ms: 1, atMs: 5, detail: 'server refused play' },
  ];
  r.server = {
    address: '127.0.0.1:1935',
    connect: { properties: { fmsVer: 'FMS/3,0,1,123', capabilities: 31 }, information: { code: 'NetConnection.Connect.Success', data: { version: '3,0,1,123' } } },
    windowAckSize: 5_000_000,
    peerBandwidth: { size: 5_000_000, limitType: 'dynamic' },
    chunkSize: 4096,
    events: [{ atMs: 4.5, type: 'userControl', streamId: 1, name: 'StreamBegin', detail: {} }, { atMs: 4.6, type: 'command', streamId: 0, name: 'onBWDone', detail: [null, 8192] }],
    eventsDropped: 0,
    handshake: { mode: 'digest', serverVersion: '13.14.10.13', serverDigest: 0, s2Signed: true },
    tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', subject: 'CN=good', issuer: 'CN=rtmp-toolkit test CA', validTo: '2026-11-23T08:00:00.000Z' },
  };
  const a = new ProbeAnalyzer();
  for (const p of synthStream({ seconds: 3, meta: { width: 1920, framerate: 25, nested: { a: [1, 'x'] } } })) a.push(p);
  finishMedia(r, a);
  r.measurements!.startupMs = 120.5;
  r.measurements!.wallMs = 2100;
  r.checks = evaluateExpectations(parseExpectations(['video=h264', 'min-fps=30', 'no-problems']), r);
  r.error = { code: 'RTMP_ERR_REMOTE_STATUS', message: 'server refused play', step: 'play', exitCode: 6 };
  return r;
}

test('reports validate against the schema before and after a JSON round trip', async () => {
  const file = (await probeFile(sampleFlv, { durationMs: 0 })).report;
  const missing = await probeFile('/nonexistent/x.flv', { durationMs: 5000 });
  const publish = newReport({ kind: 'rtmp', target: 'rtmp://h/live/****', mode: 'publish' }, 0);
  for (const r of [fullReport(), file, missing.report, publish]) {
    assert.deepEqual(validateProbeReport(r), [], r.input.target);
    const back: unknown = JSON.parse(JSON.stringify(r));
    assert.deepEqual(validateProbeReport(back), []);
    assert.deepEqual(back, r, 'nothing is lost or changed by JSON');
  }
  assert.equal(file.schema, PROBE_SCHEMA);
  assert.equal(missing.report.error?.code, 'RTMP_ERR_IO');
  assert.deepEqual(file.problems, []);
  assert.equal(file.tracks.video?.avc?.profile, 'Main');
});

test('the validator names every departure from the schema', () => {
  const r = JSON.parse(JSON.stringify(fullReport())) as Record<string, unknown> & { tracks: { video: Record<string, unknown> }; steps: Array<Record<string, unknown>> };
  delete r['startedAt'];
  r['extra'] = 1;
  r.tracks.video['width'] = '1280';
  r.steps[0]!['status'] = 'maybe';
  r['schema'] = 'rtmp-toolkit/probe@2';
  assert.deepEqual(validateProbeReport(r).sort(), [
    '$.extra: not in the schema',
    '$.schema: expected one of rtmp-toolkit/probe@1, got "rtmp-toolkit/probe@2"',
    '$.startedAt: missing',
    '$.steps[0].status: expected one of ok|failed|skipped, got "maybe"',
    '$.tracks.video.width: expected integer, got string',
  ]);
  assert.deepEqual(validateProbeReport(null), ['$: expected object, got null']);
  const nan = fullReport();
  nan.measurements!.mediaMs = Number.NaN;
  assert.deepEqual(validateProbeReport(nan), ['$.measurements.mediaMs: expected finite number, got number']);
});

test('the text rendering: aligned sections, plain without a terminal', () => {
  const text = renderProbeReport(fullReport(), PLAIN_COLORS);
  assert.doesNotMatch(text, /\x1b\[/, 'no escape codes');
  assert.doesNotMatch(text, / +$/m, 'no trailing spaces');
  for (const line of [
    'rtmp probe rtmp://127.0.0.1:1935/live/****  (play, 2 s of media)',
    '  DNS lookup           skipped  IP address',
    '  TCP connect           0.4 ms',
    '  play                  1.0 ms  failed: server refused play',
    'Server  127.0.0.1:1935',
    '  fmsVer            FMS/3,0,1,123',
    '  data.version      3,0,1,123',
    '  peer bandwidth    5000000 (dynamic)',
    '  events            +4.5 ms  StreamBegin (stream 1)',
    '  nested.a          [1,"x"]',
    'Video  H.264/AVC  Main 3.1 (avc1.4d401f)',
    '  measured          75 frames, 25 fps, 1.08 Mbit/s',
    '  keyframes         2; GOP 50 frames (2.00 s), 1 complete',
    'Audio  AAC  AAC LC (mp4a.40.2)',
    '  format            44100 Hz, 2 channels',
    '  startup           120.5 ms to the first keyframe',
    'Problems  1',
    'Checks  2 of 3 failed',
    '  ✓ video=h264              video is h264 (H.264/AVC)',
    '  ✗ min-fps=30              measured 25 fps, expected at least 30 fps',
  ]) {
    assert.ok(text.split('\n').includes(line), `missing line ${JSON.stringify(line)} in\n${text}`);
  }
  assert.match(text, /! metadata-mismatch +onMetaData declares width 1920, but the SPS says 1280/);
  const coloured = renderProbeReport(fullReport(), { ...PLAIN_COLORS, red: (s) => `<${s}>` });
  assert.match(coloured, /<✗> min-fps=30/);
});
