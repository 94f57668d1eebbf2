/**
 * RtmpServer: a small live RTMP server for local testing, development and
 * CI (not a production server). Publishers (one per stream name) fan out to
 * any number of players; the latest metadata, sequence headers and GOP are
 * kept so that a new player starts on a keyframe; every publish can be
 * recorded to FLV. Built on the same sans-I/O core as the client.
 */
import { mkdir, stat } from 'node:fs/promises';
import net from 'node:net';
import { ConnectionError, IoError, UsageError } from '../errors.js';
import { resolveLimits, type Limits } from '../limits.js';
import type { RtmpMessage } from '../rtmp/message.js';
import type { ServerHandshakeInfo } from '../rtmp/server-handshake.js';
import { ServerConnection } from './server-connection.js';
import { StreamRegistry } from './stream-registry.js';

/** Options of `RtmpServer`; every one has a finite default. */
export interface RtmpServerOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind (default 1935; 0 picks a free one, reported by listen()). */
  port?: number;
  /** Record every publish to `<dir>/<name>-<YYYYMMDD-HHMMSS>.flv` (created if missing). */
  recordDir?: string;
  /** Only these stream names may be published (default: any). Playing is open. */
  allowKeys?: readonly string[];
  /** Handshake and connect must complete within this many ms (default 10000). */
  handshakeTimeoutMs?: number;
  /** How long close() waits for each client before destroying its socket (default 2000). */
  closeTimeoutMs?: number;
  /** Outgoing chunk size (default 4096). */
  chunkSize?: number;
  /** Largest GOP kept for late joiners, in payload bytes (default limits.maxGopCacheBytes, 32 MiB); a longer GOP is dropped. */
  gopCacheBytes?: number;
  /** Bytes queued on a player's socket beyond which its audio/video is dropped until the next keyframe (default limits.maxPlayerQueueBytes, 4 MiB). */
  playerQueueBytes?: number;
  /** Simultaneous connections (default limits.maxServerConnections, 256); more are refused at accept. */
  maxConnections?: number;
  /** Limits applied to what clients send. */
  limits?: Partial<Limits>;
  /**
   * Decides each `connect` before it is accepted: a description refuses it
   * with NetConnection.Connect.Rejected (and closes the connection), as
   * Adobe Media Server refuses a connect that must authenticate first;
   * undefined accepts it. `app` is as the client sent it, query included.
   */
  checkConnect?: (connect: { app: string; tcUrl: string | undefined; conn: ConnectionInfo }) => string | undefined;
  /** Server events (connect, publish, play, unpublish, disconnect, errors, recordings). */
  onEvent?: (event: ServerEvent) => void;
  /** Every message in and out of every connection, for --verbose traces. */
  onMessage?: (conn: ConnectionInfo, direction: 'in' | 'out', message: RtmpMessage) => void;
}

/** Identifies a connection in events: a serial number and the peer's address:port. */
export interface ConnectionInfo {
  id: number;
  remote: string;
  /** The client's handshake (set once it is complete): its version, and the digest scheme if it used one. */
  handshake?: ServerHandshakeInfo;
}

/** What happens on the server, for logs. Stream names are stream keys: redact them when printing. */
export type ServerEvent =
  | { type: 'connect'; conn: ConnectionInfo; app: string; tcUrl: string | undefined }
  | { type: 'publish'; conn: ConnectionInfo; app: string; name: string }
  | { type: 'publish-refused'; conn: ConnectionInfo; app: string; name: string; reason: string }
  | { type: 'unpublish'; conn: ConnectionInfo; app: string; name: string; packets: number; bytes: number; durationMs: number }
  | { type: 'play'; conn: ConnectionInfo; app: string; name: string; waiting: boolean }
  /** A player left (or stopped playing); `dropped` counts packets it was too slow for. */
  | { type: 'stop'; conn: ConnectionInfo; app: string; name: string; dropped: number }
  /** A player fell behind and is skipped to the next keyframe. */
  | { type: 'drop'; conn: ConnectionInfo; app: string; name: string; queuedBytes: number }
  | { type: 'record'; app: string; name: string; path: string }
  | { type: 'record-done'; app: string; name: string; path: string; bytes: number; durationMs: number }
  | { type: 'record-error'; app: string; name: string; error: Error }
  /** The connection broke the protocol, exceeded a limit or timed out; a disconnect follows. */
  | { type: 'error'; conn: ConnectionInfo; error: Error }
  | { type: 'disconnect'; conn: ConnectionInfo; reason: string | undefined };

/** A live RTMP server on one address and port. */
export class RtmpServer {
  private readonly opts: RtmpServerOptions;
  private readonly registry: StreamRegistry;
  private readonly connections = new Set<ServerConnection>();
  private server: net.Server | undefined;
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private bound: { host: string; port: number } | undefined;

