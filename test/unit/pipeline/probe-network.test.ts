/**
 * The network probe against the scripted server: every step timed and in
 * order, the server's side of the report, and each way a probe can end badly
 * — refused, unreachable, silent, malformed, interrupted — with a partial
 * report and the typed error, never a throw or a hang.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AbortedError, ConnectionError, MediaFormatError, RemoteStatusError, TimeoutError } from '../../../src/errors.js';
import { MessageType, UserControlEvent } from '../../../src/rtmp/message.js';
import { parseRtmpUrl } from '../../../src/rtmp/url.js';
import { probeNetwork, type NetworkProbeOptions } from '../../../src/pipeline/probe-network.js';
import { validateProbeReport } from '../../../src/pipeline/probe-schema.js';
import { refuseWithStatus, startFakeServer, type FakeConnection, type FakeScript } from '../../helpers/fake-server.js';
import { freePort } from '../../helpers/peers.js';
import { avcSequenceHeader, synthStream } from './probe-stream.js';

function options(url: string, over: Partial<NetworkProbeOptions> = {}): NetworkProbeOptions {
  return { mode: 'play', url: parseRtmpUrl(url), shownUrl: url, client: { timeoutMs: 2000 }, durationMs: 1000, ...over };
}

/** Answers play like nginx-rtmp, then sends `packets` (default: 2 s of H.264 + AAC). */
function playing(packets = synthStream({ seconds: 2 }), extra?: (conn: FakeConnection, streamId: number) => void): FakeScript {
  return {
    onCommand(conn, cmd, msg) {
      if (cmd.name === 'connect') {
        // Let the default answer go first, then an onBWDone as FMS/Wowza send.
        setImmediate(() => conn.command(0, 'onBWDone', 0, null, 8192));
        return false;
      }
      if (cmd.name !== 'play') return false;
      conn.userControl(UserControlEvent.StreamBegin, msg.streamId);
      conn.status(msg.streamId, 'status', 'NetStream.Play.Start', 'Start live');
      for (const p of packets) conn.media(msg.streamId, p);
      extra?.(conn, msg.streamId);
      return true;
    },
  };
}

test('a play probe times every step in order and reports the server and the media', async (t) => {
  const server = await startFakeServer(playing());
  t.after(() => server.close());
  const steps: string[] = [];
  const { report, error } = await probeNetwork(options(server.url('live', 'key'), { onStep: (s) => steps.push(s) }));
  assert.equal(error, undefined);
  assert.deepEqual(validateProbeReport(report), []);
  assert.deepEqual(report.steps.map((s) => `${s.name}:${s.status}`), [
    'dns:skipped', 'tcp:ok', 'handshake:ok', 'connect:ok', 'createStream:ok', 'play:ok', 'metadata:ok', 'audio:ok', 'video:ok', 'keyframe:ok',
  ]);
  const ok = report.steps.filter((s) => s.status === 'ok');
  for (let i = 1; i < 6; i++) assert.ok(ok[i]!.atMs! >= ok[i - 1]!.atMs!, 'network steps end in order');
  assert.deepEqual(report.steps.find((s) => s.name === 'connect')?.detail, 'NetConnection.Connect.Success');
  assert.deepEqual(report.steps.find((s) => s.name === 'play')?.detail, 'NetStream.Play.Start');
  assert.deepEqual(steps.slice(0, 2), [`TCP connect to 127.0.0.1:${server.port}`, 'RTMP handshake']);
  const s = report.server!;
  assert.equal(s.address, `127.0.0.1:${server.port}`);
  assert.deepEqual(s.connect, {
    properties: { fmsVer: 'FMS/3,0,1,123', capabilities: 31 },
    information: { level: 'status', code: 'NetConnection.Connect.Success', description: 'Connection succeeded.', objectEncoding: 0 },
  });
  assert.deepEqual([s.windowAckSize, s.peerBandwidth, s.chunkSize], [5_000_000, { size: 5_000_000, limitType: 'dynamic' }, 4096]);
  assert.deepEqual(s.events.map((e) => `${e.type}:${e.name}`), ['command:onBWDone', 'userControl:StreamBegin', 'status:NetStream.Play.Start']);
  assert.deepEqual(s.events[0]!.detail, [8192]);
  assert.deepEqual([report.tracks.video?.width, report.tracks.audio?.sampleRate, report.measurements?.video?.fps], [1280, 44100, 25]);
  assert.ok(report.measurements!.mediaMs >= 1000);
  assert.ok(report.measurements!.startupMs! > 0);
});

