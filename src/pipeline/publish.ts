/**
 * The publish pipeline: FLV packets → (pacer) → RTMP publish, with loops,
 * backpressure and a clean unpublish at the end or on abort.
 */
import { AbortedError } from '../errors.js';
import { RtmpClient, type ClientOptions, type ReconnectRequest } from '../client/rtmp-client.js';
import type { NetStream, PublishMode } from '../client/net-stream.js';
import { PacketType, isAudioSequenceHeader, isVideoKeyframe, isVideoSequenceHeader, type MediaPacket } from '../media/packet.js';
import { TimestampUnwrapper, ts32 } from '../media/timestamp.js';
import type { RtmpUrl } from '../rtmp/url.js';
import { HeaderCache } from './continuity.js';
import { Pacer } from './pacer.js';

export interface PublishStats {
  packets: number;
  audio: number;
  video: number;
  /** Payload bytes sent. */
  bytes: number;
  /** Media time sent so far, ms (from the first packet's timestamp). */
  mediaMs: number;
  loops: number;
  /** Times the connection was re-established (--reconnect). */
  reconnects: number;
  /** Times the stream moved to a new connection because the server asked (ReconnectRequest). */
  switchovers: number;
  /** Media packets not sent because a reconnect resumed at the next keyframe. */
  skipped: number;
}

export interface PublishPipelineOptions {
  /** Opens the packet source again for each pass (--loop). */
  open: () => AsyncIterable<MediaPacket>;
  /** Number of passes over the input (1 = play once). */
  loops: number;
  realtime: boolean;
  signal?: AbortSignal;
  onProgress?: (stats: PublishStats) => void;
  /**
   * Called when the connection fails mid-stream (--reconnect): returns a
   * stream publishing again (after its own retries and backoff), or throws
   * to give up. The pump then resends the metadata and sequence headers and
   * resumes at the next keyframe, timestamps continuing where they were.
   */
  reconnect?: (error: unknown) => Promise<NetStream>;
  /**
   * Enhanced RTMP ReconnectRequest: once the server has asked, called at the
   * next keyframe (the next packet when there is no video) with the request;
   * returns a stream publishing on a new connection, or undefined to stay on
   * the current one. The pump sends the metadata and sequence headers there
   * and goes on from that keyframe with the same timestamps, so the new
   * server's stream has no gap and no jump. The caller ends the old
   * connection.
   */
  switchover?: (request: ReconnectRequest) => Promise<NetStream | undefined>;
}

/**
 * Prepares publishing on a connected client (releaseStream, FCPublish,
 * createStream, publish) and returns the stream once Publish.Start arrived.
 */
export async function startPublish(client: RtmpClient, name: string, mode: PublishMode): Promise<NetStream> {
  // FMLE/OBS order; nginx-rtmp never answers these two, so we do not wait.
  client.notify('releaseStream', [name]);
  client.notify('FCPublish', [name]);
  const stream = await client.createStream();
  await stream.publish(name, mode);
  return stream;
}

/** Connects to `url` and publishes `url.stream` there; the connection is dropped again if publishing fails. */
export async function connectAndPublish(url: RtmpUrl, opts: ClientOptions, mode: PublishMode): Promise<NetStream> {
  const client = await RtmpClient.connect(url, opts);
  try {
    return await startPublish(client, url.stream, mode);
  } catch (e) {
    client.destroy();
    throw e;
  }
}

/** Leaves a stream that another connection has taken over: unpublish, then close, in the background; errors are of no use any more. */
export function retirePublish(stream: NetStream): void {
  void stream
    .unpublish()
    .catch(() => undefined)
    .finally(() => stream.client.close().catch(() => undefined));
}

/**
 * Sends every packet of every pass. Later passes are shifted so timestamps
 * keep increasing, and skip script data (metadata was sent once).
 */
