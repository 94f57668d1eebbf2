/**
 * `rtmp publish <file|-> <url>`: sends an FLV, MP4, MOV, MKV or WebM file
 * (or FLV on stdin) to a server.
 */
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { RtmpClient, type ClientOptions, type ReconnectRequest } from '../client/rtmp-client.js';
import { fourCcOfCodecId, publishingCapabilities } from '../rtmp/capabilities.js';
import { redactUrl, resolveReconnectUrl } from '../rtmp/url.js';
import type { NetStream, PublishMode } from '../client/net-stream.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../pipeline/continuity.js';
import { AbortedError, FfmpegError, IoError, UsageError } from '../errors.js';
import type { MediaPacket } from '../media/packet.js';
import { openMediaSource } from '../pipeline/media-source.js';
import { connectAndPublish, pumpPublish, retirePublish, startPublish, type PublishStats } from '../pipeline/publish.js';
import { parseScriptData } from '../flv/script-data.js';
import { asObject, getNumber } from '../amf/expect.js';
import { addFfmpegPublishOptions, ffmpegPublishInput, publishOperands, type FfmpegPublishRaw } from './ffmpeg-options.js';
import { addCommonOptions, addRetryOptions, parseIntOption, parseRetryOptions, setupCommon, type CommonRaw, type RetryRaw } from './options.js';
import { formatBitrate, formatBytes, formatMs, type Reporter } from './ui.js';
import type { RunContext } from './main.js';

interface PublishRaw extends CommonRaw, RetryRaw, FfmpegPublishRaw {
  realtime: boolean;
  loop: string;
  mode: string;
  json?: boolean;
}

export function registerPublish(program: Command, ctx: RunContext): void {
  const cmd = program
    .command('publish')
    .description('publish a file (FLV, MP4, MOV, MKV or WebM; - for FLV on stdin), an ffmpeg input or a test pattern to an RTMP server')
    .usage('[options] <input> <url>\n       rtmp publish [options] --test-pattern <url>')
    .argument('[input]', 'file to send (FLV, or MP4/MOV/MKV/WebM with H.264/HEVC/AV1/VP9 and AAC/Opus/MP3/AC-3), - to read FLV from stdin, or an ffmpeg input with --transcode/--ffmpeg-args (none with --test-pattern)')
    .argument('[url]', 'rtmp://host[:port]/app[/instance]/stream-key')
    .option('--no-realtime', 'send as fast as the server takes it instead of pacing by timestamps')
    .option('--loop <n>', 'send the input n times (timestamps keep increasing; not with stdin)', '1')
    .option('--mode <mode>', 'publish type: live, record or append', 'live')
    .option('--json', 'write NDJSON events (publishing, progress, reconnecting, done, error) to stdout');
  addRetryOptions(cmd, 'after a dropped connection, publish again and resume at the next keyframe');
  addFfmpegPublishOptions(cmd);
  addCommonOptions(cmd).action((a: string | undefined, b: string | undefined, raw: PublishRaw) =>
    ctx.run(raw, (rep) => publishCommand(...publishOperands(a, b, raw), raw, rep, ctx)),
  );
}

