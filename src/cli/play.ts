/**
 * `rtmp play <url> -o <file|->`: records a stream to FLV, or to MP4/MOV/MKV/WebM
 * by the file's extension or --format.
 */
import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import { RtmpClient } from '../client/rtmp-client.js';
import type { PlayEnd } from '../client/net-stream.js';
import { ConnectionError, IoError, UsageError, isRtmpError } from '../errors.js';
import { parseScriptData } from '../flv/script-data.js';
import { PacketType, isVideoKeyframe, isVideoSequenceHeader } from '../media/packet.js';
import { ts32 } from '../media/timestamp.js';
import { selectTrack, type TrackSelection } from '../media/track-select.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, Rebaser } from '../pipeline/continuity.js';
import { checkSinkOptions, formatOfPath, openMediaSink, parseFormatOption, type MediaSinkOptions } from '../pipeline/media-sink.js';
import { addFfmpegPlayOptions, ffmpegPlayOutput, type FfmpegPlayRaw } from './ffmpeg-options.js';
import type { PacketSink } from '../pipeline/ffmpeg.js';
import { addCommonOptions, addRetryOptions, parseDuration, parseIntOption, parseRetryOptions, setupCommon, type CommonRaw, type RetryRaw } from './options.js';
import { formatBitrate, formatBytes, formatMs, type ProgressHandle, type Reporter } from './ui.js';
import type { RunContext } from './main.js';

/** Error codes of a lost or broken connection, which --reconnect retries. */
const RETRYABLE = new Set(['RTMP_ERR_CONNECTION', 'RTMP_ERR_TIMEOUT', 'RTMP_ERR_HANDSHAKE', 'RTMP_ERR_PROTOCOL']);

interface PlayRaw extends CommonRaw, RetryRaw, FfmpegPlayRaw {
  output?: string;
  force?: boolean;
  duration?: string;
  buffer: string;
  start: string;
  idleTimeout: string;
  live?: boolean;
  json?: boolean;
  format?: string;
  faststart?: boolean;
  track?: string;
  audioTrack?: string;
}

export function registerPlay(program: Command, ctx: RunContext): void {
  const cmd = program
    .command('play')
    .description('play a stream from an RTMP server and record it to FLV, MP4, MOV or MKV')
    .argument('<url>', 'rtmp://host[:port]/app[/instance]/stream')
    .option('-o, --output <file>', 'file to write (.flv, .mp4, .mov, .mkv, .webm by extension), or - for FLV on stdout (this or --ffmpeg-output is required)')
    .option('-y, --force', 'overwrite the output file if it exists')
    .option('--format <name>', 'output format whatever the extension: flv, mp4, mov, mkv, webm')
    .option('--faststart', 'MP4/MOV: record to <file>.rec.flv, then write a moov-first MP4 at the end (default: fragmented MP4)')
    .option('--duration <duration>', 'stop after this much media time, e.g. 30s or 5m')
    .option('--buffer <ms>', 'buffer length sent with Set Buffer Length after play, in ms', '3000')
    .option('--start <seconds>', 'play start: -2 live or recorded, -1 live only, >= 0 seconds into a recording', '-2')
    .option('--live', 'same as --start -1: live streams only')
    .option('--idle-timeout <duration>', 'end the recording after this long without media (0 = never)', '30s')
    .option('--json', 'write NDJSON events (playing, progress, reconnecting, done, error) to stdout; needs -o <file>')
    .option('--track <id>', 'Enhanced RTMP multitrack: keep only video and audio track <id> (0-255), as single-track messages')
    .option('--audio-track <id>', 'with --track: keep this audio track instead (default: the same id)');
  addRetryOptions(cmd, 'after a dropped connection, play again and go on writing the same file');
  addFfmpegPlayOptions(cmd);
  addCommonOptions(cmd).action((url: string, raw: PlayRaw) => ctx.run(raw, (rep) => playCommand(url, raw, rep, ctx)));
}

