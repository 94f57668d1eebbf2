/**
 * RtmpClient: the I/O shell around ClientSession. It owns the socket, the
 * order of writes, backpressure and timers; the session decides everything
 * else. Follows the protocol's steps: connect → createStream → publish/play.
 */
import type net from 'node:net';
import { debuglog } from 'node:util';
import type { AmfValue } from '../amf/value.js';
import { AbortedError, ConnectionError, RemoteStatusError, RtmpError, TimeoutError } from '../errors.js';
import type { Limits } from '../limits.js';
import { forwardingCapabilities } from '../rtmp/capabilities.js';
import { explainStatus, statusInfo, type ConnectParams, type StatusInfo } from '../rtmp/commands.js';
import type { ControlMessage } from '../rtmp/control.js';
import { ClientSession, type SessionEvent } from '../rtmp/session.js';
import { parseRtmpUrl, type RtmpUrl } from '../rtmp/url.js';
import type { RtmpMessage } from '../rtmp/message.js';
import { appendQuery } from '../rtmp/auth.js';
import { ConnectAuth, type Credentials } from './auth.js';
import { NetStream } from './net-stream.js';
import type { DigestScheme } from '../rtmp/digest.js';
import type { HandshakeInfo, HandshakeMode } from '../rtmp/handshake.js';
import { tlsDetails, type TlsDetails, type TlsOptions } from './tls.js';
import { describeSocketError, openSocket, runHandshake, startTls } from './transport.js';

const debug = debuglog('rtmp');

/** A connection closed within this many ms of the server accepting publish/play is reported as a likely refusal. */
const EARLY_CLOSE_MS = 1000;

/** connect fields an encoder sends when publishing (as FMLE, OBS and ffmpeg). */
const PUBLISHER_CONNECT = { type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; rtmp-toolkit)' } as const;

/**
 * connect fields a player sends (spec 7.2.1.1; the values ffmpeg's player
 * sends): no proxy, all capabilities, every audio codec (SUPPORT_SND_*) and
 * the video codecs up to H.264 (SUPPORT_VID_*), seek-to-keyframe support.
 */
const PLAYER_CONNECT = {
  flashVer: 'LNX 9,0,124,2',
  fpad: false,
  capabilities: 15,
  audioCodecs: 4071,
  videoCodecs: 252,
  videoFunction: 1,
  // Enhanced RTMP: any codec, multitrack and ModEx are taken as they come (we record and forward, never decode).
  ...forwardingCapabilities(),
} as const;

export interface ClientOptions {
  /** Timeout of every network step in ms (TCP connect, handshake, each command reply). Default 10000. */
  timeoutMs?: number;
  /** Outgoing chunk size (default 4096). */
  chunkSize?: number;
  signal?: AbortSignal;
  limits?: Partial<Limits>;
  /**
   * What the connection is for; it picks the connect object's defaults:
   * 'publish' sends what FMLE/OBS/ffmpeg send (type nonprivate, an FMLE
   * flashVer), 'play' what a player sends (capabilities and codec masks as
   * ffmpeg's player). Default 'play'.
   */
  role?: 'publish' | 'play';
  /**
   * Credentials for connect authentication (authmod=adobe or llnw); default:
   * the user and password in the URL. The server's challenge is answered on
   * a new TCP connection each time, as Adobe Media Server expects.
   */
  auth?: Credentials;
  /** Overrides for the connect command object (flashVer, swfUrl, pageUrl, extra properties...). */
  connect?: Partial<ConnectParams>;
  /** Every message in and out, for traces. */
  onMessage?: (direction: 'in' | 'out', message: RtmpMessage) => void;
  /** Server events that are not replies: onStatus on stream 0, onBWDone, control messages. */
  onEvent?: (event: ClientEvent) => void;
  /** Called as connect() passes each phase, for timing them (`rtmp probe`). */
  onPhase?: (phase: ConnectPhase) => void;
  /**
   * The handshake: 'digest' (default) is Flash Player 9's, with HMAC
   * digests, which some servers require; 'simple' is the specification's
   * plain handshake. Either accepts a plain or a digest answer.
   */
  handshake?: HandshakeMode;
  /** Digest handshake: where C1's digest goes (offset scheme 0, the default, or 1). */
  digestScheme?: DigestScheme;
  /** rtmps:// settings: extra CA, or no verification. Verification against the system CAs is on by default. */
  tls?: TlsOptions;
  /** Harmless surprises worth telling people about (a server digest that does not verify). */
  onWarning?: (text: string) => void;
}

