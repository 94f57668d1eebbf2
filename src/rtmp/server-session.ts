/**
 * The sans-I/O server side of one RTMP connection after the handshake.
 *
 * Mirrors ClientSession: `handleInput(bytes)` returns the bytes to send back
 * (acknowledgements, ping responses, trivial replies) and typed requests
 * (connect, createStream, publish, play, media...); the shell decides and
 * answers through methods that return the bytes to send. No sockets,
 * timers or promises live here.
 */
import type { AmfObject, AmfValue } from '../amf/value.js';
import { asObject, expectNumber, expectString, getNumber, getString } from '../amf/expect.js';
import { LimitError, ProtocolError } from '../errors.js';
import type { Limits } from '../limits.js';
import type { MediaPacket } from '../media/packet.js';
import { decodeCommand, type Command } from './commands.js';
import * as control from './control.js';
import { CSID, MessageType, UserControlEvent, type RtmpMessage } from './message.js';
import { messageToPacket, SessionBase } from './session-common.js';

/** What the client asked for, in order. */
export type ServerSessionEvent =
  | { type: 'connect'; transactionId: number; app: string; tcUrl: string | undefined; objectEncoding: number; params: AmfObject }
  | { type: 'createStream'; transactionId: number }
  | { type: 'publish'; streamId: number; name: string; publishType: string }
  | { type: 'play'; streamId: number; name: string; start: number; duration: number; reset: boolean }
  /** deleteStream(id) on the NetConnection: `streamId` is the stream being deleted. */
  | { type: 'deleteStream'; streamId: number }
  | { type: 'closeStream'; streamId: number }
  /** Adobe encoder hints around a publish (answered by the session itself). */
  | { type: 'releaseStream' | 'fcPublish' | 'fcUnpublish'; name: string }
  | { type: 'media'; streamId: number; packet: MediaPacket }
  | { type: 'setBufferLength'; streamId: number; ms: number }
  | { type: 'control'; control: control.ControlMessage }
  /** Any other command (FCSubscribe, getStreamLength, pause, receiveAudio...). */
  | { type: 'command'; streamId: number; command: Command }
  | { type: 'unknown'; message: RtmpMessage };

/** Options for `ServerSession`. */
export interface ServerSessionOptions {
  /** Outgoing chunk size, announced in acceptConnect (default 4096). */
  chunkSize?: number;
  /** Window Acknowledgement Size and Set Peer Bandwidth announced (default 5,000,000, as nginx-rtmp). */
  windowAckSize?: number;
  /** Message streams one connection may create (default: limits.maxStreamsPerConnection). */
  maxStreams?: number;
  limits?: Partial<Limits>;
  /** Called for every whole message in ('in') and out ('out'), for --verbose traces. */
  onMessage?: (direction: 'in' | 'out', message: RtmpMessage) => void;
}

/** What the connect reply says about the server (the values FMS and nginx-rtmp send). */
const SERVER_PROPERTIES = { fmsVer: 'FMS/3,0,1,123', capabilities: 31 } as const;

/** The server half of one connection. */
export class ServerSession extends SessionBase<ServerSessionEvent> {
  private readonly chunkSize: number;
  private readonly window: number;
  private readonly maxStreams: number;
  private readonly streams = new Set<number>();
  private nextStreamId = 1;
  private connectSeen = false;
  /** The app the client connected to (without any query), once it sent connect. */
  app: string | undefined;

  constructor(opts: ServerSessionOptions = {}) {
    super(opts);
    this.chunkSize = opts.chunkSize ?? 4096;
    this.window = opts.windowAckSize ?? 5_000_000;
    this.maxStreams = opts.maxStreams ?? this.limits.maxStreamsPerConnection;
  }

  /** Message streams currently created on this connection. */
  get openStreams(): ReadonlySet<number> {
    return this.streams;
  }

