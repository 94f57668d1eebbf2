/**
 * Relay: play one source and publish it to several destinations, without
 * re-encoding and without copying payloads per destination (every
 * destination's chunk encoder slices the same payload buffer).
 *
 * Destinations are independent: each has its own connection loop with
 * exponential backoff, and a destination that (re)connects gets the cached
 * metadata and sequence headers and then waits for the next keyframe, so its
 * viewers never get undecodable frames. A destination that falls behind
 * (its socket queue passes a limit) drops media until the next keyframe
 * instead of slowing the others. Timestamps sent downstream are rebased
 * after a source reconnect so they keep increasing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RtmpClient, type ClientOptions } from '../client/rtmp-client.js';
import type { NetStream, PlayEnd } from '../client/net-stream.js';
import { AbortedError, ConnectionError, isRtmpError } from '../errors.js';
import { peekScriptDataName } from '../flv/script-data.js';
import { PacketType, isAudioSequenceHeader, isVideoKeyframe, isVideoSequenceHeader, type MediaPacket } from '../media/packet.js';
import { ts32 } from '../media/timestamp.js';
import { CAPS_EX_RECONNECT } from '../rtmp/capabilities.js';
import { redactUrl, resolveReconnectUrl, type RtmpUrl } from '../rtmp/url.js';
import { retirePublish, startPublish } from './publish.js';
import { HeaderCache, Rebaser, backoffDelay } from './continuity.js';

export interface RelayEndpoint {
  url: RtmpUrl;
  /** The URL as it may be printed (key redacted). */
  shown: string;
}

/** A destination: its primary ingest and, optionally, a backup to fail over to. */
export interface RelayDestination extends RelayEndpoint {
  backup?: RelayEndpoint;
}

export interface RelayOptions {
  source: RelayEndpoint;
  destinations: RelayDestination[];
  client: ClientOptions;
  /** Set Buffer Length for the source play (ms). */
  bufferMs: number;
  /** Reconnect destinations and the source after failures. */
  reconnect: boolean;
  /** Consecutive failed attempts after which a destination gives up. */
  maxRetries: number;
  /** Failed attempts in a row on one ingest after which a destination with a backup switches to the other. */
  failoverAfter: number;
  /** Consecutive failed attempts after which the source gives up. */
  sourceRetries: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Stop after this much media time (0 = until the source ends). */
  durationMs: number;
  /** End when the source sends no media for this long (0 = never). */
  idleTimeoutMs: number;
  /** A destination whose socket queue passes this drops media until the next keyframe. */
  maxQueueBytes: number;
  signal: AbortSignal;
  onEvent: (event: RelayEvent) => void;
}

export type EndpointState = 'connecting' | 'live' | 'reconnecting' | 'failed' | 'done';

export interface DestinationStats {
  index: number;
  url: string;
  state: EndpointState;
  packets: number;
  bytes: number;
  reconnects: number;
  /** Media packets not delivered: while disconnected, waiting for a keyframe, or dropped when slow. */
  missed: number;
  lastError: string | undefined;
}

export type RelayEvent =
  | { type: 'source'; state: EndpointState | 'playing' | 'ended'; url: string; attempt?: number; delayMs?: number; error?: string }
  | { type: 'destination'; index: number; url: string; state: EndpointState; attempt?: number; delayMs?: number; error?: string }
  | { type: 'failover'; index: number; from: string; to: string; after: number }
  /** The destination's server asked it to reconnect (Enhanced RTMP): it moved at a keyframe, or could not (`error`). */
  | { type: 'switchover'; index: number; from: string; to: string; error?: string }
  | { type: 'stats'; elapsedMs: number; mediaMs: number; sourceBytes: number; destinations: DestinationStats[] };

export interface RelayResult {
  /** True when every destination received every media packet from its first keyframe on. */
  complete: boolean;
  end: PlayEnd | { reason: 'duration' } | undefined;
  mediaMs: number;
  sourcePackets: number;
  destinations: DestinationStats[];
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

class Destination {
  readonly stats: DestinationStats;
  /** The ingest in use: the primary, or its backup after a failover. */
  private endpoint: RelayEndpoint;
  private client: RtmpClient | undefined;
  private stream: NetStream | undefined;
  private needKeyframe = true;
  private everLive = false;
  /** A ReconnectRequest being followed: the new connection, once publishing, waits here for the next keyframe. */
  private moving: { to: RelayEndpoint; next?: { client: RtmpClient; stream: NetStream } } | undefined;
  private stopping = false;
  private readonly loop: Promise<void>;