  constructor(opts: RtmpServerOptions = {}) {
    this.opts = opts;
    const port = opts.port ?? 1935;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`port must be 0..65535, not ${port}`);
    const limits = resolveLimits(opts.limits);
    this.registry = new StreamRegistry({
      recordDir: opts.recordDir,
      allowKeys: opts.allowKeys ? new Set(opts.allowKeys) : undefined,
      gopCacheBytes: opts.gopCacheBytes ?? limits.maxGopCacheBytes,
      playerQueueBytes: opts.playerQueueBytes ?? limits.maxPlayerQueueBytes,
      emit: (ev) => this.emit(ev),
    });
  }

  /** The bound address, once listening. */
  get address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  /** The streams published or waited on now: app, name, whether a publisher is live, how many players. */
  streams(): Array<{ app: string; name: string; publishing: boolean; players: number }> {
    return this.registry.list().map((st) => ({ app: st.app, name: st.name, publishing: st.publisher !== undefined, players: st.players.size }));
  }

  /**
   * Sends an Enhanced RTMP ReconnectRequest to every connected client (to
   * `tcUrl` when given: absolute or relative to the client's own). The
   * server goes on serving them until they leave. Returns how many were asked.
   */
  requestReconnect(opts: { tcUrl?: string; description?: string } = {}): number {
    let n = 0;
    for (const c of this.connections) if (c.requestReconnect(opts.tcUrl, opts.description ?? 'The server asks the client to reconnect.')) n++;
    return n;
  }

  /** `rtmp://host:port/app/name` for this server. */
  url(app: string, name: string): string {
    const a = this.bound ?? { host: this.opts.host ?? '127.0.0.1', port: this.opts.port ?? 1935 };
    return `rtmp://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/${app}/${name}`;
  }

  /**
   * Prepares the record directory and binds. Resolves with the real port (so
   * port 0 works); a port in use or a bad address is a ConnectionError, an
   * unusable record directory an IoError.
   */
  async listen(): Promise<{ host: string; port: number }> {
    if (this.server) throw new Error('RtmpServer.listen() called twice');
    if (this.opts.recordDir !== undefined) await prepareDir(this.opts.recordDir);
    const host = this.opts.host ?? '127.0.0.1';
    const port = this.opts.port ?? 1935;
    const server = net.createServer((socket) => this.accept(socket));
    server.maxConnections = this.opts.maxConnections ?? resolveLimits(this.opts.limits).maxServerConnections;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => reject(new ConnectionError(describeListenError(err, host, port), { cause: err }));
      server.once('error', onError);
      server.listen({ host, port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', () => undefined);
    const addr = server.address() as net.AddressInfo;
    this.bound = { host, port: addr.port };
    return this.bound;
  }

  /**
   * Stops accepting, unpublishes every stream (players get UnpublishNotify
   * and StreamEOF), finalizes every recording and ends every connection.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const server = this.server;
      const closed = server?.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      for (const c of this.connections) this.registry.leave(c);
      await Promise.all([...this.connections].map((c) => c.close()));
      await this.registry.settled();
      await closed;
    })();
    return this.closing;
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const conn = new ServerConnection(socket, this.nextId++, {
      registry: this.registry,
      handshakeTimeoutMs: this.opts.handshakeTimeoutMs ?? 10_000,
      closeTimeoutMs: this.opts.closeTimeoutMs ?? 2000,
      chunkSize: this.opts.chunkSize ?? 4096,
      limits: this.opts.limits,
      emit: (ev) => this.emit(ev),
      onMessage: this.opts.onMessage,
      checkConnect: this.opts.checkConnect,
    });
    this.connections.add(conn);
    void conn.done.then(() => this.connections.delete(conn));
  }

  private emit(ev: ServerEvent): void {
    try {
      this.opts.onEvent?.(ev);
    } catch {
      // A listener's failure must not break the connection that caused the event.
    }
  }
}

/** Creates the record directory if needed and checks it is one. */
async function prepareDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    if (!(await stat(dir)).isDirectory()) throw new IoError(`record directory '${dir}' is not a directory`);
  } catch (e) {
    if (e instanceof IoError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EEXIST' || code === 'ENOTDIR' ? 'not a directory' : (e as Error).message;
    throw new IoError(`cannot use record directory '${dir}': ${why}`, { cause: e });
  }
}

/** One line for a failed bind. */
function describeListenError(err: NodeJS.ErrnoException, host: string, port: number): string {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the address is already in use (is another RTMP server running? try --port)`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: no such address on this machine`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${where}: cannot resolve the host`;
    default:
      return `cannot listen on ${where}: ${err.message}`;
  }
}