  /**
   * Accepts `connect` as nginx-rtmp does: Window Acknowledgement Size, Set
   * Peer Bandwidth (dynamic), Set Chunk Size (announced at the old size,
   * then applied), and `_result` with the server properties and
   * NetConnection.Connect.Success.
   */
  acceptConnect(transactionId: number, objectEncoding = 0): Buffer[] {
    const out = [
      ...this.send(control.windowAckSize(this.window)),
      ...this.send(control.setPeerBandwidth(this.window, control.LimitType.Dynamic)),
    ];
    if (this.chunkSize !== this.encoder.chunkSize) {
      out.push(...this.send(control.setChunkSize(this.chunkSize)));
      this.encoder.setChunkSize(this.chunkSize);
    }
    const info = { level: 'status', code: 'NetConnection.Connect.Success', description: 'Connection succeeded.', objectEncoding };
    out.push(...this.command(0, CSID.Command, '_result', transactionId, { ...SERVER_PROPERTIES }, info));
    return out;
  }

  /** Refuses `connect` with `_error` NetConnection.Connect.Rejected. */
  rejectConnect(transactionId: number, description: string): Buffer[] {
    return this.error(transactionId, { level: 'error', code: 'NetConnection.Connect.Rejected', description });
  }

  /** Allocates a message stream and answers `createStream` with its id. */
  acceptCreateStream(transactionId: number): { out: Buffer[]; streamId: number } {
    if (this.streams.size >= this.maxStreams) {
      throw new LimitError('maxStreamsPerConnection', this.streams.size + 1, this.maxStreams, 'message streams created by the client');
    }
    while (this.streams.has(this.nextStreamId) || this.nextStreamId === 0) this.nextStreamId = (this.nextStreamId + 1) >>> 0;
    const streamId = this.nextStreamId++;
    this.streams.add(streamId);
    return { out: this.result(transactionId, null, streamId), streamId };
  }

  /** `_result` for a NetConnection call. */
  result(transactionId: number, commandObject: AmfValue, ...args: AmfValue[]): Buffer[] {
    return this.command(0, CSID.Command, '_result', transactionId, commandObject, ...args);
  }

  /** `_error` for a NetConnection call. */
  error(transactionId: number, info: AmfObject): Buffer[] {
    return this.command(0, CSID.Command, '_error', transactionId, null, info);
  }

  /** `onStatus` on a stream (spec 7.2.2): level 'status' or 'error', a code and a description. */
  status(streamId: number, level: string, code: string, description: string): Buffer[] {
    return this.command(streamId, CSID.StreamCommand, 'onStatus', 0, null, { level, code, description });
  }

  /**
   * Enhanced RTMP `NetConnection.Connect.ReconnectRequest`: onStatus on the
   * NetConnection asking the client to reconnect, to `tcUrl` when given.
   */
  reconnectRequest(tcUrl: string | undefined, description: string): Buffer[] {
    const info: AmfObject = { level: 'status', code: 'NetConnection.Connect.ReconnectRequest', description };
    if (tcUrl !== undefined) info['tcUrl'] = tcUrl;
    return this.command(0, CSID.Command, 'onStatus', 0, null, info);
  }

  /** User control Stream Begin. */
  streamBegin(streamId: number): Buffer[] {
    return this.send(control.streamBegin(streamId));
  }

  /** User control Stream EOF. */
  streamEof(streamId: number): Buffer[] {
    return this.send(control.streamEof(streamId));
  }

  /** User control Ping Request; the client answers with the same timestamp. */
  ping(timestamp: number): Buffer[] {
    return this.send(control.pingRequest(timestamp));
  }

  /** A media or data packet; the payload is never copied (chunks are views of it). */
  sendMedia(streamId: number, packet: MediaPacket): Buffer[] {
    return this.encodeMedia(streamId, packet);
  }

  private command(streamId: number, csid: number, name: string, txn: number, obj: AmfValue, ...args: AmfValue[]): Buffer[] {
    return this.sendCommand(streamId, csid, name, txn, obj, args);
  }

  protected dispatch(msg: RtmpMessage, out: Buffer[], events: ServerSessionEvent[]): void {
    switch (msg.typeId) {
      case MessageType.SetChunkSize:
      case MessageType.Abort:
      case MessageType.Acknowledgement:
      case MessageType.UserControl:
      case MessageType.WindowAckSize:
      case MessageType.SetPeerBandwidth: {
        const c = control.parseControl(msg);
        if (c) this.applyControl(c, out, events);
        return;
      }
      case MessageType.Audio:
      case MessageType.Video:
      case MessageType.DataAmf0:
      case MessageType.DataAmf3:
        events.push({ type: 'media', streamId: msg.streamId, packet: messageToPacket(msg)! });
        return;
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        this.dispatchCommand(msg, decodeCommand(msg, this.limits), out, events);
        return;
      default:
        // Shared objects and aggregates: no publisher we serve sends them.
        events.push({ type: 'unknown', message: msg });
    }
  }

