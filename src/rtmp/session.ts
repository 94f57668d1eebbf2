/**
 * The sans-I/O client side of an RTMP connection after the handshake.
 *
 * The session decides and the shell acts: `handleInput(bytes)` returns the
 * bytes to send back (acknowledgements, ping responses) and the events the
 * input produced; every request (`connect`, `createStream`, `publish`, media)
 * returns the bytes to send. No sockets, timers or promises live here.
 */
import type { AmfValue } from '../amf/value.js';
import { encodeAmf0 } from '../amf/amf0.js';
import { ProtocolError } from '../errors.js';
import type { Limits } from '../limits.js';
import { PacketType, type MediaPacket } from '../media/packet.js';
import { tsAdd } from '../media/timestamp.js';
import {
  connectObject,
  decodeCommand,
  statusInfo,
  type Command,
  type ConnectParams,
  type StatusInfo,
} from './commands.js';
import * as control from './control.js';
import { CSID, MessageType, UserControlEvent, type RtmpMessage } from './message.js';
import { messageToPacket, SessionBase } from './session-common.js';

/** What the input produced, in order. */
export type SessionEvent =
  | { type: 'control'; control: control.ControlMessage }
  | { type: 'result'; transactionId: number; request: string; ok: boolean; command: Command }
  | { type: 'status'; streamId: number; info: StatusInfo; command: Command }
  | { type: 'command'; streamId: number; command: Command }
  | { type: 'media'; streamId: number; packet: MediaPacket }
  | { type: 'unknown'; message: RtmpMessage };

export interface SessionOptions {
  /** Outgoing chunk size announced with Set Chunk Size (default 4096). */
  chunkSize?: number;
  limits?: Partial<Limits>;
  /** Called for every whole message in ('in') and out ('out'), for --verbose traces. */
  onMessage?: (direction: 'in' | 'out', message: RtmpMessage) => void;
}

export class ClientSession extends SessionBase<SessionEvent> {
  private readonly wantChunkSize: number;
  private nextTransaction = 1;
  private readonly pending = new Map<number, string>();
  private lastWindowSent = 0;
  /** The server's Set Peer Bandwidth, for reports. */
  peerBandwidth: number | undefined;
  /** Bytes sent as media, for reports. */
  mediaBytesOut = 0;

  constructor(opts: SessionOptions = {}) {
    super(opts);
    this.wantChunkSize = opts.chunkSize ?? 4096;
  }

  /** Window acknowledgement size the server announced. */
  get windowAckSize(): number {
    return this.acks.size;
  }

  /** First bytes after the handshake: announce our chunk size (sent at the default 128, then applied). */
  begin(): Buffer[] {
    if (this.wantChunkSize === 128) return [];
    const out = this.send(control.setChunkSize(this.wantChunkSize));
    this.encoder.setChunkSize(this.wantChunkSize);
    return out;
  }

  /** `connect` on transaction 1 (spec 7.2.1.1). */
  connect(params: ConnectParams): { out: Buffer[]; transactionId: number } {
    return this.call('connect', connectObject(params), params.extraArgs ?? []);
  }

  /** A NetConnection call expecting `_result`/`_error`. */
  call(name: string, commandObject: AmfValue, args: AmfValue[] = []): { out: Buffer[]; transactionId: number } {
    const transactionId = this.nextTransaction++;
    this.pending.set(transactionId, name);
    return { out: this.sendCommand(0, CSID.Command, name, transactionId, commandObject, args), transactionId };
  }

  /**
   * A NetConnection call whose reply we never wait for (releaseStream,
   * FCPublish, FCUnpublish: nginx-rtmp never answers them). Replies that do
   * come are matched and reported as results.
   */
  notify(name: string, args: AmfValue[]): Buffer[] {
    const transactionId = this.nextTransaction++;
    this.pending.set(transactionId, name);
    return this.sendCommand(0, CSID.Command, name, transactionId, null, args);
  }

  /** A NetStream command (publish, play, deleteStream...) with transaction id 0. */
  streamCommand(streamId: number, name: string, args: AmfValue[]): Buffer[] {
    return this.sendCommand(streamId, CSID.StreamCommand, name, 0, null, args);
  }

  /** User control Set Buffer Length for a stream (spec 7.1.7, event 3). */
  setBufferLength(streamId: number, ms: number): Buffer[] {
    return this.send(control.setBufferLength(streamId, ms));
  }

