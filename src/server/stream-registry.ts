/**
 * The live streams of an RtmpServer: name → publisher, players, the latest
 * metadata and sequence headers, the current GOP, and a recorder.
 *
 * A new player gets, in order: StreamBegin, NetStream.Play.Reset,
 * NetStream.Play.Start, then the metadata, the video and audio sequence
 * headers and the cached GOP (which starts on a keyframe), then live
 * packets. A player that comes before the publisher waits; when a publisher
 * starts it gets StreamBegin and PublishNotify and then everything live.
 * When the publisher leaves, players get NetStream.Play.UnpublishNotify and
 * StreamEOF and stay subscribed for the next publisher. Payloads are shared
 * by every player and never copied; timestamps are forwarded unchanged.
 */
import { peekScriptDataName, stripSetDataFrame, ON_METADATA } from '../flv/script-data.js';
import { isVideoKeyframe, PacketType, type MediaPacket } from '../media/packet.js';
import { SequenceHeaders } from '../media/sequence-headers.js';
import { tsDiff } from '../media/timestamp.js';
import { Recorder } from './recorder.js';
import { Player, type Endpoint } from './player.js';
import type { ServerEvent } from './rtmp-server.js';

/** Registry settings, resolved by RtmpServer. */
export interface RegistryOptions {
  recordDir: string | undefined;
  /** Stream names that may be published; undefined = any. */
  allowKeys: ReadonlySet<string> | undefined;
  gopCacheBytes: number;
  playerQueueBytes: number;
  emit(event: ServerEvent): void;
}

/** Why a publish was refused, for the publisher's NetStream.Publish.BadName. */
export type PublishResult = { ok: true } | { ok: false; description: string };

/** One named stream. */
export class LiveStream {
  publisher: { endpoint: Endpoint; streamId: number; packets: number; bytes: number; first?: number; last?: number } | undefined;
  readonly players = new Set<Player>();
  metadata: MediaPacket | undefined;
  /** The last video and audio sequence header of each track (Enhanced RTMP multitrack has several). */
  readonly headers = new SequenceHeaders();
  /** Audio and video since the last video keyframe, or undefined when there is none (or it grew past the cap). */
  gop: MediaPacket[] | undefined;
  gopBytes = 0;
  hasVideo = false;
  recorder: Recorder | undefined;

  constructor(
    readonly app: string,
    readonly name: string,
  ) {}

  /** Forgets what belonged to the last publisher. */
  reset(): void {
    this.publisher = undefined;
    this.metadata = this.gop = undefined;
    this.headers.clear();
    this.gopBytes = 0;
    this.hasVideo = false;
    this.recorder = undefined;
  }
}

type Role = { kind: 'publish'; stream: LiveStream } | { kind: 'play'; stream: LiveStream; player: Player };

/** Every stream of one server, and which connection plays or publishes what. */
export class StreamRegistry {
  private readonly streams = new Map<string, LiveStream>();
  private readonly roles = new Map<Endpoint, Map<number, Role>>();
  private readonly closing = new Set<Promise<unknown>>();

  constructor(private readonly opts: RegistryOptions) {}

  /** Streams with a publisher or waiting players. */
  list(): LiveStream[] {
    return [...this.streams.values()];
  }

  /** Starts publishing `name`, or says why not (already published, key not allowed, stream busy). */
  publish(endpoint: Endpoint, streamId: number, app: string, name: string): PublishResult {
    if (this.opts.allowKeys && !this.opts.allowKeys.has(name)) {
      return { ok: false, description: 'this stream key is not allowed on this server (--allow-key)' };
    }
    if (this.roleOf(endpoint, streamId)) return { ok: false, description: 'this NetStream is already publishing or playing' };
    const stream = this.streamFor(app, name);
    if (stream.publisher) return { ok: false, description: 'the stream is already being published' };
    stream.publisher = { endpoint, streamId, packets: 0, bytes: 0 };
    this.setRole(endpoint, streamId, { kind: 'publish', stream });
    const conn = endpoint.info;
    this.opts.emit({ type: 'publish', conn, app, name });
    if (this.opts.recordDir !== undefined) {
      stream.recorder = new Recorder(this.opts.recordDir, name, {
        onOpen: (path) => this.opts.emit({ type: 'record', app, name, path }),
        onError: (error) => this.opts.emit({ type: 'record-error', app, name, error }),
      });
    }
    for (const p of stream.players) p.publisherStarted();
    return { ok: true };
  }

  /** Subscribes a player; it starts at once when the stream is live, else waits for a publisher. */
  play(endpoint: Endpoint, streamId: number, app: string, name: string): boolean {
    if (this.roleOf(endpoint, streamId)) return false;
    const stream = this.streamFor(app, name);
    const player = new Player(endpoint, streamId, stream, this.opts.playerQueueBytes, (ev) => this.opts.emit(ev));
    stream.players.add(player);
    this.setRole(endpoint, streamId, { kind: 'play', stream, player });
    this.opts.emit({ type: 'play', conn: endpoint.info, app, name, waiting: !stream.publisher });
    player.start();
    return true;
  }