/**
 * A phase of connect(): name resolved (host names only), TCP connected,
 * handshake done; `retry` when the server asked for authentication and
 * connect starts again on a new TCP connection (`reason` says why).
 */
export type ConnectPhase =
  | { phase: 'resolved'; address: string; family: number }
  | { phase: 'tcp'; remoteAddress: string; remotePort: number }
  | { phase: 'tls'; tls: TlsDetails }
  | { phase: 'handshake'; handshake: HandshakeInfo }
  | { phase: 'retry'; reason: string };

export type ClientEvent =
  | { type: 'control'; control: ControlMessage }
  | { type: 'status'; streamId: number; info: StatusInfo }
  | { type: 'command'; streamId: number; name: string; args: AmfValue[] };

/** What the server answered to `connect`. */
export interface ConnectResult {
  properties: AmfValue;
  information: StatusInfo | undefined;
}

interface Pending {
  step: string;
  resolve: (r: { ok: boolean; args: AmfValue[]; commandObject: AmfValue; info: StatusInfo | undefined }) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** An Enhanced RTMP `NetConnection.Connect.ReconnectRequest` from the server. */
export interface ReconnectRequest {
  /** Where to reconnect (absolute or relative); undefined means the current tcUrl. */
  tcUrl: string | undefined;
  description: string;
}

const RECONNECT_REQUEST = 'NetConnection.Connect.ReconnectRequest';

export class RtmpClient {
  readonly url: RtmpUrl;
  readonly timeoutMs: number;
  connectResult: ConnectResult | undefined;
  /** Set when the server asks the client to reconnect; see takeReconnectRequest(). */
  private reconnectRequest: ReconnectRequest | undefined;
  /** What the RTMP handshake learned about the server. */
  handshake: HandshakeInfo | undefined;
  /** rtmps:// only: the TLS protocol, cipher and server certificate. */
  tls: TlsDetails | undefined;
  private readonly socket: net.Socket;
  private readonly session: ClientSession;
  private readonly opts: ClientOptions;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, NetStream>();
  private closing = false;
  private failure: Error | undefined;
  private drainWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private readonly where: string;
  private started: { what: 'publish' | 'play'; at: number; accepted: boolean } | undefined;

  private constructor(url: RtmpUrl, socket: net.Socket, session: ClientSession, opts: ClientOptions) {
    this.url = url;
    this.socket = socket;
    this.session = session;
    this.opts = opts;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.where = whereOf(url);
  }

  /**
   * TCP connect, handshake and the `connect` command; resolves once the
   * server accepted it. A server that asks for authentication is answered
   * with the credentials (a new TCP connection per step); an AuthError
   * says why that failed.
   */
  static async connect(url: string | RtmpUrl, opts: ClientOptions = {}): Promise<RtmpClient> {
    const u = typeof url === 'string' ? parseRtmpUrl(url) : url;
    const fromUrl = u.user !== undefined && u.password !== undefined ? { user: u.user, password: u.password } : undefined;
    const auth = new ConnectAuth(opts.auth ?? fromUrl, u.app, whereOf(u));
    for (;;) {
      try {
        return await RtmpClient.connectOnce(u, opts, auth.query);
      } catch (e) {
        // Only connect rejections are RemoteStatusErrors here.
        if (!(e instanceof RemoteStatusError) || !auth.onReject(e.description)) throw e;
        debug('authentication: %s', auth.step);
        opts.onPhase?.({ phase: 'retry', reason: auth.step });
      }
    }
  }