  constructor(
    index: number,
    private readonly dest: RelayDestination,
    private readonly opts: RelayOptions,
    private readonly headers: HeaderCache,
    private readonly now: () => number,
    private readonly mediaStarted: () => boolean,
  ) {
    this.endpoint = dest;
    this.stats = { index, url: dest.shown, state: 'connecting', packets: 0, bytes: 0, reconnects: 0, missed: 0, lastError: undefined };
    this.loop = this.run();
  }

  private emit(state: EndpointState, extra: { attempt?: number; delayMs?: number; error?: string } = {}): void {
    this.stats.state = state;
    this.opts.onEvent({ type: 'destination', index: this.stats.index, url: this.endpoint.shown, state, ...extra });
  }

  private async run(): Promise<void> {
    let failures = 0;
    let failuresHere = 0;
    while (!this.stopping) {
      try {
        this.emit('connecting', failures > 0 ? { attempt: failures + 1 } : {});
        const { client, stream } = await this.publishTo(this.endpoint);
        if (this.stopping) {
          // stop() came while we were connecting (authentication takes several connects): it had nothing to close yet.
          await stream.unpublish().catch(() => undefined);
          await client.close();
          return;
        }
        if (this.everLive) this.stats.reconnects++;
        this.everLive = true;
        failures = 0;
        failuresHere = 0;
        // Joining a stream already under way: start video at the next keyframe.
        this.needKeyframe = this.mediaStarted();
        for (const h of this.headers.replay(this.now())) stream.write(h);
        this.stream = stream;
        this.emit('live');
        // A switchover replaces the connection under us: follow it.
        let watched = client;
        let err = await watched.whenClosed();
        while (this.client !== undefined && this.client !== watched) {
          watched = this.client;
          err = await watched.whenClosed();
        }
        this.stream = undefined;
        if (this.stopping) return;
        throw err ?? new ConnectionError(`${this.endpoint.shown} closed the connection`);
      } catch (e) {
        this.stream = undefined;
        this.client?.destroy();
        this.client = undefined;
        if (this.stopping || this.opts.signal.aborted) return;
        failures++;
        failuresHere++;
        this.stats.lastError = message(e);
        // Wrong credentials stay wrong: no point retrying them.
        if (!this.opts.reconnect || failures > this.opts.maxRetries || (isRtmpError(e) && e.code === 'RTMP_ERR_AUTH')) {
          this.emit('failed', { error: this.stats.lastError });
          return;
        }
        if (this.dest.backup && failuresHere >= this.opts.failoverAfter) {
          const next = this.endpoint === this.dest.backup ? this.dest : this.dest.backup;
          this.opts.onEvent({ type: 'failover', index: this.stats.index, from: this.endpoint.shown, to: next.shown, after: failuresHere });
          this.endpoint = next;
          this.stats.url = next.shown;
          failuresHere = 0;
          continue; // the other ingest is tried at once
        }
        const delayMs = backoffDelay(failures, this.opts.backoffMinMs, this.opts.backoffMaxMs);
        this.emit('reconnecting', { attempt: failures, delayMs, error: this.stats.lastError });
        await sleep(delayMs, undefined, { signal: this.opts.signal }).catch(() => undefined);
      }
    }
  }

  /** Connects to an ingest (announcing that we follow ReconnectRequests) and starts publishing. */
  private async publishTo(endpoint: RelayEndpoint): Promise<{ client: RtmpClient; stream: NetStream }> {
    const client = await RtmpClient.connect(endpoint.url, {
      ...this.opts.client,
      auth: undefined, // the source's credentials; a destination's come from its own URL
      connect: { capsEx: CAPS_EX_RECONNECT, ...this.opts.client.connect },
      role: 'publish',
      signal: this.opts.signal,
    });
    if (endpoint === this.endpoint) this.client = client;
    try {
      return { client, stream: await startPublish(client, endpoint.url.stream, 'live') };
    } catch (e) {
      client.destroy();
      throw e;
    }
  }

