/**
 * `rtmp publish <file|-> <url>`: sends an FLV, MP4, MOV, MKV or WebM file
 * (or FLV on stdin) to a server.
 */
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { RtmpClient } from '../client/rtmp-client.js';
import type { NetStream, PublishMode } from '../client/net-stream.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../pipeline/continuity.js';
import { AbortedError, IoError, UsageError } from '../errors.js';
import type { MediaPacket } from '../media/packet.js';
import { openMediaSource } from '../pipeline/media-source.js';
import { pumpPublish, startPublish, type PublishStats } from '../pipeline/publish.js';
import { parseScriptData } from '../flv/script-data.js';
import { asObject, getNumber } from '../amf/expect.js';
import { addCommonOptions, addRetryOptions, parseIntOption, parseRetryOptions, setupCommon, type CommonRaw, type RetryRaw } from './options.js';
import { formatBitrate, formatBytes, formatMs, type Reporter } from './ui.js';
import type { RunContext } from './main.js';

interface PublishRaw extends CommonRaw, RetryRaw {
  realtime: boolean;
  loop: string;
  mode: string;
}

export function registerPublish(program: Command, ctx: RunContext): void {
  const cmd = program
    .command('publish')
    .description('publish an FLV, MP4, MOV, MKV or WebM file (or - for FLV on stdin) to an RTMP server')
    .argument('<input>', 'file to send (FLV, or MP4/MOV/MKV/WebM with H.264/AAC), or - to read FLV from stdin')
    .argument('<url>', 'rtmp://host[:port]/app[/instance]/stream-key')
    .option('--no-realtime', 'send as fast as the server takes it instead of pacing by timestamps')
    .option('--loop <n>', 'send the input n times (timestamps keep increasing; not with stdin)', '1')
    .option('--mode <mode>', 'publish type: live, record or append', 'live');
  addRetryOptions(cmd, 'after a dropped connection, publish again and resume at the next keyframe');
  addCommonOptions(cmd).action((input: string, url: string, raw: PublishRaw) => ctx.run(raw, (rep) => publishCommand(input, url, raw, rep, ctx)));
}