  /** One TCP connection, handshake and connect, with `authQuery` appended to app and tcUrl. */
  private static async connectOnce(u: RtmpUrl, opts: ClientOptions, authQuery: string): Promise<RtmpClient> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const where = whereOf(u);
    const onPhase = opts.onPhase;
    const onLookup = onPhase ? (address: string, family: number): void => onPhase({ phase: 'resolved', address, family }) : undefined;
    const open = { host: u.host, port: u.port, timeoutMs, signal: opts.signal, onLookup };
    let socket = await openSocket(open);
    onPhase?.({ phase: 'tcp', remoteAddress: socket.remoteAddress ?? u.host, remotePort: socket.remotePort ?? u.port });
    let tls: TlsDetails | undefined;
    if (u.protocol === 'rtmps') {
      const secure = await startTls(socket, { ...open, tls: opts.tls ?? {} });
      socket = secure;
      tls = tlsDetails(secure);
      onPhase?.({ phase: 'tls', tls });
    }
    let hs;
    try {
      hs = await runHandshake(socket, timeoutMs, where, opts.signal, {
        mode: opts.handshake ?? 'digest',
        scheme: opts.digestScheme ?? 0,
        onWarning: opts.onWarning,
      });
    } catch (e) {
      socket.destroy();
      throw e;
    }
    const session = new ClientSession({ chunkSize: opts.chunkSize ?? 4096, limits: opts.limits, onMessage: opts.onMessage });
    onPhase?.({ phase: 'handshake', handshake: hs.info });
    debug('handshake: %o', hs.info);
    session.addHandshakeBytes(hs.bytesRead);
    const client = new RtmpClient(u, socket, session, opts);
    client.handshake = hs.info;
    client.tls = tls;
    client.attach(hs.rest);
    // The signal cancels connecting; once connected, callers decide how to
    // stop (play ends its iterator, publish unpublishes) so files and
    // streams end cleanly.
    const onAbort = (): void => client.fail(new AbortedError());
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (opts.signal?.aborted) throw new AbortedError();
      await client.doConnect(authQuery);
    } catch (e) {
      client.destroy();
      throw e;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    return client;
  }

