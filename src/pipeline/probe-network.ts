/**
 * The network probe: connect to an RTMP URL timing every step (DNS lookup,
 * TCP connect, handshake, connect, createStream, play or publish), record
 * what the server says, then either measure the played media for a while or
 * check that a publish is accepted and unpublish at once. Failures end the
 * probe with a partial report and the error, never a throw.
 */
import { isIP } from 'node:net';
import { RtmpClient, type ClientOptions, type ConnectPhase } from '../client/rtmp-client.js';
import type { NetStream } from '../client/net-stream.js';
import { AbortedError, TimeoutError } from '../errors.js';
import type { RtmpUrl } from '../rtmp/url.js';
import { ProbeAnalyzer, type AnalyzerOptions } from './probe-analyzer.js';
import { describeProbeError, finishMedia, newReport, type ProbeOutcome } from './probe-report.js';
import { ServerLog, StepClock } from './probe-steps.js';

export interface NetworkProbeOptions {
  /** 'play' measures the stream; 'publish' checks that a publish is accepted, sending no media. */
  mode: 'play' | 'publish';
  url: RtmpUrl;
  /** The URL as it may be printed (stream key redacted). */
  shownUrl: string;
  /** Connection options; `timeoutMs` bounds every step and the wait for media. */
  client: ClientOptions;
  /** Media time to measure in ms; 0 measures until the stream ends or `signal` aborts. */
  durationMs: number;
  analyzer?: AnalyzerOptions;
  /** Aborting ends the probe with an AbortedError and the report so far. */
  signal?: AbortSignal;
  /** Called as each step starts, with a line for a spinner. */
  onStep?: (text: string) => void;
}

/** The buffer length asked for: enough that a VOD server sends the whole window at once. */
const MIN_BUFFER_MS = 3000;

/** Runs the network probe; resolves with the report and the error that ended it, if any. */
export async function probeNetwork(opts: NetworkProbeOptions): Promise<ProbeOutcome> {
  const { url, mode } = opts;
  const report = newReport({ kind: 'rtmp', target: opts.shownUrl, mode }, mode === 'publish' ? 0 : opts.durationMs);
  const clock = new StepClock(performance.now(), opts.onStep);
  const log = new ServerLog();
  report.server = log.server;
  const analyzer = new ProbeAnalyzer(opts.analyzer);
  const where = `${url.host.includes(':') ? `[${url.host}]` : url.host}:${url.port}`;
  const onPhase = (p: ConnectPhase): void => {
    if (p.phase === 'resolved') {
      clock.done(p.address);
      clock.begin('tcp', `TCP connect to ${where}`);
    } else if (p.phase === 'retry') {
      // Authentication: the connect step ends with the server's demand, and connect starts over.
      clock.done(p.reason);
      clock.begin('tcp', `TCP connect to ${where}`);
    } else if (p.phase === 'tcp') {
      log.server.address = `${p.remoteAddress.includes(':') ? `[${p.remoteAddress}]` : p.remoteAddress}:${p.remotePort}`;
      clock.done();
      clock.begin('handshake', url.protocol === 'rtmps' ? 'TLS and RTMP handshake' : 'RTMP handshake');
    } else if (p.phase === 'tls') {
      // Timed within the handshake step.
      const t = p.tls;
      log.server.tls = { protocol: t.protocol, cipher: t.cipher, subject: t.subject ?? null, issuer: t.issuer ?? null, validTo: t.validTo ?? null };
    } else {
      const h = p.handshake;
      log.server.handshake = { mode: h.mode, serverVersion: h.serverVersion, serverDigest: h.serverDigest ?? null, s2Signed: h.s2Signed ?? null };
      clock.done();
      clock.begin('connect', `connect to app '${url.app}'`);
    }
  };
  let client: RtmpClient | undefined;
  let error: unknown;
  let played = false;
  let playEnd = 0;
  let measureEnd: number | undefined;
  try {
    if (isIP(url.host) !== 0) {
      clock.skip('dns', 'IP address');
      clock.begin('tcp', `TCP connect to ${where}`);
    } else {
      clock.begin('dns', `DNS lookup of ${url.host}`);
    }
    client = await RtmpClient.connect(url, {
      ...opts.client,
      role: mode,
      signal: opts.signal,
      onPhase,
      onEvent: (ev) => {
        log.onEvent(ev, clock.now());
        opts.client.onEvent?.(ev);
      },
    });
    clock.done(client.connectResult?.information?.code ?? null);
    log.connected(client.connectResult);
    if (mode === 'publish') {
      await checkPublish(client, url.stream, clock, opts.shownUrl);
    } else {
      clock.begin('createStream', 'createStream');
      const stream = await client.createStream();
      clock.done(`stream id ${stream.id}`);
      clock.begin('play', `play ${opts.shownUrl}`);
      const info = await stream.play(url.stream, { bufferMs: Math.max(MIN_BUFFER_MS, opts.durationMs + 1000) });
      clock.done(info?.code ?? 'media arrived before any status');
      played = true;
      playEnd = clock.now();
      await measure(stream, analyzer, clock, opts, where);
      measureEnd = clock.now();
    }
  } catch (e) {
    error = e;
    // Timed now, before closing the connection.
    report.error = describeProbeError(e, clock.fail(e instanceof Error ? e.message : String(e)));
    measureEnd = clock.now();
  } finally {
    await client?.close().catch(() => undefined);
  }
  if (played) {
    const f = analyzer.firsts;
    clock.mark('metadata', f.metadata, playEnd, 'no onMetaData received');
    clock.mark('audio', f.audio, playEnd, 'no audio received');
    clock.mark('video', f.video, playEnd, 'no video received');
    clock.mark('keyframe', f.keyframe, playEnd, 'no keyframe received');
    finishMedia(report, analyzer);
    const m = report.measurements!;
    m.wallMs = Math.round((measureEnd ?? clock.now()) - playEnd);
    m.startupMs = f.keyframe !== undefined ? Math.round(f.keyframe * 10) / 10 : null;
  }
  report.steps = clock.steps;
  return { report, error };
}