  /** The server asked to reconnect: get publishing on the new ingest while media still flows to the old one. */
  private follow(client: RtmpClient): void {
    const request = client.takeReconnectRequest()!;
    let to: RelayEndpoint;
    try {
      const url = resolveReconnectUrl(this.endpoint.url, request.tcUrl);
      to = { url, shown: redactUrl(url) };
    } catch (e) {
      this.opts.onEvent({ type: 'switchover', index: this.stats.index, from: this.endpoint.shown, to: String(request.tcUrl), error: message(e) });
      return;
    }
    const moving: NonNullable<Destination['moving']> = { to };
    this.moving = moving;
    this.publishTo(to).then(
      (next) => {
        if (this.moving === moving && !this.stopping) moving.next = next;
        else next.client.destroy();
      },
      (e: unknown) => {
        if (this.moving === moving) this.moving = undefined;
        this.opts.onEvent({ type: 'switchover', index: this.stats.index, from: this.endpoint.shown, to: to.shown, error: message(e) });
      },
    );
  }

  /** At a keyframe: the new connection takes over (headers first, same timestamps) and the old one is unpublished. */
  private switchAt(p: MediaPacket, next: { client: RtmpClient; stream: NetStream }, to: RelayEndpoint): void {
    const old = { stream: this.stream, shown: this.endpoint.shown };
    this.moving = undefined;
    this.endpoint = to;
    this.stats.url = to.shown;
    this.client = next.client;
    this.stream = next.stream;
    for (const h of this.headers.replay(p.timestamp)) next.stream.write(h);
    this.opts.onEvent({ type: 'switchover', index: this.stats.index, from: old.shown, to: to.shown });
    if (old.stream) retirePublish(old.stream);
  }

  /** The source restarted: its first frames may not be decodable, so wait for a keyframe again. */
  awaitKeyframe(): void {
    if (this.headers.hasVideo) this.needKeyframe = true;
  }

  /**
   * Forwards one packet if this destination can take it; never blocks.
   * Video waits for a keyframe after a (re)connect — inter-frames without
   * their keyframe are undecodable — while audio flows. A destination whose
   * socket queue passed the limit drops all media until the queue is back
   * under it and a keyframe arrives.
   */
  offer(p: MediaPacket): void {
    const isMedia = p.type !== PacketType.Data;
    const stream = this.stream;
    const client = this.client;
    if (!stream || !client) {
      if (isMedia) this.stats.missed++;
      return;
    }
    const header = (p.type === PacketType.Video && isVideoSequenceHeader(p.payload)) || (p.type === PacketType.Audio && isAudioSequenceHeader(p.payload));
    if (client.reconnectRequested && !this.moving) this.follow(client);
    const next = this.moving?.next;
    if (next && isMedia && !header && (p.type === PacketType.Video ? isVideoKeyframe(p.payload) : !this.headers.hasVideo)) {
      this.switchAt(p, next, this.moving!.to);
      this.offer(p);
      return;
    }
    if (isMedia && !header) {
      const slow = client.queuedBytes > this.opts.maxQueueBytes;
      if (slow) this.needKeyframe = this.headers.hasVideo;
      const keyframe = p.type === PacketType.Video && isVideoKeyframe(p.payload);
      if (slow || (p.type === PacketType.Video && this.needKeyframe && !keyframe)) {
        this.stats.missed++;
        return;
      }
      if (keyframe) this.needKeyframe = false;
    }
    try {
      stream.write(p);
      this.stats.packets++;
      this.stats.bytes += p.payload.length;
    } catch (e) {
      // The connection just failed; the loop sees it through whenClosed().
      this.stats.lastError = message(e);
      if (isMedia) this.stats.missed++;
    }
  }

