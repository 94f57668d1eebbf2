/**
 * Options shared by the subcommands, validated once, up front, into the
 * library's option objects.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import type { ClientOptions } from '../client/rtmp-client.js';
import { formatTrace } from '../client/trace.js';
import { describeIoError } from '../pipeline/flv-file-source.js';
import { IoError, UrlError, UsageError } from '../errors.js';
import { describeHandshake } from '../rtmp/handshake.js';
import { parseRtmpUrl, redactUrl, type RtmpUrl, type RtmpUrlOverrides } from '../rtmp/url.js';
import { parseConnArgs } from '../rtmp/conn-args.js';
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
  keyFile?: string;
  tcUrl?: string;
  flashVer?: string;
  swfUrl?: string;
  pageUrl?: string;
  handshake: string;
  caFile?: string;
  insecure?: boolean;
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
    .option('--key-file <path>', 'read the stream key from this file (overrides the one in the URL; keeps it out of shell history)')
    .option('--tc-url <url>', 'tcUrl sent in connect (default: the URL without the stream)')
    .option('--flash-ver <text>', 'flashVer sent in connect')
    .option('--swf-url <url>', 'swfUrl sent in connect')
    .option('--page-url <url>', 'pageUrl sent in connect')
    .option('--handshake <type>', 'RTMP handshake: digest (Flash Player 9, with HMAC digests) or simple (plain)', 'digest')
    .option('--ca-file <pem>', 'rtmps://: also trust the CA certificate(s) in this PEM file')
    .option('--insecure', 'rtmps://: do not verify the server certificate or host name (unsafe)')
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
  const overrides: RtmpUrlOverrides = {};
  if (raw.app !== undefined) overrides.app = raw.app;
  if (raw.stream !== undefined) overrides.stream = raw.stream;
  if (raw.keyFile !== undefined) {
    if (raw.stream !== undefined) throw new UsageError('--stream and --key-file both name the stream; give one');
    overrides.stream = readKeyFile(raw.keyFile);
  }
  const envKey = process.env['RTMP_STREAM_KEY'];
  if (envKey !== undefined && envKey.trim() !== '') overrides.defaultStream = envKey.trim();
  if (raw.tcUrl !== undefined) overrides.tcUrl = raw.tcUrl;
  let url: RtmpUrl;
  try {
    url = parseRtmpUrl(rawUrl, overrides);
  } catch (e) {
    if (e instanceof UrlError && e.message.includes('no stream name or key')) {
      throw new UrlError(`${e.message}; the key may also come from --stream, --key-file or RTMP_STREAM_KEY`);
    }
    throw e;
  }
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
  const client: ClientOptions = { timeoutMs, chunkSize, connect, handshake: parseHandshake(raw.handshake), onWarning: (text) => rep.warn(text) };
  if (raw.verbose) {
    client.onMessage = (dir, msg) => rep.debug(formatTrace(dir, msg));
    client.onPhase = (p) => {
      if (p.phase === 'tls') rep.debug(`TLS: ${p.tls.protocol ?? '?'} ${p.tls.cipher}, certificate ${p.tls.subject ?? '?'} issued by ${p.tls.issuer ?? '?'}, valid until ${p.tls.validTo ?? '?'}${p.tls.authorized ? '' : ' (NOT verified)'}`);
      else if (p.phase === 'handshake') rep.debug(`handshake: ${describeHandshake(p.handshake)}`);
    };
  }
  client.tls = parseTlsOptions(raw, rep);
  if (user !== undefined && password !== undefined) client.auth = { user, password };
  return { url, shownUrl: redactUrl(url, raw.showKey ?? false), reporter: rep, client };
}

/** Keys are short; a bigger file is the wrong file (and must not end up in an error message). */
const MAX_KEY_FILE_BYTES = 4096;

/** The stream key in `path`: its first line, without surrounding white space. */
export function readKeyFile(path: string): string {
  let text: string;
  try {
    if (statSync(path).size > MAX_KEY_FILE_BYTES) throw new UsageError(`--key-file '${path}' is larger than ${MAX_KEY_FILE_BYTES} bytes; expected a file holding just the stream key`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw describeIoError('read the key file', path, e);
  }
  const key = (text.split(/\r?\n/).find((line) => line.trim() !== '') ?? '').trim();
  if (key === '') throw new UsageError(`--key-file '${path}' is empty`);
  return key;
}

function parseHandshake(text: string): 'simple' | 'digest' {
  if (text === 'simple' || text === 'digest') return text;
  throw new UsageError(`--handshake must be simple or digest, not '${text}'`);
}

/** --ca-file read once, up front; --insecure warned about (it only matters for rtmps://). */
function parseTlsOptions(raw: CommonRaw, rep: Reporter): NonNullable<ClientOptions['tls']> {
  const tls: NonNullable<ClientOptions['tls']> = {};
  if (raw.caFile !== undefined) {
    let pem: string;
    try {
      pem = readFileSync(raw.caFile, 'latin1');
    } catch (e) {
      throw new IoError(`cannot read --ca-file ${raw.caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca-file ${raw.caFile} holds no PEM certificate`);
    tls.ca = pem;
  }
  if (raw.insecure) {
    tls.insecure = true;
    rep.warn('--insecure: rtmps:// server certificates and host names are NOT verified; anyone in the path can read and change the stream');
  }
  return tls;
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