async function publishCommand(input: string, rawUrl: string, raw: PublishRaw, reporter: Reporter, ctx: RunContext): Promise<number> {
  const { url, shownUrl, client: clientOpts } = setupCommon(rawUrl, raw, reporter);
  const loops = parseIntOption(raw.loop, '--loop', 1, 1_000_000);
  const mode = raw.mode as PublishMode;
  if (mode !== 'live' && mode !== 'record' && mode !== 'append') throw new UsageError(`--mode must be live, record or append, not '${raw.mode}'`);
  if (input === '-' && loops > 1) throw new UsageError('--loop needs a file: stdin can be read only once');

  const viaFfmpeg = await ffmpegPublishInput(input, raw, reporter, ctx.signal);
  // Check the input before touching the network: a missing file or a non-FLV fails fast.
  let fileSize = 0;
  if (input !== '-' && (viaFfmpeg?.readsFile ?? true)) {
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
  const read = (): AsyncGenerator<MediaPacket> => (viaFfmpeg ? viaFfmpeg.open({ onWarning, signal: ctx.signal }) : openMediaSource(input, { onWarning, signal: ctx.signal }));
  const first = read();
  const head = await first.next();
  const firstPass = prepend(head, first);
  let used = false;
  const open = (): AsyncIterable<MediaPacket> => {
    if (!used) {
      used = true;
      return firstPass;
    }
    return read();
  };
  const durationMs = viaFfmpeg?.durationMs ?? (head.done ? 0 : metadataDurationMs(head.value));

  const retry = raw.reconnect ? parseRetryOptions(raw) : undefined;
  // We honour the server's ReconnectRequest (Enhanced RTMP), so we say so in connect.
  // and we announce the codecs the metadata names (Enhanced RTMP capability negotiation).
  const codecs = head.done ? {} : metadataCodecs(head.value);
  const publishOpts: ClientOptions = { ...clientOpts, connect: { ...publishingCapabilities(codecs), ...clientOpts.connect }, role: 'publish', signal: ctx.signal };
  /** Where we publish: the URL given, or where a ReconnectRequest sent us. */
  let target = url;
  let shownTarget = shownUrl;
  reporter.step(`connecting to ${shownUrl}`);
  // The first packet is read already: a failed connect must end the source (an ffmpeg) too.
  let client = await RtmpClient.connect(url, publishOpts).catch(async (e: unknown) => {
    await first.return(undefined);
    throw e;
  });
  let stats: PublishStats | undefined;
  const started = performance.now();
  // --reconnect: publish again with backoff; the pump resends the headers and resumes at the next keyframe.
  const reconnect = retry
    ? async (error: unknown): Promise<NetStream> => {
        client.destroy();
        reporter.warn(`lost ${shownTarget}: ${error instanceof Error ? error.message : String(error)}`);
        for (let attempt = 1; ; attempt++) {
          const delayMs = backoffDelay(attempt, retry.minMs, retry.maxMs);
          reporter.warn(`reconnecting in ${formatMs(delayMs)} (attempt ${attempt} of ${retry.max})`);
          reporter.event('reconnecting', { url: shownTarget, attempt, delayMs });
          await sleep(delayMs, undefined, { signal: ctx.signal }).catch(() => undefined);
          if (ctx.signal.aborted) throw new AbortedError('interrupted');
          try {
            const again = await connectAndPublish(target, publishOpts, mode);
            client = again.client;
            reporter.info(`publishing to ${shownTarget} again`);
            reporter.event('publishing', { url: shownTarget, attempt });
            return again;
          } catch (e) {
            if (attempt >= retry.max || ctx.signal.aborted) throw e;
            reporter.warn(`reconnect failed: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      }
    : undefined;
  // ReconnectRequest: connect and publish on the new server at the next keyframe, then end the old connection.
  const switchover = async (request: ReconnectRequest): Promise<NetStream | undefined> => {
    const why = request.description ? ` (${request.description})` : '';
    try {
      const nextUrl = resolveReconnectUrl(target, request.tcUrl);
      const shownNext = redactUrl(nextUrl, raw.showKey ?? false);
      reporter.info(`${shownTarget} asked us to reconnect${why}; moving to ${shownNext} at this keyframe`);
      const moved = await connectAndPublish(nextUrl, publishOpts, mode);
      retirePublish(stream);
      client = moved.client;
      stream = moved;
      target = nextUrl;
      shownTarget = shownNext;
      reporter.event('switchover', { url: shownNext });
      return moved;
    } catch (e) {
      if (e instanceof AbortedError) throw e;
      reporter.warn(`could not follow the reconnect request: ${e instanceof Error ? e.message : String(e)}; staying on ${shownTarget}`);
      return undefined;
    }
  };
  let stream: NetStream;
  try {
    reporter.step(`publishing ${shownUrl}`);
    stream = await startPublish(client, url.stream, mode);
    reporter.stepDone(`publishing to ${shownUrl}`);
    reporter.event('publishing', { url: shownUrl, attempt: 0 });
    const total = durationMs > 0 ? durationMs * loops : 0;
    const bar = reporter.progress(total > 0 ? Math.round(total / 100) / 10 : Math.max(fileSize * loops, 1), total > 0 ? ' {bar} {value}/{total} s | {rate} | {bytes} | ETA {eta_formatted}' : ' {bar} {percentage}% | {media} | {rate} | {bytes}');
    const onProgress = (s: PublishStats): void => {
      const elapsed = (performance.now() - started) / 1000;
      const bitrate = (s.bytes * 8) / Math.max(elapsed, 0.001);
      reporter.progressEvent({ mediaMs: s.mediaMs, durationMs: total, packets: s.packets, bytes: s.bytes, bitrate: Math.round(bitrate) });
      bar.update(total > 0 ? Math.round(s.mediaMs / 100) / 10 : s.bytes, {
        rate: formatBitrate(bitrate),
        bytes: formatBytes(s.bytes),
        media: formatMs(s.mediaMs),
      });
    };
    try {
      const onReconnect = reconnect && (async (e: unknown): Promise<NetStream> => (stream = await reconnect(e)));
      stats = await pumpPublish(stream, { open, loops, realtime: raw.realtime, signal: ctx.signal, onProgress, switchover, ...(onReconnect ? { reconnect: onReconnect } : {}) });
    } catch (e) {
      // Interrupted, or ffmpeg died: still end the stream properly so the server and its players see a clean unpublish.
      if ((e instanceof AbortedError || e instanceof FfmpegError) && !client.error) {
        bar.stop();
        await stream.unpublish().catch(() => {});
        reporter.warn(`${e instanceof AbortedError ? 'interrupted' : 'ffmpeg failed'}; unpublished the stream`);
      }
      throw e;
    } finally {
      bar.stop();
    }
    await stream.unpublish();
  } finally {
    await client.close();
    await first.return(undefined);
  }
  const wall = (performance.now() - started) / 1000;
  reporter.event('done', { url: shownUrl, mediaMs: stats.mediaMs, video: stats.video, audio: stats.audio, bytes: stats.bytes, seconds: Number(wall.toFixed(3)), reconnects: stats.reconnects, switchovers: stats.switchovers, skipped: stats.skipped });
  reporter.success(
    `published ${formatMs(stats.mediaMs)} of media (${stats.video} video, ${stats.audio} audio packets, ${formatBytes(stats.bytes)}) to ${shownUrl} in ${wall.toFixed(1)} s, ${formatBitrate((stats.bytes * 8) / Math.max(wall, 0.001))}` +
      (stats.reconnects > 0 ? `; ${stats.reconnects} reconnect(s), ${stats.skipped} packets skipped to resume on keyframes` : '') +
      (stats.switchovers > 0 ? `; moved to a new connection ${stats.switchovers} time(s) as the server asked` : ''),
  );
  return 0;
}

/** Puts an already-read first result back in front of the rest of the generator. */
async function* prepend(head: IteratorResult<MediaPacket>, rest: AsyncGenerator<MediaPacket>): AsyncGenerator<MediaPacket> {
  if (head.done) return;
  yield head.value;
  yield* rest;
}

/** The FourCCs of the codecs an onMetaData packet names (videocodecid, audiocodecid). */
function metadataCodecs(p: MediaPacket): { video?: string | undefined; audio?: string | undefined } {
  const sd = parseScriptData(p.payload);
  if (!sd || sd.name !== 'onMetaData') return {};
  const meta = asObject(sd.value);
  return { video: fourCcOfCodecId('video', meta?.['videocodecid']), audio: fourCcOfCodecId('audio', meta?.['audiocodecid']) };
}

/** The `duration` field of an onMetaData packet, in ms (0 when absent). */
function metadataDurationMs(p: MediaPacket): number {
  const sd = parseScriptData(p.payload);
  if (!sd || sd.name !== 'onMetaData') return 0;
  const d = getNumber(asObject(sd.value), 'duration');
  return d !== undefined && Number.isFinite(d) && d > 0 ? d * 1000 : 0;
}
