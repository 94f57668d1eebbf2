/**
 * One client connection of an RtmpServer: the I/O shell around
 * ServerHandshake and ServerSession. It owns the socket, the order of
 * writes and the one timer (handshake plus connect must finish in time);
 * the session parses and encodes, the registry decides who gets what.
 */
import type net from 'node:net';
import { debuglog } from 'node:util';
import { ConnectionError, TimeoutError } from '../errors.js';
import type { Limits } from '../limits.js';
import type { RtmpMessage } from '../rtmp/message.js';
import { ServerHandshake } from '../rtmp/server-handshake.js';
import { ServerSession, type ServerSessionEvent } from '../rtmp/server-session.js';
import type { Endpoint } from './player.js';
import type { ConnectionInfo, RtmpServerOptions, ServerEvent } from './rtmp-server.js';
import type { StreamRegistry } from './stream-registry.js';

const debug = debuglog('rtmp');

/** What a connection needs from its server. */
export interface ConnectionContext {
  registry: StreamRegistry;
  /** Handshake and connect must complete within this many ms. */
  handshakeTimeoutMs: number;
  /** How long close() waits for a graceful end before destroying the socket. */
  closeTimeoutMs: number;
  chunkSize: number;
  limits: Partial<Limits> | undefined;
  emit(event: ServerEvent): void;
  onMessage: ((conn: ConnectionInfo, direction: 'in' | 'out', message: RtmpMessage) => void) | undefined;
  checkConnect: RtmpServerOptions['checkConnect'];
}

/** A connected client, from handshake to close. */
export class ServerConnection implements Endpoint {
  readonly info: ConnectionInfo;
  readonly session: ServerSession;
  private readonly handshake = new ServerHandshake();
  private timer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  private reported = false;
  private closed = false;
  /** Resolves once the socket has closed. */
  readonly done: Promise<void>;

  constructor(
    private readonly socket: net.Socket,
    id: number,
    private readonly ctx: ConnectionContext,
  ) {
    const host = socket.remoteAddress ?? '?';
    this.info = { id, remote: `${host.includes(':') ? `[${host}]` : host}:${socket.remotePort ?? 0}` };
    const onMessage = ctx.onMessage;
    this.session = new ServerSession({
      chunkSize: ctx.chunkSize,
      limits: ctx.limits,
      onMessage: onMessage ? (dir, msg) => onMessage(this.info, dir, msg) : undefined,
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    this.timer = setTimeout(() => this.fail(new TimeoutError('the RTMP handshake and connect', ctx.handshakeTimeoutMs)), ctx.handshakeTimeoutMs);
    this.done = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // ffmpeg, ffplay and others hang up with a reset: that is how they close, not a failure.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
      this.failure ??= new ConnectionError(err.message, { cause: err });
    });
    socket.on('close', () => this.onClose());
  }

  get queuedBytes(): number {
    return this.socket.writableLength;
  }

  /** Writes session output in order, as one corked batch. */
  write(bufs: Buffer[]): void {
    if (bufs.length === 0 || this.closed || this.socket.destroyed) return;
    if (bufs.length === 1) {
      this.socket.write(bufs[0]!);
      return;
    }
    this.socket.cork();
    for (const b of bufs) this.socket.write(b);
    this.socket.uncork();
  }

  /** Asks the client to reconnect (Enhanced RTMP ReconnectRequest), once it has connected. Returns whether it was sent. */
  requestReconnect(tcUrl: string | undefined, description: string): boolean {
    if (this.session.app === undefined || this.closed) return false;
    this.write(this.session.reconnectRequest(tcUrl, description));
    return true;
  }

  /** Ends the connection: what was written is flushed, then the socket closes (destroyed after closeTimeoutMs). */
  close(): Promise<void> {
    if (!this.socket.destroyed) {
      this.socket.end();
      const t = setTimeout(() => this.socket.destroy(), this.ctx.closeTimeoutMs);
      void this.done.then(() => clearTimeout(t));
    }
    return this.done;
  }