async function publishCommand(input: string, rawUrl: string, raw: PublishRaw, reporter: Reporter, ctx: RunContext): Promise<number> {
  const { url, shownUrl, client: clientOpts } = setupCommon(rawUrl, raw, reporter);
  const loops = parseIntOption(raw.loop, '--loop', 1, 1_000_000);
  const mode = raw.mode as PublishMode;
  if (mode !== 'live' && mode !== 'record' && mode !== 'append') throw new UsageError(`--mode must be live, record or append, not '${raw.mode}'`);
  if (input === '-' && loops > 1) throw new UsageError('--loop needs a file: stdin can be read only once');

  // Check the input before touching the network: a missing file or a non-FLV fails fast.
  let fileSize = 0;
  if (input !== '-') {
    try {
      const st = await stat(input);
      if (!st.isFile()) throw new IoError(`'${input}' is not a regular file`);
      fileSize = st.size;
    } catch (e) {
      if (e instanceof IoError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new IoError(`cannot open '${input}': ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`, { cause: e });
    }
  }
  const onWarning = (message: string, offset: number): void => reporter.warn(`${input === '-' ? 'stdin' : input}: ${message} (offset ${offset})`);
  const first = openMediaSource(input, { onWarning, signal: ctx.signal });
  const head = await first.next();
  const firstPass = prepend(head, first);
  let used = false;
  const open = (): AsyncIterable<MediaPacket> => {
    if (!used) {
      used = true;
      return firstPass;
    }
    return openMediaSource(input, { onWarning, signal: ctx.signal });
  };
  const durationMs = head.done ? 0 : metadataDurationMs(head.value);

  const retry = raw.reconnect ? parseRetryOptions(raw) : undefined;
  reporter.step(`connecting to ${shownUrl}`);
  let client = await RtmpClient.connect(url, { ...clientOpts, role: 'publish', signal: ctx.signal });
  let stats: PublishStats | undefined;
  const started = performance.now();
  // --reconnect: publish again with backoff; the pump resends the headers and resumes at the next keyframe.
  const reconnect = retry
    ? async (error: unknown): Promise<NetStream> => {
        client.destroy();
        reporter.warn(`lost ${shownUrl}: ${error instanceof Error ? error.message : String(error)}`);
        for (let attempt = 1; ; attempt++) {
          const delayMs = backoffDelay(attempt, retry.minMs, retry.maxMs);
          reporter.warn(`reconnecting in ${formatMs(delayMs)} (attempt ${attempt} of ${retry.max})`);
          await sleep(delayMs, undefined, { signal: ctx.signal }).catch(() => undefined);
          if (ctx.signal.aborted) throw new AbortedError('interrupted');
          try {
            client = await RtmpClient.connect(url, { ...clientOpts, role: 'publish', signal: ctx.signal });
            const again = await startPublish(client, url.stream, mode);
            reporter.info(`publishing to ${shownUrl} again`);
            return again;
          } catch (e) {
            client.destroy();
            if (attempt >= retry.max || ctx.signal.aborted) throw e;
            reporter.warn(`reconnect failed: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      }
    : undefined;
  try {
    reporter.step(`publishing ${shownUrl}`);
    let stream = await startPublish(client, url.stream, mode);
    reporter.stepDone(`publishing to ${shownUrl}`);
    const total = durationMs > 0 ? durationMs * loops : 0;
    const bar = reporter.progress(total > 0 ? Math.round(total / 100) / 10 : Math.max(fileSize * loops, 1), total > 0 ? ' {bar} {value}/{total} s | {rate} | {bytes} | ETA {eta_formatted}' : ' {bar} {percentage}% | {media} | {rate} | {bytes}');
    const onProgress = (s: PublishStats): void => {
      const elapsed = (performance.now() - started) / 1000;
      bar.update(total > 0 ? Math.round(s.mediaMs / 100) / 10 : s.bytes, {
        rate: formatBitrate((s.bytes * 8) / Math.max(elapsed, 0.001)),
        bytes: formatBytes(s.bytes),
        media: formatMs(s.mediaMs),
      });
    };
    try {
      const onReconnect = reconnect && (async (e: unknown): Promise<NetStream> => (stream = await reconnect(e)));
      stats = await pumpPublish(stream, { open, loops, realtime: raw.realtime, signal: ctx.signal, onProgress, ...(onReconnect ? { reconnect: onReconnect } : {}) });
    } catch (e) {
      // Interrupted: still end the stream properly so the server and its players see a clean unpublish.
      if (e instanceof AbortedError && !client.error) {
        bar.stop();
        await stream.unpublish().catch(() => {});
        reporter.warn('interrupted; unpublished the stream');
      }
      throw e;
    } finally {
      bar.stop();
    }
    await stream.unpublish();
  } finally {
    await client.close();
  }
  const wall = (performance.now() - started) / 1000;
  reporter.success(
    `published ${formatMs(stats.mediaMs)} of media (${stats.video} video, ${stats.audio} audio packets, ${formatBytes(stats.bytes)}) to ${shownUrl} in ${wall.toFixed(1)} s, ${formatBitrate((stats.bytes * 8) / Math.max(wall, 0.001))}` +
      (stats.reconnects > 0 ? `; ${stats.reconnects} reconnect(s), ${stats.skipped} packets skipped to resume on keyframes` : ''),
  );
  return 0;
}

/** Puts an already-read first result back in front of the rest of the generator. */
async function* prepend(head: IteratorResult<MediaPacket>, rest: AsyncGenerator<MediaPacket>): AsyncGenerator<MediaPacket> {
  if (head.done) return;
  yield head.value;
  yield* rest;
}

/** The `duration` field of an onMetaData packet, in ms (0 when absent). */
function metadataDurationMs(p: MediaPacket): number {
  const sd = parseScriptData(p.payload);
  if (!sd || sd.name !== 'onMetaData') return 0;
  const d = getNumber(asObject(sd.value), 'duration');
  return d !== undefined && Number.isFinite(d) && d > 0 ? d * 1000 : 0;
}