async function playCommand(rawUrl: string, raw: PlayRaw, reporter: Reporter, ctx: RunContext): Promise<number> {
  const { url, shownUrl, client: clientOpts } = setupCommon(rawUrl, raw, reporter);
  const toFfmpeg = await ffmpegPlayOutput(raw, reporter);
  const output = raw.output ?? '-';
  const durationMs = raw.duration !== undefined ? parseDuration(raw.duration, '--duration') : 0;
  const bufferMs = parseIntOption(raw.buffer, '--buffer', 0, 0xffffffff);
  const idleMs = parseDuration(raw.idleTimeout, '--idle-timeout');
  const start = raw.live ? -1 : Number(raw.start);
  if (!Number.isFinite(start) || start < -2) throw new UsageError(`--start must be -2, -1 or a number of seconds, not '${raw.start}'`);
  if (raw.json && output === '-') throw new UsageError('--json writes events to stdout, so it needs -o <file> rather than -o -');
  const sinkOpts: MediaSinkOptions = {
    format: raw.format !== undefined ? parseFormatOption(raw.format) : formatOfPath(output),
    force: raw.force ?? false,
    fastStart: raw.faststart ?? false,
    onWarning: (m) => reporter.warn(m),
  };
  if (!toFfmpeg) checkSinkOptions(output, sinkOpts);
  if (!toFfmpeg && output !== '-' && !raw.force) {
    const exists = await access(output).then(() => true, () => false);
    if (exists) throw new IoError(`'${output}' exists; use --force to overwrite`);
  }

  const selection = trackSelection(raw);
  let malformed = 0;
  const retry = raw.reconnect ? parseRetryOptions(raw) : undefined;
  let sink: PacketSink | undefined;
  let end: PlayEnd | undefined;
  let media = 0;
  let bytes = 0;
  let spanMs = 0;
  let failure: unknown;
  let sessions = 0;
  let reconnects = 0;
  const started = performance.now();
  // Output timeline: the first session's timestamps as they are; after a
  // reconnect, rebased if the server restarted its clock (--reconnect).
  const rebaser = new Rebaser();
  let first: number | undefined;
  let lastShown = 0;
  /** The live statistics line, from the first play until a reconnect hides it. */
  let liveBar: ProgressHandle | undefined;
  for (let attempt = 0; ; ) {
    let client: RtmpClient | undefined;
    let stopOnSignal: (() => void) | undefined;
    try {
      reporter.step(`connecting to ${shownUrl}`);
      client = await RtmpClient.connect(url, { ...clientOpts, role: 'play', signal: ctx.signal });
      const stream = await client.createStream();
      reporter.step(`playing ${shownUrl}`);
      // SIGINT/SIGTERM end the recording like the end of the stream: the file is finalized and we exit 0.
      stopOnSignal = (): void => stream.stop();
      if (ctx.signal.aborted) stream.stop();
      ctx.signal.addEventListener('abort', stopOnSignal, { once: true });
      await stream.play(url.stream, { start, bufferMs });
      reporter.stepDone(`playing ${shownUrl}`);
      reporter.event('playing', { url: shownUrl, attempt: reconnects });
      sink ??= toFfmpeg ? toFfmpeg() : await openMediaSink(output, sinkOpts);
      void sink.done?.then(() => stream.stop()); // --ffmpeg-output: ffmpeg has all it wanted
      const bar = (liveBar ??= reporter.progress(0, ' {media} recorded | {rate} | {bytes}'));
      attempt = 0;
      rebaser.reset();
      // After a reconnect the server may start mid-GOP: video waits for a keyframe.
      let needKeyframe = sessions++ > 0;
      for await (const received of stream.packets({ idleTimeoutMs: idleMs })) {
        let p = received;
        if (selection) {
          const picked = selectTrack(received, selection);
          if (picked.kind === 'malformed' && malformed++ === 0) reporter.warn(`dropping a multitrack message that cannot be read (at ${received.timestamp} ms): ${picked.message}`);
          if (picked.kind !== 'keep') continue;
          p = picked.packet;
        }
        if (p.type === PacketType.Data) {
          // |RtmpSampleAccess is a server permission notice, not part of the stream.
          if (parseScriptData(p.payload)?.name === '|RtmpSampleAccess') continue;
        } else if (needKeyframe && p.type === PacketType.Video && !isVideoSequenceHeader(p.payload)) {
          if (!isVideoKeyframe(p.payload)) continue;
          needKeyframe = false;
        }
        const ts = rebaser.map(p);
        if (ts === undefined) continue; // recorded before the reconnect (the server replayed its GOP)
        const out = ts32(ts) === p.timestamp ? p : { ...p, timestamp: ts32(ts) };
        if (p.type !== PacketType.Data) {
          first ??= ts;
          spanMs = Math.max(spanMs, ts - first);
          media++;
          if (durationMs > 0 && ts - first >= durationMs) {
            stream.stop();
            break;
          }
        }
        bytes += p.payload.length;
        await sink.write(out);
        const now = performance.now();
        // Display and events at most every 200 ms: nothing is built per packet.
        if (now - lastShown > 200) {
          lastShown = now;
          const bitrate = (bytes * 8) / Math.max((now - started) / 1000, 0.001);
          bar.update(0, { media: formatMs(spanMs), rate: formatBitrate(bitrate), bytes: formatBytes(bytes) });
          reporter.progressEvent({ mediaMs: spanMs, packets: media, bytes, bitrate: Math.round(bitrate) });
        }
      }
      end = stream.end;
      await client.close();
      break;
    } catch (e) {
      client?.destroy();
      // Only a lost or broken connection is worth another try; refusals and local errors are final.
      const transient = isRtmpError(e) && RETRYABLE.has(e.code);
      if (!retry || !transient || ctx.signal.aborted || attempt >= retry.max) {
        failure = e;
        break;
      }
      attempt++;
      reconnects++;
      const delayMs = backoffDelay(attempt, retry.minMs, retry.maxMs);
      liveBar?.stop();
      liveBar = undefined;
      reporter.warn(`${e instanceof Error ? e.message : String(e)}; reconnecting in ${formatMs(delayMs)} (attempt ${attempt} of ${retry.max})`);
      reporter.event('reconnecting', { url: shownUrl, attempt, delayMs });
      await sleep(delayMs, undefined, { signal: ctx.signal }).catch(() => undefined);
      if (ctx.signal.aborted) {
        end = { reason: 'stopped' };
        break;
      }
    } finally {
      if (stopOnSignal) ctx.signal.removeEventListener('abort', stopOnSignal);
    }
  }
  liveBar?.stop();
  // The recording is finalized whatever happened, so what arrived stays a valid FLV.
  // A failed ffmpeg output (--ffmpeg-output) must not hide why the stream failed.
  if (sink) await sink.close().catch((e: unknown) => (failure ??= e));
  if (failure) {
    if (failure instanceof ConnectionError && media > 0) {
      throw new ConnectionError(`${failure.message} after ${formatMs(spanMs)} of media; the recording up to there is a valid ${sinkOpts.format.toUpperCase()}`, { cause: failure });
    }
    throw failure;
  }
  if (end?.reason === 'idle') {
    if (media === 0) reporter.warn(`no media arrived within ${formatMs(end.ms)} (--idle-timeout); the recording is empty`);
    else reporter.warn(`no media for ${formatMs(end.ms)} (--idle-timeout); ended the recording`);
  }
  const why = end === undefined ? 'ended' : end.reason === 'eof' ? 'stream ended' : end.reason === 'status' ? end.code : end.reason === 'stopped' ? (durationMs > 0 && spanMs >= durationMs ? 'duration reached' : 'stopped') : 'idle';
  reporter.event('done', { url: shownUrl, output, mediaMs: spanMs, packets: media, bytes, end: why, reconnects });
  reporter.success(
    `recorded ${formatMs(spanMs)} (${media} packets, ${formatBytes(bytes)}) from ${shownUrl} to ${toFfmpeg ? 'ffmpeg' : output === '-' ? 'stdout' : output} (${why})` +
      (reconnects > 0 ? `; ${reconnects} reconnect(s)` : ''),
  );
  return 0;
}

/** --track / --audio-track as a selection, or undefined to keep every track. */
function trackSelection(raw: PlayRaw): TrackSelection | undefined {
  if (raw.track === undefined) {
    if (raw.audioTrack !== undefined) throw new UsageError('--audio-track needs --track');
    return undefined;
  }
  const video = parseIntOption(raw.track, '--track', 0, 255);
  return { video, audio: raw.audioTrack !== undefined ? parseIntOption(raw.audioTrack, '--audio-track', 0, 255) : video };
}
