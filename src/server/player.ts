/**
 * One player of a live stream: what it is sent when, and the slow-reader
 * policy. A player whose socket has more than `queueLimit` bytes queued
 * stops getting audio and video until the next video keyframe (and until
 * the queue is back under the limit), so a slow reader costs bounded
 * memory and resumes on a picture it can decode; the dropped packets are
 * counted. Metadata and sequence headers are always sent.
 */
import { isAudioSequenceHeader, isVideoKeyframe, isVideoSequenceHeader, PacketType, type MediaPacket } from '../media/packet.js';
import type { ServerSession } from '../rtmp/server-session.js';
import type { ConnectionInfo, ServerEvent } from './rtmp-server.js';
import type { LiveStream } from './stream-registry.js';

/** What the registry needs of a connection. */
export interface Endpoint {
  readonly info: ConnectionInfo;
  /** The connection's session, which turns packets and statuses into bytes. */
  readonly session: ServerSession;
  /** Writes bytes in order (dropped silently once the socket is gone). */
  write(bufs: Buffer[]): void;
  /** Bytes waiting in the socket's write buffer. */
  readonly queuedBytes: number;
}

/**
 * idle: no publisher (nothing to send); live: every packet is sent;
 * wait-keyframe: audio and video are held back until a video keyframe.
 */
type State = 'idle' | 'live' | 'wait-keyframe';

/** A subscriber on one message stream of one connection. */
export class Player {
  /** Audio and video packets not sent because the player was too slow. */
  dropped = 0;
  private state: State = 'idle';
  /** True while waiting for a keyframe because the socket backed up (drops are counted). */
  private slow = false;

  constructor(
    readonly endpoint: Endpoint,
    readonly streamId: number,
    private readonly stream: LiveStream,
    private readonly queueLimit: number,
    private readonly emit: (ev: ServerEvent) => void,
  ) {}

  /** Answers play: Reset and Start; on a live stream also StreamBegin first and the catch-up data after. */
  start(): void {
    const s = this.endpoint.session;
    const live = this.stream.publisher !== undefined;
    this.endpoint.write([
      ...(live ? s.streamBegin(this.streamId) : []),
      ...s.status(this.streamId, 'status', 'NetStream.Play.Reset', 'Playing and resetting stream.'),
      ...s.status(this.streamId, 'status', 'NetStream.Play.Start', 'Started playing stream.'),
    ]);
    if (live) this.catchUp();
  }

  /** A publisher started on the stream this player waits on. */
  publisherStarted(): void {
    const s = this.endpoint.session;
    this.endpoint.write([...s.streamBegin(this.streamId), ...s.status(this.streamId, 'status', 'NetStream.Play.PublishNotify', 'Stream published.')]);
    this.state = 'live';
    this.slow = false;
  }

  /** The publisher left: UnpublishNotify (ffmpeg and librtmp end on it) and StreamEOF. */
  publisherStopped(): void {
    const s = this.endpoint.session;
    this.endpoint.write([...s.status(this.streamId, 'status', 'NetStream.Play.UnpublishNotify', 'Stream unpublished.'), ...s.streamEof(this.streamId)]);
    this.state = 'idle';
    this.slow = false;
  }

  /** Metadata, sequence headers and the cached GOP, for a player joining a live stream. */
  private catchUp(): void {
    const st = this.stream;
    const s = this.endpoint.session;
    const out: Buffer[] = [];
    for (const p of st.metadata ? [st.metadata, ...st.headers.list()] : st.headers.list()) out.push(...s.sendMedia(this.streamId, p));
    if (st.gop) {
      for (const p of st.gop) out.push(...s.sendMedia(this.streamId, p));
      this.state = 'live';
    } else {
      // Without a cached GOP, start on the next keyframe rather than on undecodable frames.
      this.state = st.hasVideo ? 'wait-keyframe' : 'live';
    }
    this.endpoint.write(out);
  }

  /** A live packet from the publisher. */
  send(p: MediaPacket): void {
    if (this.state === 'idle') return;
    if (!this.isHeader(p)) {
      const queued = this.endpoint.queuedBytes;
      if (this.state === 'wait-keyframe') {
        const resume =
          p.type === PacketType.Video ? isVideoKeyframe(p.payload) && queued <= this.queueLimit : !this.stream.hasVideo && queued <= this.queueLimit / 2;
        if (!resume) {
          if (this.slow) this.dropped++;
          return;
        }
        this.state = 'live';
        this.slow = false;
      } else if (queued > this.queueLimit) {
        this.state = 'wait-keyframe';
        this.slow = true;
        this.dropped++;
        this.emit({ type: 'drop', conn: this.endpoint.info, app: this.stream.app, name: this.stream.name, queuedBytes: queued });
        return;
      }
    }
    this.endpoint.write(this.endpoint.session.sendMedia(this.streamId, p));
  }

  /** Data messages and sequence headers: small, needed to decode anything, never dropped. */
  private isHeader(p: MediaPacket): boolean {
    if (p.type === PacketType.Video) return isVideoSequenceHeader(p.payload);
    if (p.type === PacketType.Audio) return isAudioSequenceHeader(p.payload);
    return true;
  }
}