  /** A data message (AMF0) on a stream, e.g. `@setDataFrame onMetaData`. */
  sendDataValues(streamId: number, values: AmfValue[], timestamp = 0): Buffer[] {
    return this.sendMedia(streamId, { type: PacketType.Data, timestamp, payload: encodeAmf0(...values) });
  }

  /** A media or data packet, payload untouched. */
  sendMedia(streamId: number, packet: MediaPacket): Buffer[] {
    this.mediaBytesOut += packet.payload.length;
    return this.encodeMedia(streamId, packet);
  }

  protected dispatch(msg: RtmpMessage, out: Buffer[], events: SessionEvent[]): void {
    switch (msg.typeId) {
      case MessageType.SetChunkSize:
      case MessageType.Abort:
      case MessageType.Acknowledgement:
      case MessageType.UserControl:
      case MessageType.WindowAckSize:
      case MessageType.SetPeerBandwidth: {
        const c = control.parseControl(msg);
        if (!c) return;
        this.applyControl(c, out);
        events.push({ type: 'control', control: c });
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
        this.dispatchCommand(msg, events);
        return;
      case MessageType.Aggregate:
        this.splitAggregate(msg, events);
        return;
      default:
        events.push({ type: 'unknown', message: msg });
    }
  }

  private applyControl(c: control.ControlMessage, out: Buffer[]): void {
    switch (c.type) {
      case 'windowAckSize':
        this.acks.setWindow(c.size, this.bytesReceived);
        // Answer at once with an Acknowledgement of what we have: nginx-rtmp
        // writes its connect replies in several small sends with Nagle on, so
        // each waits for our (delayed, ~40 ms) TCP ACK unless data carries it.
        out.push(...this.send(this.acks.now(this.bytesReceived)));
        return;
      case 'setPeerBandwidth':
        this.peerBandwidth = c.size;
        // Spec 5.4.5: answer with our Window Acknowledgement Size when it differs from the last one sent.
        if (c.size !== this.lastWindowSent) {
          this.lastWindowSent = c.size;
          out.push(...this.send(control.windowAckSize(c.size)));
        }
        return;
      case 'userControl':
        if (c.event === UserControlEvent.PingRequest && c.timestamp !== undefined) {
          out.push(...this.send(control.pingResponse(c.timestamp)));
        }
        return;
      case 'setChunkSize':
      case 'abort':
      case 'ack':
        return; // applied inside the chunk decoder, or informational
      default: {
        const never: never = c;
        return never;
      }
    }
  }

  private dispatchCommand(msg: RtmpMessage, events: SessionEvent[]): void {
    const command = decodeCommand(msg, this.limits);
    if (command.name === '_result' || command.name === '_error') {
      const request = this.pending.get(command.transactionId);
      if (request !== undefined) {
        this.pending.delete(command.transactionId);
        events.push({ type: 'result', transactionId: command.transactionId, request, ok: command.name === '_result', command });
        return;
      }
    }
    if (command.name === 'onStatus') {
      const info = statusInfo(command);
      if (!info) throw new ProtocolError('onStatus without an information object carrying a code');
      events.push({ type: 'status', streamId: msg.streamId, info, command });
      return;
    }
    events.push({ type: 'command', streamId: msg.streamId, command });
  }

  /**
   * Aggregate messages (type 22) hold FLV-style sub-messages whose timestamps
   * are relative to the first one; the aggregate's own timestamp replaces it.
   */
  private splitAggregate(msg: RtmpMessage, events: SessionEvent[]): void {
    const p = msg.payload;
    let off = 0;
    let base: number | undefined;
    while (off + 11 <= p.length) {
      const type = p[off]!;
      const size = p.readUIntBE(off + 1, 3);
      const ts = (p.readUIntBE(off + 4, 3) | (p[off + 7]! << 24)) >>> 0;
      const bodyStart = off + 11;
      if (bodyStart + size + 4 > p.length) {
        throw new ProtocolError(`aggregate message: sub-message of ${size} bytes overruns the ${p.length}-byte payload at offset ${off}`);
      }
      base ??= ts;
      const timestamp = tsAdd(msg.timestamp, ts - base);
      if (type === PacketType.Audio || type === PacketType.Video || type === PacketType.Data) {
        events.push({ type: 'media', streamId: msg.streamId, packet: { type, timestamp, payload: p.subarray(bodyStart, bodyStart + size) } });
      }
      off = bodyStart + size + 4;
    }
  }
}