test('a host name gets a timed DNS step with the address it resolved to', async (t) => {
  const server = await startFakeServer(playing());
  t.after(() => server.close());
  const { report, error } = await probeNetwork(options(`rtmp://localhost:${server.port}/live/key`));
  assert.equal(error, undefined);
  const dns = report.steps[0]!;
  assert.deepEqual([dns.name, dns.status], ['dns', 'ok']);
  assert.match(dns.detail ?? '', /^(127\.0\.0\.1|::1)$/);
});

test('a refused play: the play step fails with the server status, and what was learned is kept', async (t) => {
  const server = await startFakeServer(refuseWithStatus('play', 'NetStream.Play.StreamNotFound', 'No such stream'));
  t.after(() => server.close());
  const { report, error } = await probeNetwork(options(server.url('vod', 'missing.flv')));
  assert.ok(error instanceof RemoteStatusError);
  assert.equal(error.status, 'NetStream.Play.StreamNotFound');
  assert.deepEqual(report.error, { code: 'RTMP_ERR_REMOTE_STATUS', message: error.message, step: 'play', exitCode: null });
  assert.deepEqual(report.steps.at(-1), { ...report.steps.at(-1)!, name: 'play', status: 'failed', detail: error.message });
  assert.equal(report.server?.connect?.properties && typeof report.server.connect.properties, 'object');
  assert.equal(report.measurements, null);
  assert.deepEqual(validateProbeReport(report), []);
});

test('an unreachable server fails the TCP step', async () => {
  const port = await freePort();
  const { report, error } = await probeNetwork(options(`rtmp://127.0.0.1:${port}/live/key`));
  assert.ok(error instanceof ConnectionError);
  assert.deepEqual(report.steps.map((s) => `${s.name}:${s.status}`), ['dns:skipped', 'tcp:failed']);
  assert.equal(report.error?.step, 'tcp');
  assert.equal(report.server?.address, null);
});

test('a stream that never sends media: a TimeoutError after --timeout, with the steps so far', async (t) => {
  const server = await startFakeServer();
  t.after(() => server.close());
  const started = Date.now();
  const { report, error } = await probeNetwork(options(server.url('live', 'silent'), { client: { timeoutMs: 300 } }));
  assert.ok(error instanceof TimeoutError, String(error));
  assert.match(error.message, /timed out after 300 ms waiting for audio or video from 127\.0\.0\.1:\d+ after play/);
  assert.ok(Date.now() - started < 2000);
  assert.deepEqual(report.steps.slice(-4).map((s) => `${s.name}:${s.status}`), ['metadata:skipped', 'audio:skipped', 'video:skipped', 'keyframe:skipped']);
  assert.deepEqual([report.error?.code, report.error?.step], ['RTMP_ERR_TIMEOUT', null]);
  assert.deepEqual(validateProbeReport(report), []);
});

test('a malformed sequence header ends the probe with MediaFormatError and a partial report', async (t) => {
  const packets = synthStream({ seconds: 1 });
  const broken = [packets[0]!, avcSequenceHeader(0, Buffer.from('014d401fffe10019674d', 'hex')), ...packets.slice(2)];
  const server = await startFakeServer(playing(broken));
  t.after(() => server.close());
  const { report, error } = await probeNetwork(options(server.url('live', 'broken')));
  assert.ok(error instanceof MediaFormatError, String(error));
  assert.match(error.message, /^malformed AVCDecoderConfigurationRecord: truncated sequenceParameterSetNALUnit/);
  assert.deepEqual(report.metadata, { width: 1280, height: 720, framerate: 25, videocodecid: 7, audiocodecid: 10, audiosamplerate: 44100, stereo: true });
  assert.equal(report.error?.code, 'RTMP_ERR_MEDIA_FORMAT');
  assert.deepEqual(validateProbeReport(report), []);
});