  /** Unpublishes cleanly (FCUnpublish, deleteStream) and closes; waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.moving?.next?.client.destroy();
    this.moving = undefined;
    const { stream, client } = this;
    if (stream && client && !client.error) {
      await stream.unpublish().catch(() => undefined);
      await client.close();
    } else {
      client?.destroy();
    }
    await this.loop;
    if (this.stats.state !== 'failed') this.emit('done');
  }

  /** Got every media packet from its first keyframe on, and never failed. */
  get complete(): boolean {
    return this.stats.state !== 'failed' && this.stats.missed === 0 && this.stats.reconnects === 0 && this.everLive;
  }
}

/** Runs the relay until the source ends, --duration passes, the signal aborts, or the source fails for good. */
export async function runRelay(opts: RelayOptions): Promise<RelayResult> {
  const headers = new HeaderCache();
  const rebaser = new Rebaser();
  let lastTs = 0;
  let firstTs: number | undefined;
  const dests = opts.destinations.map((d, i) => new Destination(i, d, opts, headers, () => lastTs, () => firstTs !== undefined));
  const started = performance.now();
  let mediaMs = 0;
  let sourcePackets = 0;
  let sourceBytes = 0;
  let end: RelayResult['end'];
  const stats = (): void =>
    opts.onEvent({ type: 'stats', elapsedMs: Math.round(performance.now() - started), mediaMs, sourceBytes, destinations: dests.map((d) => ({ ...d.stats })) });
  const ticker = setInterval(stats, 1000);
  let failure: unknown;
  let sessionsPlayed = 0;
  try {
    let failures = 0;
    let sessions = 0;
    for (;;) {
      let client: RtmpClient | undefined;
      let stream: NetStream | undefined;
      const stopOnAbort = (): void => stream?.stop();
      try {
        opts.onEvent({ type: 'source', state: 'connecting', url: opts.source.shown, ...(failures > 0 ? { attempt: failures + 1 } : {}) });
        client = await RtmpClient.connect(opts.source.url, { ...opts.client, role: 'play', signal: opts.signal });
        stream = await client.createStream();
        opts.signal.addEventListener('abort', stopOnAbort, { once: true });
        if (opts.signal.aborted) stream.stop();
        await stream.play(opts.source.url.stream, { bufferMs: opts.bufferMs });
        opts.onEvent({ type: 'source', state: 'playing', url: opts.source.shown });
        if (sessions++ > 0) for (const d of dests) d.awaitKeyframe();
        sessionsPlayed = sessions;
        failures = 0;
        rebaser.reset();
        let sawKeyframe = false;
        for await (const p of stream.packets({ idleTimeoutMs: opts.idleTimeoutMs })) {
          if (p.type === PacketType.Data && peekScriptDataName(p.payload) === '|RtmpSampleAccess') continue;
          // A session may start mid-GOP (a server without wait_key): nobody gets video before its first keyframe.
          if (p.type === PacketType.Video && !sawKeyframe && !isVideoSequenceHeader(p.payload)) {
            if (!isVideoKeyframe(p.payload)) continue;
            sawKeyframe = true;
          }
          const ts = rebaser.map(p);
          if (ts === undefined) continue; // already sent before the source reconnected
          const out = ts === p.timestamp ? p : { ...p, timestamp: ts32(ts) };
          headers.update(out);
          if (p.type !== PacketType.Data) {
            firstTs ??= ts;
            mediaMs = Math.max(mediaMs, ts - firstTs);
            if (opts.durationMs > 0 && mediaMs >= opts.durationMs) {
              end = { reason: 'duration' };
              stream.stop();
              break;
            }
          }
          lastTs = out.timestamp;
          sourcePackets++;
          sourceBytes += p.payload.length;
          for (const d of dests) d.offer(out);
        }
        end ??= stream.end;
        await client.close();
        opts.onEvent({ type: 'source', state: 'ended', url: opts.source.shown });
        break;
      } catch (e) {
        client?.destroy();
        if (opts.signal.aborted) {
          end = { reason: 'stopped' };
          break;
        }
        failures++;
        // A refusal (unknown app, no such stream) will not go away by retrying.
        if (!opts.reconnect || failures > opts.sourceRetries || (isRtmpError(e) && (e.code === 'RTMP_ERR_REMOTE_STATUS' || e.code === 'RTMP_ERR_AUTH'))) {
          opts.onEvent({ type: 'source', state: 'failed', url: opts.source.shown, error: message(e) });
          throw e;
        }
        const delayMs = backoffDelay(failures, opts.backoffMinMs, opts.backoffMaxMs);
        opts.onEvent({ type: 'source', state: 'reconnecting', url: opts.source.shown, attempt: failures, delayMs, error: message(e) });
        await sleep(delayMs, undefined, { signal: opts.signal }).catch(() => undefined);
        if (opts.signal.aborted) throw new AbortedError('interrupted');
      } finally {
        opts.signal.removeEventListener('abort', stopOnAbort);
      }
    }
  } catch (e) {
    failure = e;
  } finally {
    clearInterval(ticker);
    await Promise.all(dests.map((d) => d.stop()));
    stats();
  }
  if (failure) throw failure;
  return {
    complete: sessionsPlayed <= 1 && dests.every((d) => d.complete),
    end,
    mediaMs,
    sourcePackets,
    destinations: dests.map((d) => ({ ...d.stats })),
  };
}
