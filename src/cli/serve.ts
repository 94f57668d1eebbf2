/**
 * `rtmp serve`: the embedded RTMP server, for local testing, development
 * and CI. Prints one line per connect, publish, play, unpublish and
 * disconnect (stream names are stream keys: shown as **** unless
 * --show-key), runs until SIGINT/SIGTERM, then unpublishes every stream,
 * finalizes every recording, closes every connection and exits 0.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { formatTrace } from '../client/trace.js';
import { decodeCommandValues } from '../rtmp/commands.js';
import { MessageType, type RtmpMessage } from '../rtmp/message.js';
import type { ConnectionInfo, ServerEvent } from '../server/rtmp-server.js';
import { parseIntOption } from './options.js';
import { formatBytes, formatMs, type Reporter } from './ui.js';
import type { RunContext } from './main.js';

interface ServeRaw {
  host: string;
  port: string;
  record?: string;
  allowKey?: string[];
  showKey?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/** Commands whose first argument is a stream name, i.e. a stream key. */
const NAMED_COMMANDS = new Set(['publish', 'play', 'releaseStream', 'FCPublish', 'FCUnpublish', 'FCSubscribe', 'getStreamLength']);

/** Adds `rtmp serve` to the program. */
export function registerServe(program: Command, ctx: RunContext): void {
  program
    .command('serve')
    .description('run a small RTMP server for local testing, development and CI (not for production)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '1935')
    .option('--record <dir>', 'record every published stream to <dir>/<name>-<YYYYMMDD-HHMMSS>.flv')
    .option('--allow-key <key...>', 'only these stream keys may publish (playing stays open)')
    .option('--show-key', 'print stream keys instead of ****')
    .option('-v, --verbose', 'trace every RTMP message in and out; stack traces on errors')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--json', 'write NDJSON events (listening, connect, publish, play, unpublish, record, disconnect, ...) to stdout')
    .action((raw: ServeRaw) => ctx.run(raw, (rep) => serveCommand(raw, rep, ctx)));
}

async function serveCommand(raw: ServeRaw, reporter: Reporter, ctx: RunContext): Promise<number> {
  const port = parseIntOption(raw.port, '--port', 0, 65535);
  // Loaded here, not at start-up: the other subcommands never need the server.
  const [{ RtmpServer }, { recordingBaseName }] = await Promise.all([import('../server/rtmp-server.js'), import('../server/recorder.js')]);
  const show = raw.showKey ?? false;
  const key = (app: string, name: string): string => `${app}/${show ? name : '****'}`;
  const file = (p: string, name: string): string => {
    if (show) return p;
    return path.join(path.dirname(p), path.basename(p).replace(recordingBaseName(name), '****'));
  };
  const who = (c: ConnectionInfo): string => c.remote;
  if (!show) reporter.addSecrets(...(raw.allowKey ?? []));

  const onEvent = (ev: ServerEvent): void => {
    if (reporter.json) return reporter.event(ev.type, eventFields(ev, key, file));
    switch (ev.type) {
      case 'connect':
        return reporter.info(`${who(ev.conn)} connected to app '${ev.app}'${handshakeNote(ev.conn)}`);
      case 'publish':
        return reporter.info(`${who(ev.conn)} publishes ${key(ev.app, ev.name)}`);
      case 'publish-refused':
        return reporter.warn(`${who(ev.conn)} may not publish ${key(ev.app, ev.name)}: ${ev.reason}`);
      case 'unpublish':
        return reporter.info(`${who(ev.conn)} unpublished ${key(ev.app, ev.name)} after ${formatMs(ev.durationMs)} (${ev.packets} packets, ${formatBytes(ev.bytes)})`);
      case 'play':
        return reporter.info(`${who(ev.conn)} plays ${key(ev.app, ev.name)}${ev.waiting ? ' (waiting for a publisher)' : ''}`);
      case 'stop':
        return reporter.info(`${who(ev.conn)} stopped playing ${key(ev.app, ev.name)}${ev.dropped > 0 ? ` (${ev.dropped} packets dropped: it read too slowly)` : ''}`);
      case 'drop':
        return reporter.warn(`${who(ev.conn)} reads ${key(ev.app, ev.name)} too slowly (${formatBytes(ev.queuedBytes)} queued): skipping to the next keyframe`);
      case 'record':
        return reporter.info(`recording ${key(ev.app, ev.name)} to ${file(ev.path, ev.name)}`);
      case 'record-done':
        return reporter.info(`recorded ${key(ev.app, ev.name)} to ${file(ev.path, ev.name)} (${formatMs(ev.durationMs)}, ${formatBytes(ev.bytes)})`);
      case 'record-error':
        return reporter.warn(`recording of ${key(ev.app, ev.name)} stopped: ${ev.error.message}`);
      case 'error':
        reporter.warn(`${who(ev.conn)}: ${ev.error.message}`);
        if (reporter.verbose && ev.error.stack) reporter.debug(ev.error.stack);
        return;
      case 'disconnect':
        return reporter.info(`${who(ev.conn)} disconnected${ev.reason ? ` (${ev.reason})` : ''}`);
      default: {
        const never: never = ev;
        return never;
      }
    }
  };

  const hidden = new Set<string>();
  const onMessage = raw.verbose
    ? (conn: ConnectionInfo, dir: 'in' | 'out', msg: RtmpMessage): void => {
        if (!show) hideNames(reporter, msg, hidden);
        reporter.debug(`${conn.remote} ${formatTrace(dir, msg)}`);
      }
    : undefined;

  const server = new RtmpServer({ host: raw.host, port, recordDir: raw.record, allowKeys: raw.allowKey, onEvent, onMessage });
  const bound = await server.listen();
  reporter.info(`listening on rtmp://${bound.host.includes(':') ? `[${bound.host}]` : bound.host}:${bound.port}`);
  reporter.event('listening', { host: bound.host, port: bound.port });
  if (raw.record !== undefined) reporter.info(`recording every publish to ${raw.record}`);
  if (raw.allowKey) reporter.info(`publishing allowed for ${raw.allowKey.length} stream key${raw.allowKey.length === 1 ? '' : 's'} only`);

  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  reporter.info('stopping: unpublishing streams, finalizing recordings, closing connections');
  await server.close();
  reporter.success(`stopped the server on port ${bound.port}`);
  reporter.event('stopped', { port: bound.port });
  return 0;
}

/** A server event as --json prints it: the connection as its address, stream keys and recording names masked like the text lines. */
function eventFields(ev: ServerEvent, key: (app: string, name: string) => string, file: (p: string, name: string) => string): object {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ev)) {
    if (k === 'type' || k === 'name' || k === 'tcUrl') continue; // a tcUrl may carry an auth query
    if (k === 'conn') out['remote'] = (v as ConnectionInfo).remote;
    else if (k === 'path' && 'name' in ev) out['path'] = file(v as string, ev.name);
    else if (k === 'error') out['error'] = (v as Error).message;
    else out[k] = v;
  }
  if ('name' in ev && 'app' in ev) out['stream'] = key(ev.app, ev.name);
  return out;
}

/** Registers the stream names a command carries as secrets before its trace line is printed. */
function hideNames(reporter: Reporter, msg: RtmpMessage, hidden: Set<string>): void {
  if (msg.typeId !== MessageType.CommandAmf0 && msg.typeId !== MessageType.CommandAmf3) return;
  try {
    const [name, , , first] = decodeCommandValues(msg);
    if (typeof name === 'string' && NAMED_COMMANDS.has(name) && typeof first === 'string' && first !== '') {
      for (const secret of [first, first.split('?')[0] ?? '']) {
        if (secret === '' || hidden.has(secret)) continue;
        hidden.add(secret);
        reporter.addSecrets(secret);
      }
    }
  } catch {
    // formatTrace reports undecodable messages itself
  }
}

/** ' (digest handshake, scheme 0, client 9.0.124.2)' when the client used the Flash Player 9 handshake. */
function handshakeNote(c: ConnectionInfo): string {
  const hs = c.handshake;
  if (hs?.clientDigest === undefined) return '';
  return ` (digest handshake, scheme ${hs.clientDigest}, client ${hs.clientVersion})`;
}
