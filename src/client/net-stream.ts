/**
 * NetStream: publish (write packets with backpressure) or play (an async
 * iterator of packets that pauses the socket when the consumer falls behind).
 */
import { ConnectionError, RemoteStatusError, TimeoutError } from '../errors.js';
import { addSetDataFrame, parseScriptData } from '../flv/script-data.js';
import { PacketType, type MediaPacket } from '../media/packet.js';
import { explainStatus, statusOutcome, type StatusInfo } from '../rtmp/commands.js';
import { UserControlEvent } from '../rtmp/message.js';
import type { ClientSession } from '../rtmp/session.js';
import type { RtmpClient } from './rtmp-client.js';

export type PublishMode = 'live' | 'record' | 'append';

export interface PlayOptions {
  /** `play` start argument: -2 live or recorded (default), -1 live only, >= 0 seconds into a recording. */
  start?: number;
  /** `play` duration argument in seconds; -1 plays to the end (default). */
  duration?: number;
  reset?: boolean;
  /** Set Buffer Length sent after play, in ms (default 3000, as ffmpeg). */
  bufferMs?: number;
}

/** Why a play ended. */
export type PlayEnd =
  | { reason: 'eof' }
  | { reason: 'status'; code: string }
  | { reason: 'idle'; ms: number }
  | { reason: 'stopped' };

