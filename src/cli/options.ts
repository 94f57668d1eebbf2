/**
 * Options shared by the subcommands, validated once, up front, into the
 * library's option objects.
 */
import type { Command } from 'commander';
import type { ClientOptions } from '../client/rtmp-client.js';
import { formatTrace } from '../client/trace.js';
import { UsageError } from '../errors.js';
import { parseConnArgs } from '../rtmp/conn-args.js';
import { parseRtmpUrl, redactUrl, type RtmpUrl } from '../rtmp/url.js';
import { Reporter } from './ui.js';

/** The raw values commander hands us for the shared options. */
export interface CommonRaw {
  timeout: string;
  verbose?: boolean;
  quiet?: boolean;
  showKey?: boolean;
  chunkSize: string;
  app?: string;
  stream?: string;
  tcUrl?: string;
  flashVer?: string;
  swfUrl?: string;
  pageUrl?: string;
  user?: string;
  password?: string;
  conn?: string[];
}

/** Adds the options every network subcommand takes. */
export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('--timeout <duration>', 'timeout of each network step (TCP connect, handshake, each reply), e.g. 10s, 500ms', '10s')
    .option('--chunk-size <bytes>', 'outgoing chunk size, announced with Set Chunk Size (128..65536)', '4096')
    .option('--app <name>', 'application name (overrides the one in the URL)')
    .option('--stream <name>', 'stream name or key (overrides the one in the URL)')
    .option('--tc-url <url>', 'tcUrl sent in connect (default: the URL without the stream)')
    .option('--flash-ver <text>', 'flashVer sent in connect')
    .option('--swf-url <url>', 'swfUrl sent in connect')
    .option('--page-url <url>', 'pageUrl sent in connect')
    .option('--user <name>', 'user name for connect authentication (authmod=adobe or llnw; default: the one in the URL)')
    .option('--password <password>', 'password for connect authentication (default: the URL\'s, else $RTMP_PASSWORD)')
    .option('--conn <item>', 'extra AMF argument for connect in rtmpdump\'s syntax (B:1, N:3.5, S:text, Z:, O:1 ... O:0, NS:name:value inside objects); repeatable', collect)
    .option('--show-key', 'print stream keys and passwords instead of ****')
    .option('-v, --verbose', 'trace every RTMP message in and out; stack traces on errors')
    .option('-q, --quiet', 'print nothing but errors');
}

/** commander reducer for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** "10s", "1.5s", "500ms", "2m", "3" (seconds) → milliseconds. */
export function parseDuration(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${option} must be a duration such as 10s, 500ms or 2m, not '${text}'`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}

/** An integer option within [min, max]. */
export function parseIntOption(text: string, option: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${option} must be a whole number, not '${text}'`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${option} must be between ${min} and ${max}, not ${n}`);
  return n;
}

export interface CommonSetup {
  url: RtmpUrl;
  /** The URL as it may be printed. */
  shownUrl: string;
  reporter: Reporter;
  client: ClientOptions;
}

/** Parses the URL and shared options, builds the reporter (with the secrets to redact) and client options. */
export function setupCommon(rawUrl: string, raw: CommonRaw, reporter?: Reporter): CommonSetup {
  const rep = reporter ?? new Reporter({ quiet: raw.quiet ?? false, verbose: raw.verbose ?? false });
  const overrides: { app?: string; stream?: string; tcUrl?: string } = {};
  if (raw.app !== undefined) overrides.app = raw.app;
  if (raw.stream !== undefined) overrides.stream = raw.stream;
  if (raw.tcUrl !== undefined) overrides.tcUrl = raw.tcUrl;
  const url = parseRtmpUrl(rawUrl, overrides);
  // --password wins over the URL's, which wins over $RTMP_PASSWORD (kept out of argv and shell history).
  const user = raw.user ?? url.user;
  const password = raw.password ?? url.password ?? process.env['RTMP_PASSWORD'];
  if (raw.password !== undefined && user === undefined) throw new UsageError('--password needs a user name: --user <name> or rtmp://user@host/app/key');
  if (!raw.showKey) {
    const secrets = [url.stream, url.password ?? '', password ?? ''];
    const bare = url.stream.split('?')[0] ?? '';
    if (bare !== url.stream) secrets.push(bare);
    rep.addSecrets(...secrets.filter((s) => s.length > 0));
  }
  const timeoutMs = parseDuration(raw.timeout, '--timeout');
  if (timeoutMs <= 0) throw new UsageError('--timeout must be greater than zero');
  const chunkSize = parseIntOption(raw.chunkSize, '--chunk-size', 128, 65536);
  const connect: ClientOptions['connect'] = {};
  if (raw.flashVer !== undefined) connect.flashVer = raw.flashVer;
  if (raw.swfUrl !== undefined) connect.swfUrl = raw.swfUrl;
  if (raw.pageUrl !== undefined) connect.pageUrl = raw.pageUrl;
  if (raw.conn) connect.extraArgs = parseConnArgs(raw.conn);
  const client: ClientOptions = { timeoutMs, chunkSize, connect };
  if (user !== undefined && password !== undefined) client.auth = { user, password };
  if (raw.verbose) client.onMessage = (dir, msg) => rep.debug(formatTrace(dir, msg));
  return { url, shownUrl: redactUrl(url, raw.showKey ?? false), reporter: rep, client };
}

/** Raw values of the reconnect options of publish and play. */
export interface RetryRaw {
  reconnect?: boolean;
  maxRetries: string;
  retryMin: string;
  retryMax: string;
}

/** Adds --reconnect and its retry bounds (relay has its own, on by default). */
export function addRetryOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--reconnect', what)
    .option('--max-retries <n>', 'with --reconnect: failed attempts in a row before giving up', '10')
    .option('--retry-min <duration>', 'with --reconnect: first delay, doubled after each failure', '1s')
    .option('--retry-max <duration>', 'with --reconnect: longest delay', '30s');
}

/** Validated retry settings. */
export function parseRetryOptions(raw: RetryRaw): { max: number; minMs: number; maxMs: number } {
  const minMs = parseDuration(raw.retryMin, '--retry-min');
  const maxMs = parseDuration(raw.retryMax, '--retry-max');
  if (minMs <= 0 || maxMs < minMs) throw new UsageError('--retry-min must be > 0 and no more than --retry-max');
  return { max: parseIntOption(raw.maxRetries, '--max-retries', 1, 1_000_000), minMs, maxMs };
}