  private attach(rest: Buffer): void {
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.fail(new ConnectionError(describeSocketError(err, this.where), { cause: err })));
    this.socket.on('close', () => {
      if (!this.closing) this.fail(new ConnectionError(`${this.where} closed the connection`));
      for (const s of this.streams.values()) s.onClose(this.failure);
    });
    this.socket.on('drain', () => {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w.resolve();
    });
    this.write(this.session.begin());
    if (rest.length > 0) this.onData(rest);
    this.socket.resume();
  }

  private async doConnect(authQuery: string): Promise<void> {
    const u = this.url;
    const params: ConnectParams = {
      ...(this.opts.role === 'publish' ? PUBLISHER_CONNECT : PLAYER_CONNECT),
      app: u.app,
      tcUrl: u.tcUrl,
      ...this.opts.connect,
    };
    // As ffmpeg: the authentication query follows both the app and the tcUrl.
    params.app = appendQuery(params.app, authQuery);
    params.tcUrl = appendQuery(params.tcUrl, authQuery);
    const { out, transactionId } = this.session.connect(params);
    const reply = this.await(transactionId, 'the reply to connect');
    this.write(out);
    const r = await reply;
    if (!r.ok) {
      const info = r.info;
      const code = info?.code ?? 'NetConnection.Connect.Rejected';
      throw new RemoteStatusError(code, info?.description ?? '', `${this.where} rejected connect to app '${u.app}': ${code}${info?.description ? ` (${info.description})` : ''}${explainStatus(code) ? ` — ${explainStatus(code)}` : ''}`);
    }
    this.connectResult = { properties: r.commandObject, information: r.info };
  }

  /** Whether the server has asked this connection to reconnect (Enhanced RTMP) and not been answered yet. */
  get reconnectRequested(): boolean {
    return this.reconnectRequest !== undefined;
  }

  /** The server's pending reconnect request, once: the caller acts on it. */
  takeReconnectRequest(): ReconnectRequest | undefined {
    const r = this.reconnectRequest;
    this.reconnectRequest = undefined;
    return r;
  }

  /** `createStream`; resolves with the NetStream the server allocated. */
  async createStream(): Promise<NetStream> {
    const { out, transactionId } = this.session.call('createStream', null);
    const reply = this.await(transactionId, 'the reply to createStream');
    this.write(out);
    const r = await reply;
    const id = r.args[0];
    if (!r.ok || typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new RemoteStatusError(r.info?.code ?? 'createStream.Failed', r.info?.description ?? '', `${this.where} did not create a stream${r.info ? `: ${r.info.code}` : ''}`);
    }
    const stream = new NetStream(this, this.session, id);
    this.streams.set(id, stream);
    return stream;
  }

  /** Sends a NetConnection command whose reply we do not wait for. */
  notify(name: string, args: AmfValue[]): void {
    this.write(this.session.notify(name, args));
  }

  /** Writes session output in order; false when the socket wants a drain. */
  write(bufs: Buffer[]): boolean {
    if (bufs.length === 0) return !this.socket.writableNeedDrain;
    if (this.failure) throw this.failure;
    if (bufs.length === 1) return this.socket.write(bufs[0]!);
    this.socket.cork();
    for (const b of bufs) this.socket.write(b);
    this.socket.uncork();
    return !this.socket.writableNeedDrain;
  }

  /**
   * Resolves when the socket's write buffer has drained. A server that stops
   * reading for longer than the step timeout fails the connection with a
   * TimeoutError, so a stalled publish never hangs.
   */
  drained(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new TimeoutError(`${this.where} to read what we sent`, this.timeoutMs)), this.timeoutMs);
      this.drainWaiters.push({
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Resolves once everything written so far has been handed to the OS. */
  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.socket.write(Buffer.alloc(0), (err) => (err ? reject(this.failure ?? err) : resolve()));
    });
  }

  /** Stops reading from the socket (the consumer is behind). */
  pauseInput(): void {
    this.socket.pause();
  }

  resumeInput(): void {
    this.socket.resume();
  }

  /** Bytes written but not yet handed to the OS (a slow peer makes this grow). */
  get queuedBytes(): number {
    return this.socket.writableLength;
  }

  /** Resolves when the connection is gone, with the error that ended it (undefined after close()). */
  whenClosed(): Promise<Error | undefined> {
    if (this.socket.destroyed) return Promise.resolve(this.failure);
    return new Promise((resolve) => this.socket.once('close', () => resolve(this.failure)));
  }

  /** Bytes received so far (including the handshake). */
  get bytesReceived(): number {
    return this.session.bytesReceived;
  }

  get bytesSent(): number {
    return this.socket.bytesWritten;
  }

  /** The chunk size, window and bandwidth the server set. */
  get serverSettings(): { chunkSize: number; windowAckSize: number; peerBandwidth: number | undefined } {
    return { chunkSize: this.session.inChunkSize, windowAckSize: this.session.windowAckSize, peerBandwidth: this.session.peerBandwidth };
  }

  /** Closes gracefully: flushes what was written, then ends the TCP connection. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.failure || this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, this.timeoutMs);
      this.socket.end(() => {
        clearTimeout(timer);
        this.socket.destroy();
        resolve();
      });
    });
  }

  /** Tears the connection down at once. */
  destroy(err?: Error): void {
    this.closing = true;
    if (err) this.fail(err);
    this.socket.destroy();
  }

  /** Registers a reply waiter for a transaction, with the step timeout. */
  await(transactionId: number, step: string): Promise<{ ok: boolean; args: AmfValue[]; commandObject: AmfValue; info: StatusInfo | undefined }> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transactionId);
        reject(new TimeoutError(`${step} from ${this.where}`, this.timeoutMs));
      }, this.timeoutMs);
      this.pending.set(transactionId, { step, resolve, reject, timer });
    });
  }

  /** The first error that broke the connection, if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  /**
   * @internal NetStream: publish or play was sent (`accepted` false) or the
   * server accepted it. A connection the server closes before it answers,
   * or soon after it accepted, is reported as a likely refusal.
   */
  noteStreamStep(what: 'publish' | 'play', accepted: boolean): void {
    this.started = { what, at: performance.now(), accepted };
  }

  /**
   * nginx-rtmp (on_publish/on_play answering 4xx) refuses a stream by
   * closing the connection instead of answering; node-media-server (bad
   * `sign=`) closes it just after saying Publish.Start: say so rather than
   * just "closed".
   */
  private explainEarlyClose(err: Error): Error {
    const s = this.started;
    if (!(err instanceof ConnectionError) || !s) return err;
    const ms = Math.round(performance.now() - s.at);
    if (s.accepted && ms > EARLY_CLOSE_MS) return err;
    const when = s.accepted ? `, ${ms} ms after it accepted ${s.what}` : ` in reply to ${s.what}`;
    return new ConnectionError(
      `${err.message}${when}: servers refuse a stream key, signature or token this way (node-media-server's sign=, nginx-rtmp's on_${s.what})`,
      { cause: err },
    );
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = this.closing ? err : this.explainEarlyClose(err);
    err = this.failure;
    debug('connection failed: %s', err.message);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err instanceof RtmpError ? err : new ConnectionError(err.message, { cause: err }));
    }
    this.pending.clear();
    for (const w of this.drainWaiters) w.reject(err);
    this.drainWaiters = [];
    for (const s of this.streams.values()) s.onClose(err);
    this.socket.destroy();
  }

  private onData(data: Buffer): void {
    if (this.failure) return;
    let events: SessionEvent[];
    try {
      const r = this.session.handleInput(data);
      if (r.out.length > 0) this.write(r.out);
      events = r.events;
    } catch (e) {
      this.fail(e instanceof Error ? e : new ConnectionError(String(e)));
      return;
    }
    for (const ev of events) this.handleEvent(ev);
  }

  /**
   * The one stream, for messages on a message stream id we did not create:
   * node-media-server, for one, sends a player's media on stream 0.
   */
  private onlyStream(): NetStream | undefined {
    return this.streams.size === 1 ? this.streams.values().next().value : undefined;
  }

  private handleEvent(ev: SessionEvent): void {
    switch (ev.type) {
      case 'result': {
        const p = this.pending.get(ev.transactionId);
        if (!p) return;
        this.pending.delete(ev.transactionId);
        clearTimeout(p.timer);
        p.resolve({ ok: ev.ok, args: ev.command.args, commandObject: ev.command.commandObject, info: statusInfo(ev.command) });
        return;
      }
      case 'status': {
        this.opts.onEvent?.({ type: 'status', streamId: ev.streamId, info: ev.info });
        if (ev.streamId === 0 && ev.info.code === RECONNECT_REQUEST) {
          const tcUrl = ev.info.raw['tcUrl'];
          this.reconnectRequest = { tcUrl: typeof tcUrl === 'string' ? tcUrl : undefined, description: ev.info.description };
          return;
        }
        // On stream 0 only NetStream.* codes can be meant for a stream (some servers send them there).
        const forStream = ev.streamId !== 0 || ev.info.code.startsWith('NetStream.');
        (this.streams.get(ev.streamId) ?? (forStream ? this.onlyStream() : undefined))?.onStatus(ev.info);
        return;
      }
      case 'media': {
        if (this.started?.what === 'play') this.started = undefined; // media flows: a close now is no refusal
        (this.streams.get(ev.streamId) ?? this.onlyStream())?.onMedia(ev.packet);
        return;
      }
      case 'control': {
        this.opts.onEvent?.({ type: 'control', control: ev.control });
        const c = ev.control;
        if (c.type === 'userControl' && c.streamId !== undefined) this.streams.get(c.streamId)?.onUserControl(c.event);
        return;
      }
      case 'command':
        this.opts.onEvent?.({ type: 'command', streamId: ev.streamId, name: ev.command.name, args: ev.command.args });
        if (ev.command.name === 'close') this.fail(new ConnectionError(`${this.where} closed the NetConnection`));
        return;
      case 'unknown':
        debug('ignoring message type %d', ev.message.typeId);
        return;
      default: {
        const never: never = ev;
        return never;
      }
    }
  }
}

/** `host:port` (IPv6 in brackets), for messages. */
function whereOf(u: RtmpUrl): string {
  return `${u.host.includes(':') ? `[${u.host}]` : u.host}:${u.port}`;
}