test('a stream that ends before any media is a problem, not an error', async (t) => {
  const server = await startFakeServer(playing([], (conn, id) => conn.userControl(UserControlEvent.StreamEof, id)));
  t.after(() => server.close());
  const { report, error } = await probeNetwork(options(server.url('live', 'empty')));
  assert.equal(error, undefined);
  assert.deepEqual(report.problems.map((p) => [p.kind, p.message]), [['no-media', 'the stream ended (StreamEOF) before any audio or video arrived']]);
});

test('a stream that stops, and one slower than real time, are measured as far as they got and reported stalled', async (t) => {
  const stops = await startFakeServer(playing(synthStream({ seconds: 0.5 })));
  t.after(() => stops.close());
  const a = await probeNetwork(options(stops.url('live', 'k'), { durationMs: 2000, client: { timeoutMs: 300 } }));
  assert.equal(a.error, undefined);
  assert.deepEqual(a.report.problems.map((p) => [p.kind, p.message]), [['stalled', 'no media for 0.3 s (--timeout); measured what had arrived']]);
  assert.equal(a.report.measurements?.video?.frames, 13);

  // 10 ms of media every 50 ms of wall time.
  const frames = synthStream({ seconds: 2, fps: 100, gop: 100, meta: null });
  const slow = await startFakeServer(playing(frames.slice(0, 2), (conn, id) => {
    let i = 2;
    const timer = setInterval(() => (i < frames.length ? conn.media(id, frames[i++]!) : clearInterval(timer)), 50);
    conn.socket.once('close', () => clearInterval(timer));
  }));
  t.after(() => slow.close());
  const b = await probeNetwork(options(slow.url('live', 'k'), { durationMs: 1000, client: { timeoutMs: 500 } }));
  assert.equal(b.error, undefined);
  assert.deepEqual(b.report.problems.map((p) => p.kind), ['stalled']);
  assert.match(b.report.problems[0]!.message, /^only 0\.\d\d s of media arrived in 1\.5 s; measured what had arrived$/);
});

test('aborting while measuring ends with AbortedError and the report so far', async (t) => {
  const server = await startFakeServer(playing(synthStream({ seconds: 0.5 })));
  t.after(() => server.close());
  const controller = new AbortController();
  const pending = probeNetwork(options(server.url('live', 'k'), { durationMs: 60_000, client: { timeoutMs: 5000 }, signal: controller.signal, onStep: (s) => s.startsWith('measuring') && setTimeout(() => controller.abort(), 100) }));
  const { report, error } = await pending;
  assert.ok(error instanceof AbortedError, String(error));
  assert.equal(report.measurements?.video?.frames, 13);
  // Without a duration, interrupting is how measuring ends: no error.
  const until = new AbortController();
  const open = await probeNetwork(options(server.url('live', 'k'), { durationMs: 0, client: { timeoutMs: 5000 }, signal: until.signal, onStep: (s) => s.startsWith('measuring') && setTimeout(() => until.abort(), 100) }));
  assert.equal(open.error, undefined);
  assert.equal(open.report.measurements?.video?.frames, 13);
});

test('--publish: releaseStream, FCPublish, createStream, publish, then FCUnpublish and deleteStream; no media', async (t) => {
  const server = await startFakeServer();
  t.after(() => server.close());
  const { report, error } = await probeNetwork(options(server.url('live', 'stream-key'), { mode: 'publish' }));
  assert.equal(error, undefined);
  assert.deepEqual(report.steps.map((s) => `${s.name}:${s.status}`), ['dns:skipped', 'tcp:ok', 'handshake:ok', 'connect:ok', 'createStream:ok', 'publish:ok', 'unpublish:ok']);
  assert.equal(report.steps.find((s) => s.name === 'publish')?.detail, 'NetStream.Publish.Start');
  assert.deepEqual([report.input.mode, report.durationMs, report.measurements, report.tracks.video], ['publish', 0, null, null]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const conn = server.connections[0]!;
  assert.deepEqual(conn.commands.map((c) => c.name), ['connect', 'releaseStream', 'FCPublish', 'createStream', 'publish', 'FCUnpublish', 'deleteStream']);
  assert.deepEqual(conn.commands[4]?.args, ['stream-key', 'live']);
  assert.equal(conn.received.filter((m) => m.typeId === MessageType.Audio || m.typeId === MessageType.Video).length, 0);
  assert.deepEqual(validateProbeReport(report), []);
});
