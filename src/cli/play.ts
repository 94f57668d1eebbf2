/**
 * `rtmp play <url> -o <file.flv|->`: records a stream to FLV.
 */
import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import { RtmpClient } from '../client/rtmp-client.js';
import type { PlayEnd } from '../client/net-stream.js';
import { ConnectionError, IoError, UsageError } from '../errors.js';
import { parseScriptData } from '../flv/script-data.js';
import { PacketType } from '../media/packet.js';
import { TimestampUnwrapper } from '../media/timestamp.js';
import { FlvFileSink } from '../pipeline/flv-file-sink.js';
import { addCommonOptions, parseDuration, parseIntOption, setupCommon, type CommonRaw } from './options.js';
import { formatBitrate, formatBytes, formatMs, type Reporter } from './ui.js';
import type { RunContext } from './main.js';

interface PlayRaw extends CommonRaw {
  output?: string;
  force?: boolean;
  duration?: string;
  buffer: string;
  start: string;
  idleTimeout: string;
  live?: boolean;
}

export function registerPlay(program: Command, ctx: RunContext): void {
  const cmd = program
    .command('play')
    .description('play a stream from an RTMP server and record it to FLV')
    .argument('<url>', 'rtmp://host[:port]/app[/instance]/stream')
    .requiredOption('-o, --output <file>', 'FLV file to write, or - for stdout')
    .option('-y, --force', 'overwrite the output file if it exists')
    .option('--duration <duration>', 'stop after this much media time, e.g. 30s or 5m')
    .option('--buffer <ms>', 'buffer length sent with Set Buffer Length after play, in ms', '3000')
    .option('--start <seconds>', 'play start: -2 live or recorded, -1 live only, >= 0 seconds into a recording', '-2')
    .option('--live', 'same as --start -1: live streams only')
    .option('--idle-timeout <duration>', 'end the recording after this long without media (0 = never)', '30s');
  addCommonOptions(cmd).action((url: string, raw: PlayRaw) => ctx.run(raw, (rep) => playCommand(url, raw, rep, ctx)));
}

async function playCommand(rawUrl: string, raw: PlayRaw, reporter: Reporter, ctx: RunContext): Promise<number> {
  const { url, shownUrl, client: clientOpts } = setupCommon(rawUrl, raw, reporter);
  const output = raw.output ?? '-';
  const durationMs = raw.duration !== undefined ? parseDuration(raw.duration, '--duration') : 0;
  const bufferMs = parseIntOption(raw.buffer, '--buffer', 0, 0xffffffff);
  const idleMs = parseDuration(raw.idleTimeout, '--idle-timeout');
  const start = raw.live ? -1 : Number(raw.start);
  if (!Number.isFinite(start) || start < -2) throw new UsageError(`--start must be -2, -1 or a number of seconds, not '${raw.start}'`);
  if (output !== '-' && !raw.force) {
    const exists = await access(output).then(() => true, () => false);
    if (exists) throw new IoError(`'${output}' exists; use --force to overwrite`);
  }

  reporter.step(`connecting to ${shownUrl}`);
  const client = await RtmpClient.connect(url, { ...clientOpts, role: 'play', signal: ctx.signal });
  let sink: FlvFileSink | undefined;
  let end: PlayEnd | undefined;
  let media = 0;
  let bytes = 0;
  let spanMs = 0;
  let failure: unknown;
  const started = performance.now();
  try {
    const stream = await client.createStream();
    reporter.step(`playing ${shownUrl}`);
    // SIGINT/SIGTERM end the recording like the end of the stream: the file is finalized and we exit 0.
    const stopOnSignal = (): void => stream.stop();
    if (ctx.signal.aborted) stream.stop();
    ctx.signal.addEventListener('abort', stopOnSignal, { once: true });
    await stream.play(url.stream, { start, bufferMs });
    reporter.stepDone(`playing ${shownUrl}`);
    sink = await FlvFileSink.open(output, { force: raw.force ?? false });
    const live = reporter.progress(0, ' {media} recorded | {rate} | {bytes}');
    const unwrap = new TimestampUnwrapper();
    let first: number | undefined;
    let lastShown = 0;
    try {
      for await (const p of stream.packets({ idleTimeoutMs: idleMs })) {
        if (p.type === PacketType.Data) {
          // |RtmpSampleAccess is a server permission notice, not part of the stream.
          if (parseScriptData(p.payload)?.name === '|RtmpSampleAccess') continue;
        } else {
          const ts = unwrap.next(p.timestamp);
          first ??= ts;
          spanMs = Math.max(spanMs, ts - first);
          media++;
          if (durationMs > 0 && ts - first >= durationMs) {
            stream.stop();
            break;
          }
        }
        bytes += p.payload.length;
        await sink.write(p);
        const now = performance.now();
        if (now - lastShown > 200) {
          lastShown = now;
          live.update(0, { media: formatMs(spanMs), rate: formatBitrate((bytes * 8) / Math.max((now - started) / 1000, 0.001)), bytes: formatBytes(bytes) });
        }
      }
    } finally {
      live.stop();
      ctx.signal.removeEventListener('abort', stopOnSignal);
    }
    end = stream.end;
  } catch (e) {
    failure = e;
  }
  // The recording is finalized whatever happened, so what arrived stays a valid FLV.
  if (sink) await sink.close();
  await client.close();
  if (failure) {
    if (failure instanceof ConnectionError && media > 0) {
      throw new ConnectionError(`${failure.message} after ${formatMs(spanMs)} of media; the recording up to there is a valid FLV`, { cause: failure });
    }
    throw failure;
  }
  if (end?.reason === 'idle') {
    if (media === 0) reporter.warn(`no media arrived within ${formatMs(end.ms)} (--idle-timeout); the recording is empty`);
    else reporter.warn(`no media for ${formatMs(end.ms)} (--idle-timeout); ended the recording`);
  }
  const why = end === undefined ? 'ended' : end.reason === 'eof' ? 'stream ended' : end.reason === 'status' ? end.code : end.reason === 'stopped' ? (durationMs > 0 && spanMs >= durationMs ? 'duration reached' : 'stopped') : 'idle';
  reporter.success(`recorded ${formatMs(spanMs)} (${media} packets, ${formatBytes(bytes)}) from ${shownUrl} to ${output === '-' ? 'stdout' : output} (${why})`);
  return 0;
}