  private fail(err: Error): void {
    if (this.reported || this.socket.destroyed) return;
    this.reported = true;
    this.failure = err;
    this.ctx.emit({ type: 'error', conn: this.info, error: err });
    this.socket.destroy();
  }

  private onClose(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.ctx.registry.leave(this);
    // A failure already reported as an 'error' event is not repeated as the reason.
    this.ctx.emit({ type: 'disconnect', conn: this.info, reason: this.reported ? undefined : this.failure?.message });
  }

  private onData(data: Buffer): void {
    if (this.socket.destroyed) return;
    let events: ServerSessionEvent[];
    try {
      let input = data;
      if (!this.handshake.done) {
        const step = this.handshake.push(data);
        if (step.send) this.write([step.send]);
        if (!step.done) return;
        this.session.addHandshakeBytes(this.handshake.bytesRead);
        this.info.handshake = this.handshake.info;
        input = step.rest ?? Buffer.alloc(0);
        if (input.length === 0) return;
      }
      const r = this.session.handleInput(input);
      this.write(r.out);
      events = r.events;
    } catch (e) {
      this.fail(e instanceof Error ? e : new ConnectionError(String(e)));
      return;
    }
    try {
      for (const ev of events) this.handle(ev);
    } catch (e) {
      this.fail(e instanceof Error ? e : new ConnectionError(String(e)));
    }
  }

  private handle(ev: ServerSessionEvent): void {
    const s = this.session;
    const registry = this.ctx.registry;
    switch (ev.type) {
      case 'connect':
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        {
          const refusal = this.ctx.checkConnect?.({ app: ev.app, tcUrl: ev.tcUrl, conn: this.info });
          if (refusal !== undefined) {
            this.write(s.rejectConnect(ev.transactionId, refusal));
            void this.close();
            return;
          }
        }
        this.write(s.acceptConnect(ev.transactionId, ev.objectEncoding));
        this.ctx.emit({ type: 'connect', conn: this.info, app: ev.app, tcUrl: ev.tcUrl });
        return;
      case 'createStream':
        this.write(s.acceptCreateStream(ev.transactionId).out);
        return;
      case 'publish': {
        const name = bareName(ev.name);
        const refused = (description: string): void => {
          this.write(s.status(ev.streamId, 'error', 'NetStream.Publish.BadName', description));
          this.ctx.emit({ type: 'publish-refused', conn: this.info, app: s.app ?? '', name, reason: description });
        };
        if (!s.openStreams.has(ev.streamId)) return refused('publish on a stream that was not created');
        const r = registry.publish(this, ev.streamId, s.app ?? '', name);
        if (!r.ok) return refused(r.description);
        this.write([...s.streamBegin(ev.streamId), ...s.status(ev.streamId, 'status', 'NetStream.Publish.Start', 'Start publishing.')]);
        return;
      }
      case 'play': {
        const name = bareName(ev.name);
        if (!s.openStreams.has(ev.streamId) || !registry.play(this, ev.streamId, s.app ?? '', name)) {
          this.write(s.status(ev.streamId, 'error', 'NetStream.Play.Failed', 'play on a stream that was not created or is in use'));
        }
        return;
      }
      case 'deleteStream':
      case 'closeStream':
        registry.stop(this, ev.streamId);
        return;
      case 'fcUnpublish':
        registry.stopByName(this, bareName(ev.name));
        return;
      case 'media':
        registry.media(this, ev.streamId, ev.packet);
        return;
      case 'releaseStream':
      case 'fcPublish':
      case 'setBufferLength':
      case 'control':
        return;
      case 'command':
        debug('%s: ignoring command %s', this.info.remote, ev.command.name);
        return;
      case 'unknown':
        debug('%s: ignoring message type %d', this.info.remote, ev.message.typeId);
        return;
      default: {
        const never: never = ev;
        return never;
      }
    }
  }
}

/** A stream name as clients send it may carry a query (`key?token=...`), which is not part of the name (as in nginx-rtmp). */
function bareName(raw: string): string {
  const i = raw.indexOf('?');
  return i < 0 ? raw : raw.slice(0, i);
}
