/**
 * `rtmp relay <source-url> <dest-url>...`: one source to many destinations.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { runRelay, type RelayDestination, type RelayEvent } from '../pipeline/relay.js';
import { parseRtmpUrl, redactUrl } from '../rtmp/url.js';
import { ExitCode } from './exit-codes.js';
import type { RunContext } from './main.js';
import { addCommonOptions, collect, parseDuration, parseIntOption, setupCommon, type CommonRaw } from './options.js';
import { formatBitrate, formatBytes, formatMs, type Reporter } from './ui.js';

interface RelayRaw extends CommonRaw {
  reconnect: boolean;
  maxRetries: string;
  sourceRetries: string;
  retryMin: string;
  retryMax: string;
  duration?: string;
  buffer: string;
  idleTimeout: string;
  maxQueue: string;
  backup: string[];
  failoverAfter: string;
  json?: boolean;
}

export function registerRelay(program: Command, ctx: RunContext): void {
  const cmd = program
    .command('relay')
    .description('play one RTMP stream and publish it to one or more destinations')
    .argument('<source>', 'rtmp://host[:port]/app/stream to play')
    .argument('<destinations...>', 'rtmp:// URLs to publish to')
    .option('--no-reconnect', 'give up on a destination (or the source) at its first failure')
    .option('--max-retries <n>', 'consecutive failed attempts before a destination is given up', '10')
    .option('--source-retries <n>', 'consecutive failed attempts before the source is given up', '10')
    .option('--retry-min <duration>', 'first reconnect delay; doubles on each failure', '1s')
    .option('--retry-max <duration>', 'longest reconnect delay', '30s')
    .option('--duration <duration>', 'stop after this much media time')
    .option('--buffer <ms>', 'Set Buffer Length for the source play, in ms', '3000')
    .option('--idle-timeout <duration>', 'end when the source sends no media for this long (0 = never)', '30s')
    .option('--max-queue <bytes>', 'a destination with more than this queued drops media until the next keyframe', '8388608')
    .option('--backup <n=url>', 'backup ingest for destination n (1-based); repeatable', collect, [] as string[])
    .option('--failover-after <n>', 'failed attempts in a row on one ingest before switching to its backup (and back)', '3')
    .option('--json', 'write NDJSON events (source, destination, failover, stats) to stdout');
  addCommonOptions(cmd).action((source: string, destinations: string[], raw: RelayRaw) =>
    ctx.run(raw, (rep) => relayCommand(source, destinations, raw, rep, ctx)),
  );
}

async function relayCommand(rawSource: string, rawDests: string[], raw: RelayRaw, reporter: Reporter, ctx: RunContext): Promise<number> {
  // --app/--stream/--tc-url/--user/--password apply to the source; destinations are taken as written (credentials in their URLs).
  const { url, shownUrl, client } = setupCommon(rawSource, raw, reporter);
  const destinations = rawDests.map((d) => {
    const u = parseRtmpUrl(d);
    if (!raw.showKey) reporter.addSecrets(u.stream, u.password ?? '');
    return { url: u, shown: redactUrl(u, raw.showKey ?? false) };
  });
  if (destinations.length === 0) throw new UsageError('relay needs at least one destination URL');
  const withBackups: RelayDestination[] = destinations.map((d) => ({ ...d }));
  for (const spec of raw.backup) {
    const m = /^(\d+)=(.+)$/.exec(spec);
    const n = m ? Number(m[1]) : NaN;
    if (!m || n < 1 || n > destinations.length) {
      throw new UsageError(`--backup takes <n>=<url> with n from 1 to ${destinations.length} (the destination it backs up), not '${spec}'`);
    }
    const u = parseRtmpUrl(m[2]!);
    if (!raw.showKey) reporter.addSecrets(u.stream, u.password ?? '');
    withBackups[n - 1]!.backup = { url: u, shown: redactUrl(u, raw.showKey ?? false) };
  }
  const retryMin = parseDuration(raw.retryMin, '--retry-min');
  const retryMax = parseDuration(raw.retryMax, '--retry-max');
  if (retryMin <= 0 || retryMax < retryMin) throw new UsageError('--retry-min must be > 0 and no more than --retry-max');
  const json = raw.json ?? false;

  const board = reporter.board(destinations.length, ' {name} {state} | {rate} | {bytes} | reconnects {reconnects} {error}');
  const lastBytes = new Map<number, number>();
  const onEvent = (e: RelayEvent): void => {
    reporter.event(e.type, e);
    if (json) return;
    if (e.type === 'stats') {
      for (const d of e.destinations) {
        const rate = ((d.bytes - (lastBytes.get(d.index) ?? 0)) * 8) / 1;
        lastBytes.set(d.index, d.bytes);
        board.update(d.index, {
          name: d.url,
          state: d.state.padEnd(12),
          rate: formatBitrate(rate),
          bytes: formatBytes(d.bytes),
          reconnects: String(d.reconnects),
          error: d.state === 'live' || !d.lastError ? '' : `| ${d.lastError}`,
        });
      }
      return;
    }
    if (e.type === 'switchover') {
      if (e.error) reporter.warn(`destination ${e.index + 1}: could not follow the server's reconnect request to ${e.to}: ${e.error}; staying on ${e.from}`);
      else reporter.info(`destination ${e.index + 1}: moved from ${e.from} to ${e.to} at a keyframe, as the server asked`);
      return;
    }
    if (e.type === 'failover') {
      reporter.warn(`destination ${e.index + 1}: ${e.after} failed attempts on ${e.from}; switching to ${e.to}`);
      return;
    }
    if (reporter.interactive) return; // the board shows states
    if (e.type === 'source') {
      if (e.state === 'reconnecting') reporter.warn(`source ${e.url}: ${e.error}; reconnecting in ${formatMs(e.delayMs ?? 0)} (attempt ${e.attempt})`);
      else if (e.state === 'playing') reporter.info(`playing ${e.url}`);
    } else if (e.type === 'destination') {
      if (e.state === 'live') reporter.info(`publishing to ${e.url}`);
      else if (e.state === 'reconnecting') reporter.warn(`${e.url}: ${e.error}; reconnecting in ${formatMs(e.delayMs ?? 0)} (attempt ${e.attempt})`);
      else if (e.state === 'failed') reporter.warn(`${e.url}: giving up: ${e.error}`);
    }
  };

  let result;
  try {
    result = await runRelay({
      source: { url, shown: shownUrl },
      destinations: withBackups,
      client,
      bufferMs: parseIntOption(raw.buffer, '--buffer', 0, 0xffffffff),
      reconnect: raw.reconnect,
      maxRetries: parseIntOption(raw.maxRetries, '--max-retries', 0, 1_000_000),
      sourceRetries: parseIntOption(raw.sourceRetries, '--source-retries', 0, 1_000_000),
      failoverAfter: parseIntOption(raw.failoverAfter, '--failover-after', 1, 1_000_000),
      backoffMinMs: retryMin,
      backoffMaxMs: retryMax,
      durationMs: raw.duration !== undefined ? parseDuration(raw.duration, '--duration') : 0,
      idleTimeoutMs: parseDuration(raw.idleTimeout, '--idle-timeout'),
      maxQueueBytes: parseIntOption(raw.maxQueue, '--max-queue', 65536, 2 ** 31),
      signal: ctx.signal,
      onEvent,
    });
  } finally {
    board.stop();
  }
  for (const d of result.destinations) {
    const line = `${d.url}: ${d.packets} packets, ${formatBytes(d.bytes)}, ${d.reconnects} reconnects, ${d.missed} media packets missed${d.state === 'failed' ? `, failed: ${d.lastError}` : ''}`;
    reporter.info(line);
  }
  reporter.event('done', { complete: result.complete, mediaMs: result.mediaMs, sourcePackets: result.sourcePackets, destinations: result.destinations });
  const summary = `relayed ${formatMs(result.mediaMs)} of media (${result.sourcePackets} packets) to ${destinations.length} destination(s)`;
  if (result.complete) {
    reporter.success(`${summary}; every destination got the whole stream`);
    return ExitCode.Ok;
  }
  reporter.error(`${summary}; some destinations missed part of the stream (see above)`);
  return ExitCode.Partial;
}