  /** A published packet: cached as needed, recorded, and fanned out. */
  media(endpoint: Endpoint, streamId: number, packet: MediaPacket): void {
    const role = this.roleOf(endpoint, streamId);
    if (role?.kind !== 'publish') return;
    const stream = role.stream;
    const pub = stream.publisher!;
    pub.packets++;
    pub.bytes += packet.payload.length;
    let p = packet;
    if (p.type === PacketType.Data) {
      const name = peekScriptDataName(p.payload);
      if (name === '@clearDataFrame') {
        stream.metadata = undefined;
        return;
      }
      // Published as '@setDataFrame', 'onMetaData', {...}; stored and played as 'onMetaData', {...}.
      p = { type: p.type, timestamp: p.timestamp, payload: stripSetDataFrame(p.payload) };
      if (name === ON_METADATA) stream.metadata = p;
    } else {
      pub.first ??= p.timestamp;
      if (pub.last === undefined || tsDiff(pub.last, p.timestamp) > 0) pub.last = p.timestamp;
      this.cache(stream, p);
    }
    stream.recorder?.write(p);
    for (const player of stream.players) player.send(p);
  }

  /** Keeps the sequence headers and the GOP since the last video keyframe, bounded by gopCacheBytes. */
  private cache(stream: LiveStream, p: MediaPacket): void {
    if (p.type === PacketType.Video) stream.hasVideo = true;
    if (stream.headers.update(p)) {
      // New video decoder configuration: frames cached under the old one are of no use.
      if (p.type === PacketType.Video) {
        stream.gop = undefined;
        stream.gopBytes = 0;
      }
      return;
    }
    // A keyframe starts a new GOP, unless it is another track's keyframe at the same time
    // (Enhanced RTMP multitrack sends one per track).
    if (p.type === PacketType.Video && isVideoKeyframe(p.payload) && stream.gop?.[0]?.timestamp !== p.timestamp) {
      stream.gop = [p];
      stream.gopBytes = p.payload.length;
      return;
    }
    if (!stream.gop) return;
    stream.gop.push(p);
    stream.gopBytes += p.payload.length;
    if (stream.gopBytes > this.opts.gopCacheBytes) {
      // Too long a GOP to replay: late joiners wait for the next keyframe instead.
      stream.gop = undefined;
      stream.gopBytes = 0;
    }
  }

  /** Ends whatever `streamId` of `endpoint` does (deleteStream, closeStream). */
  stop(endpoint: Endpoint, streamId: number): void {
    const role = this.roleOf(endpoint, streamId);
    if (!role) return;
    this.roles.get(endpoint)?.delete(streamId);
    if (role.kind === 'publish') this.unpublish(role.stream);
    else {
      role.stream.players.delete(role.player);
      this.opts.emit({ type: 'stop', conn: endpoint.info, app: role.stream.app, name: role.stream.name, dropped: role.player.dropped });
    }
    this.forgetIfUnused(role.stream);
  }

  /** FCUnpublish(name): ends the publish of `name` by this connection, if any. */
  stopByName(endpoint: Endpoint, name: string): void {
    for (const [streamId, role] of this.roles.get(endpoint) ?? []) {
      if (role.kind === 'publish' && role.stream.name === name) this.stop(endpoint, streamId);
    }
  }

  /** The connection went away: end everything it did. */
  leave(endpoint: Endpoint): void {
    for (const streamId of [...(this.roles.get(endpoint)?.keys() ?? [])]) this.stop(endpoint, streamId);
    this.roles.delete(endpoint);
  }

  /** Resolves when every recording that was closing has been finalized. */
  async settled(): Promise<void> {
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }

  private unpublish(stream: LiveStream): void {
    const pub = stream.publisher;
    if (!pub) return;
    const recorder = stream.recorder;
    const durationMs = pub.first !== undefined && pub.last !== undefined ? Math.max(0, tsDiff(pub.first, pub.last)) : 0;
    this.opts.emit({ type: 'unpublish', conn: pub.endpoint.info, app: stream.app, name: stream.name, packets: pub.packets, bytes: pub.bytes, durationMs });
    stream.reset();
    for (const p of stream.players) p.publisherStopped();
    if (recorder) {
      const done = recorder.close().then((summary) => {
        if (summary && recorder.path) this.opts.emit({ type: 'record-done', app: stream.app, name: stream.name, path: recorder.path, bytes: summary.bytes, durationMs: summary.durationMs });
      });
      this.closing.add(done);
      void done.finally(() => this.closing.delete(done));
    }
  }

  private streamFor(app: string, name: string): LiveStream {
    const key = `${app}/${name}`;
    let s = this.streams.get(key);
    if (!s) {
      s = new LiveStream(app, name);
      this.streams.set(key, s);
    }
    return s;
  }

  private forgetIfUnused(stream: LiveStream): void {
    if (!stream.publisher && stream.players.size === 0) this.streams.delete(`${stream.app}/${stream.name}`);
  }

  private roleOf(endpoint: Endpoint, streamId: number): Role | undefined {
    return this.roles.get(endpoint)?.get(streamId);
  }

  private setRole(endpoint: Endpoint, streamId: number, role: Role): void {
    let m = this.roles.get(endpoint);
    if (!m) {
      m = new Map();
      this.roles.set(endpoint, m);
    }
    m.set(streamId, role);
  }
}