/** Queued bytes at which we stop reading from the socket, and resume below the low mark. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

type Waiter = { want: 'publishing' | 'playing'; resolve: (i: StatusInfo | undefined) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class NetStream {
  readonly id: number;
  /** The connection this stream belongs to. */
  readonly client: RtmpClient;
  private readonly session: ClientSession;
  private name = '';
  private waiter: Waiter | undefined;
  private playing = false;
  private queue: MediaPacket[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private paused = false;
  private ended: PlayEnd | undefined;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(client: RtmpClient, session: ClientSession, id: number) {
    this.client = client;
    this.session = session;
    this.id = id;
  }

  /** Sends `publish(name, mode)` and waits for NetStream.Publish.Start. */
  async publish(name: string, mode: PublishMode = 'live'): Promise<StatusInfo | undefined> {
    this.name = name;
    const started = this.waitFor('publishing', `NetStream.Publish.Start after publish`);
    this.client.noteStreamStep('publish', false);
    this.client.write(this.session.streamCommand(this.id, 'publish', [name, mode]));
    const info = await started;
    this.client.noteStreamStep('publish', true);
    return info;
  }

  /**
   * Sends one packet. onMetaData script data gets the `@setDataFrame` prefix
   * servers expect from publishers. Returns false when the caller should
   * await `drained()` before writing more.
   */
  write(packet: MediaPacket): boolean {
    let p = packet;
    if (p.type === PacketType.Data) {
      const sd = parseScriptData(p.payload);
      if (sd && sd.name === 'onMetaData') p = { ...p, payload: addSetDataFrame(p.payload) };
    }
    return this.client.write(this.session.sendMedia(this.id, p));
  }

  drained(): Promise<void> {
    return this.client.drained();
  }

  /** FCUnpublish + deleteStream, then waits until the bytes have left. */
  async unpublish(): Promise<void> {
    this.client.notify('FCUnpublish', [this.name]);
    this.client.write(this.session.streamCommand(0, 'deleteStream', [this.id]));
    await this.client.flush();
  }

  /** Sends `play` and Set Buffer Length, and waits until the server starts the stream (or refuses it). */
  async play(name: string, opts: PlayOptions = {}): Promise<StatusInfo | undefined> {
    this.name = name;
    this.playing = true;
    const started = this.waitFor('playing', `NetStream.Play.Start after play`);
    this.client.noteStreamStep('play', false);
    // One write for both: nginx-rtmp schedules its VOD send timer when it
    // handles play, so a buffer length arriving in a later TCP segment is
    // applied only after that timer fires (possibly hours later for a file
    // whose timestamps jump). rtmpdump and ffmpeg send them together too.
    this.client.write([
      ...this.session.streamCommand(this.id, 'play', [name, opts.start ?? -2, opts.duration ?? -1, opts.reset ?? true]),
      ...this.session.setBufferLength(this.id, opts.bufferMs ?? 3000),
    ]);
    const info = await started;
    this.client.noteStreamStep('play', true);
    return info;
  }

  /**
   * The played packets, until the server ends the stream (StreamEOF or a
   * Play.Stop/Complete/UnpublishNotify status), `idleTimeoutMs` passes with
   * no packet, or `stop()` is called. `end` tells which after the loop.
   */
  async *packets(opts: { idleTimeoutMs?: number } = {}): AsyncGenerator<MediaPacket, PlayEnd> {
    const idle = opts.idleTimeoutMs ?? 0;
    for (;;) {
      if (this.queueHead < this.queue.length) {
        const p = this.queue[this.queueHead]!;
        this.queue[this.queueHead++] = undefined as unknown as MediaPacket;
        if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.queueHead);
          this.queueHead = 0;
        }
        this.queuedBytes -= p.payload.length;
        if (this.paused && this.queuedBytes < LOW_WATER) {
          this.paused = false;
          this.client.resumeInput();
        }
        yield p;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return this.ended;
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        this.wake = () => {
          if (timer) clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
        if (idle > 0) {
          timer = setTimeout(() => {
            this.ended ??= { reason: 'idle', ms: idle };
            this.wake?.();
          }, idle);
        }
      });
    }
  }

  /** Ends `packets()` after what is queued (e.g. on SIGINT or --duration). */
  stop(): void {
    this.ended ??= { reason: 'stopped' };
    this.settle(undefined);
    this.wake?.();
  }

  /** Why play ended, once it has. */
  get end(): PlayEnd | undefined {
    return this.ended;
  }

  private waitFor(want: 'publishing' | 'playing', step: string): Promise<StatusInfo | undefined> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new TimeoutError(step, this.client.timeoutMs));
      }, this.client.timeoutMs);
      this.waiter = { want, resolve, reject, timer };
    });
  }

  private settle(err: Error | undefined, info?: StatusInfo): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = undefined;
    clearTimeout(w.timer);
    if (err) w.reject(err);
    else w.resolve(info);
  }

  /** @internal onStatus for this stream. */
  onStatus(info: StatusInfo): void {
    const outcome = statusOutcome(info);
    if (outcome === 'rejected') {
      const why = explainStatus(info.code);
      const err = new RemoteStatusError(
        info.code,
        info.description,
        `server refused ${this.waiter?.want === 'publishing' ? 'publish' : this.playing ? 'play' : 'the stream'}: ${info.code}${info.description ? ` (${info.description})` : ''}${why ? ` — ${why}` : ''}`,
      );
      if (this.waiter) this.settle(err);
      else if (this.playing) {
        this.failure ??= err;
        this.wake?.();
      }
      return;
    }
    if (this.waiter && outcome === this.waiter.want) {
      this.settle(undefined, info);
      return;
    }
    if (outcome === 'ended' && this.playing) {
      this.ended ??= { reason: 'status', code: info.code };
      this.settle(undefined, info);
      this.wake?.();
    }
  }

  /** @internal a user control event naming this stream. */
  onUserControl(event: number): void {
    if (event === UserControlEvent.StreamEof && this.playing) {
      this.ended ??= { reason: 'eof' };
      this.settle(undefined);
      this.wake?.();
    }
  }

  /** @internal a media or data message for this stream. */
  onMedia(packet: MediaPacket): void {
    if (!this.playing || this.ended) return;
    // Servers that never send Play.Start still start sending media.
    if (this.waiter?.want === 'playing') this.settle(undefined);
    this.queue.push(packet);
    this.queuedBytes += packet.payload.length;
    if (!this.paused && this.queuedBytes > HIGH_WATER) {
      this.paused = true;
      this.client.pauseInput();
    }
    this.wake?.();
  }

  /** @internal the connection closed or failed. */
  onClose(err: Error | undefined): void {
    const e = err ?? new ConnectionError('the connection closed');
    this.settle(e);
    if (this.playing && !this.ended) this.failure ??= e;
    this.wake?.();
  }
}