  private applyControl(c: control.ControlMessage, out: Buffer[], events: ServerSessionEvent[]): void {
    if (c.type === 'windowAckSize') {
      this.acks.setWindow(c.size, this.bytesReceived);
    } else if (c.type === 'userControl') {
      if (c.event === UserControlEvent.PingRequest && c.timestamp !== undefined) {
        out.push(...this.send(control.pingResponse(c.timestamp)));
      } else if (c.event === UserControlEvent.SetBufferLength && c.streamId !== undefined && c.bufferLength !== undefined) {
        events.push({ type: 'setBufferLength', streamId: c.streamId, ms: c.bufferLength });
        return;
      }
    }
    events.push({ type: 'control', control: c });
  }

  private dispatchCommand(msg: RtmpMessage, cmd: Command, out: Buffer[], events: ServerSessionEvent[]): void {
    if (!this.connectSeen) {
      if (cmd.name !== 'connect') throw new ProtocolError(`'${cmd.name}' before connect; a client must connect first`);
      this.connectSeen = true;
      const params = asObject(cmd.commandObject);
      if (!params) throw new ProtocolError('connect without a command object');
      const app = getString(params, 'app');
      if (app === undefined) throw new ProtocolError("connect without a string 'app' in its command object");
      // Streams are matched on the bare app, as nginx-rtmp does: a query (tokens, auth) is not part of it.
      this.app = app.split('?')[0] ?? app;
      const encoding = getNumber(params, 'objectEncoding');
      events.push({ type: 'connect', transactionId: cmd.transactionId, app, tcUrl: getString(params, 'tcUrl'), objectEncoding: encoding === 3 ? 3 : 0, params });
      return;
    }
    const streamId = msg.streamId;
    switch (cmd.name) {
      case 'connect':
        throw new ProtocolError('a second connect on the same connection');
      case 'createStream':
        events.push({ type: 'createStream', transactionId: cmd.transactionId });
        return;
      case 'publish': {
        const name = expectString(cmd.args[0], 'the stream name of publish');
        const type = cmd.args[1];
        events.push({ type: 'publish', streamId, name, publishType: typeof type === 'string' ? type : 'live' });
        return;
      }
      case 'play': {
        const name = expectString(cmd.args[0], 'the stream name of play');
        const [, start, duration, reset] = cmd.args;
        events.push({
          type: 'play',
          streamId,
          name,
          start: typeof start === 'number' ? start : -2,
          duration: typeof duration === 'number' ? duration : -1,
          reset: typeof reset === 'boolean' ? reset : true,
        });
        return;
      }
      case 'deleteStream': {
        const id = expectNumber(cmd.args[0], 'the stream id of deleteStream');
        if (Number.isInteger(id) && id >= 0) {
          this.streams.delete(id);
          events.push({ type: 'deleteStream', streamId: id });
        }
        return;
      }
      case 'closeStream':
        events.push({ type: 'closeStream', streamId });
        return;
      case 'releaseStream':
      case 'FCPublish':
      case 'FCUnpublish': {
        // nginx-rtmp never answers these; SRS answers `_result`. ffmpeg and
        // librtmp (OBS) ignore both a reply and its absence, so we answer the
        // two that open a publish like SRS (a client that tracks the call
        // gets it settled), but not FCUnpublish: the client is hanging up,
        // and unread bytes would turn its close into a reset.
        const name = typeof cmd.args[0] === 'string' ? cmd.args[0] : '';
        if (cmd.transactionId > 0 && cmd.name !== 'FCUnpublish') out.push(...this.result(cmd.transactionId, null, undefined));
        events.push({ type: cmd.name === 'releaseStream' ? 'releaseStream' : cmd.name === 'FCPublish' ? 'fcPublish' : 'fcUnpublish', name });
        return;
      }
      default:
        events.push({ type: 'command', streamId, command: cmd });
    }
  }
}