/** releaseStream, FCPublish, createStream, publish → Publish.Start, then FCUnpublish and deleteStream. */
async function checkPublish(client: RtmpClient, name: string, clock: StepClock, shownUrl: string): Promise<void> {
  // As FMLE, OBS and ffmpeg do; servers such as nginx-rtmp never answer these two.
  client.notify('releaseStream', [name]);
  client.notify('FCPublish', [name]);
  clock.begin('createStream', 'createStream');
  const stream = await client.createStream();
  clock.done(`stream id ${stream.id}`);
  clock.begin('publish', `publish ${shownUrl}`);
  const info = await stream.publish(name, 'live');
  clock.done(info?.code ?? null);
  clock.begin('unpublish', 'unpublish');
  await stream.unpublish();
  clock.done('FCUnpublish, deleteStream');
}

/** Feeds played packets to the analyzer until enough media time was measured, the stream ends or stalls. */
async function measure(stream: NetStream, analyzer: ProbeAnalyzer, clock: StepClock, opts: NetworkProbeOptions, where: string): Promise<void> {
  const timeoutMs = opts.client.timeoutMs ?? 10_000;
  opts.onStep?.(opts.durationMs > 0 ? `measuring ${opts.durationMs / 1000} s of media` : 'measuring until the stream ends');
  let interrupted = false;
  const onAbort = (): void => {
    interrupted = true;
    stream.stop();
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  // A stream whose timestamps advance slower than the clock must still end.
  let late = false;
  const deadline =
    opts.durationMs > 0
      ? setTimeout(() => {
          late = true;
          stream.stop();
        }, opts.durationMs + timeoutMs)
      : undefined;
  const started = clock.now();
  try {
    for await (const p of stream.packets({ idleTimeoutMs: timeoutMs })) {
      analyzer.push(p, clock.now());
      if (opts.durationMs > 0 && analyzer.mediaSpanMs >= opts.durationMs) {
        stream.stop();
        break;
      }
    }
  } finally {
    clearTimeout(deadline);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  // With no --duration, SIGINT is how a measurement ends (as for `play`); otherwise it cut the window short.
  if (interrupted && opts.durationMs > 0) throw new AbortedError('interrupted while measuring');
  const end = stream.end;
  if (!analyzer.hasMedia) {
    if (end?.reason === 'idle') throw new TimeoutError(`audio or video from ${where} after play`, timeoutMs);
    const why = end?.reason === 'status' ? end.code : end?.reason === 'eof' ? 'StreamEOF' : 'stopped';
    analyzer.addProblem('no-media', `the stream ended (${why}) before any audio or video arrived`);
  } else if (end?.reason === 'idle') {
    analyzer.addProblem('stalled', `no media for ${timeoutMs / 1000} s (--timeout); measured what had arrived`);
  } else if (late && analyzer.mediaSpanMs < opts.durationMs) {
    const wall = (clock.now() - started) / 1000;
    analyzer.addProblem('stalled', `only ${(analyzer.mediaSpanMs / 1000).toFixed(2)} s of media arrived in ${wall.toFixed(1)} s; measured what had arrived`);
  }
}