export async function pumpPublish(stream: NetStream, opts: PublishPipelineOptions): Promise<PublishStats> {
  const stats: PublishStats = { packets: 0, audio: 0, video: 0, bytes: 0, mediaMs: 0, loops: 0, reconnects: 0, switchovers: 0, skipped: 0 };
  const pacer = new Pacer();
  const headers = new HeaderCache();
  let current = stream;
  let needKeyframe = false;
  /** After a failure with reconnect on: publishes again, resends the headers, resumes at the next keyframe. */
  const recover = async (e: unknown, p: MediaPacket): Promise<void> => {
    if (!opts.reconnect || opts.signal?.aborted) throw e;
    current = await opts.reconnect(e);
    stats.reconnects++;
    for (const h of headers.replay(p.timestamp)) current.write(h);
    needKeyframe = headers.hasVideo;
    pacer.restart();
  };
  // Output timeline: the first pass keeps the file's timestamps; each later
  // pass starts where the previous one ended (plus one frame interval).
  let base: number | undefined;
  let offset = 0;
  let lastOut = 0;
  let lastVideoGap = 0;
  for (let pass = 0; pass < opts.loops; pass++) {
    const unwrap = new TimestampUnwrapper();
    let passFirst: number | undefined;
    let passLast = 0;
    let prevVideo: number | undefined;
    for await (const packet of opts.open()) {
      if (opts.signal?.aborted) throw new AbortedError('interrupted');
      const ts = unwrap.next(packet.timestamp);
      if (pass > 0) {
        if (packet.type === PacketType.Data) continue;
        if (packet.type === PacketType.Video && isVideoSequenceHeader(packet.payload)) continue;
        if (packet.type === PacketType.Audio && isAudioSequenceHeader(packet.payload)) continue;
      }
      passFirst ??= ts;
      base ??= ts;
      const outTs = pass === 0 ? ts : base + offset + (ts - passFirst);
      if (packet.type === PacketType.Video) {
        if (prevVideo !== undefined && ts > prevVideo) lastVideoGap = ts - prevVideo;
        prevVideo = ts;
      }
      passLast = Math.max(passLast, ts);
      if (opts.realtime) {
        await pacer.wait(outTs, opts.signal);
        if (opts.signal?.aborted) throw new AbortedError('interrupted');
      }
      const p = pass === 0 ? packet : { ...packet, timestamp: ts32(outTs) };
      headers.update(p);
      if (needKeyframe && p.type !== PacketType.Data) {
        const header = p.type === PacketType.Video ? isVideoSequenceHeader(p.payload) : isAudioSequenceHeader(p.payload);
        if (p.type === PacketType.Video && isVideoKeyframe(p.payload) && !header) needKeyframe = false;
        else if (!header) {
          stats.skipped++;
          continue;
        }
      }
      if (opts.switchover && current.client.reconnectRequested && isSwitchPoint(p, headers)) {
        const request = current.client.takeReconnectRequest()!;
        const next = await opts.switchover(request);
        if (next) {
          current = next;
          stats.switchovers++;
          for (const h of headers.replay(p.timestamp)) current.write(h);
        }
      }
      // The common case stays synchronous: no promise per packet unless the socket wants a drain.
      try {
        if (!current.write(p)) await untilAborted(current.drained(), opts.signal);
      } catch (e) {
        await recover(e, p);
        stats.skipped++;
        continue;
      }
      if (opts.signal?.aborted) throw new AbortedError('interrupted');
      stats.packets++;
      if (packet.type === PacketType.Audio) stats.audio++;
      else if (packet.type === PacketType.Video) stats.video++;
      stats.bytes += packet.payload.length;
      lastOut = Math.max(lastOut, outTs);
      stats.mediaMs = lastOut - base;
      if ((stats.packets & 15) === 0) opts.onProgress?.(stats);
    }
    stats.loops = pass + 1;
    if (passFirst === undefined) break; // empty input: nothing more to loop
    offset += passLast - passFirst + (lastVideoGap || 40);
  }
  opts.onProgress?.(stats);
  return stats;
}

/** A packet a stream may start with on a new connection: a keyframe, or any audio frame when there is no video. */
function isSwitchPoint(p: MediaPacket, headers: HeaderCache): boolean {
  if (p.type === PacketType.Video) return isVideoKeyframe(p.payload) && !isVideoSequenceHeader(p.payload);
  return p.type === PacketType.Audio && !headers.hasVideo && !isAudioSequenceHeader(p.payload);
}

/** Resolves when `p` settles or `signal` aborts, whichever comes first. */
function untilAborted(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
