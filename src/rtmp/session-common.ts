/**
 * What the client and server sessions share: the chunk decoder and encoder,
 * the byte count acknowledgements report, sending with the trace hook, the
 * input loop, turning media and data messages into packets, and
 * acknowledging the peer's window.
 */
import type { AmfValue } from '../amf/value.js';
import { resolveLimits, type Limits } from '../limits.js';
import { PacketType, type MediaPacket } from '../media/packet.js';
import { ChunkDecoder } from './chunk-decoder.js';
import { ChunkEncoder } from './chunk-encoder.js';
import { encodeCommand } from './commands.js';
import * as control from './control.js';
import { CSID, MessageType, type RtmpMessage } from './message.js';

/** An audio, video or data message as a packet (payload untouched), or undefined for other types. */
export function messageToPacket(msg: RtmpMessage): MediaPacket | undefined {
  switch (msg.typeId) {
    case MessageType.Audio:
    case MessageType.Video:
    case MessageType.DataAmf0:
      return { type: msg.typeId as number as PacketType, timestamp: msg.timestamp, payload: msg.payload };
    case MessageType.DataAmf3:
      // AMF3 data messages carry AMF0 values after a 0x00 format byte.
      return { type: PacketType.Data, timestamp: msg.timestamp, payload: msg.payload[0] === 0 ? msg.payload.subarray(1) : msg.payload };
    default:
      return undefined;
  }
}

/**
 * Acknowledgements (spec 5.4.3): once the peer set a window with Window
 * Acknowledgement Size, one is due each time that many more bytes arrived.
 */
export class AckTracker {
  private window = 0;
  private lastAckAt = 0;

  /** The window the peer announced (0 = none yet). */
  get size(): number {
    return this.window;
  }

  /** The peer announced its window; counting restarts from what was received so far. */
  setWindow(size: number, received: number): void {
    this.window = size;
    this.lastAckAt = received;
  }

  /** The Acknowledgement due after `received` bytes, if the window was reached. */
  due(received: number): RtmpMessage | undefined {
    if (this.window <= 0 || received - this.lastAckAt < this.window) return undefined;
    return this.now(received);
  }

  /** An Acknowledgement of `received` bytes now (sequence numbers wrap at 2^32). */
  now(received: number): RtmpMessage {
    this.lastAckAt = received;
    return control.acknowledgement(received % 0x1_0000_0000);
  }
}

/** Bytes to send and events to act on, in order. */
export interface SessionOutput<Event> {
  out: Buffer[];
  events: Event[];
}

/** Options both sessions take. */
export interface SessionBaseOptions {
  limits?: Partial<Limits> | undefined;
  /** Called for every whole message in ('in') and out ('out'), for --verbose traces. */
  onMessage?: ((direction: 'in' | 'out', message: RtmpMessage) => void) | undefined;
}

/**
 * The plumbing of one side of a connection after the handshake; the client
 * and server sessions add what each side says and how it answers
 * (`dispatch`). Everything returns the bytes to send: no I/O here.
 */
export abstract class SessionBase<Event> {
  protected readonly decoder: ChunkDecoder;
  protected readonly encoder = new ChunkEncoder(128);
  protected readonly limits: Limits;
  /** Window the peer asked us to acknowledge at (0 = never). */
  protected readonly acks = new AckTracker();
  private readonly onMessage: SessionBaseOptions['onMessage'];
  /** Bytes the handshake received before the session took over. */
  private receivedBase = 0;

  constructor(opts: SessionBaseOptions) {
    this.limits = resolveLimits(opts.limits);
    this.decoder = new ChunkDecoder(this.limits);
    this.onMessage = opts.onMessage;
  }

  /** Chunk size the peer uses towards us. */
  get inChunkSize(): number {
    return this.decoder.chunkSize;
  }

  get outChunkSize(): number {
    return this.encoder.chunkSize;
  }

  /** Total bytes received, including the handshake bytes the shell reports. */
  get bytesReceived(): number {
    return this.receivedBase + this.decoder.bytesReceived;
  }

  /** Counts bytes the handshake already received, so acknowledgements report the whole connection. */
  addHandshakeBytes(n: number): void {
    this.receivedBase += n;
  }

  /** Feeds received bytes; returns replies to send and events, in order (an Acknowledgement last when one is due). */
  handleInput(data: Buffer): SessionOutput<Event> {
    const out: Buffer[] = [];
    const events: Event[] = [];
    for (const msg of this.decoder.push(data)) {
      this.onMessage?.('in', msg);
      this.dispatch(msg, out, events);
    }
    const ack = this.acks.due(this.bytesReceived);
    if (ack) out.push(...this.send(ack));
    return { out, events };
  }

  /** Acts on one whole message from the peer: replies go to `out`, what the shell must know to `events`. */
  protected abstract dispatch(msg: RtmpMessage, out: Buffer[], events: Event[]): void;

  /** A media or data packet; the payload is never copied (chunks are views of it). */
  protected encodeMedia(streamId: number, packet: MediaPacket): Buffer[] {
    const csid = packet.type === PacketType.Audio ? CSID.Audio : packet.type === PacketType.Video ? CSID.Video : CSID.Data;
    return this.send({ csid, typeId: packet.type, timestamp: packet.timestamp, streamId, payload: packet.payload });
  }

  /** An AMF0 command message. */
  protected sendCommand(streamId: number, csid: number, name: string, transactionId: number, commandObject: AmfValue, args: AmfValue[]): Buffer[] {
    const payload = encodeCommand(name, transactionId, commandObject, ...args);
    return this.send({ csid, typeId: MessageType.CommandAmf0, timestamp: 0, streamId, payload });
  }

  protected send(msg: RtmpMessage): Buffer[] {
    this.onMessage?.('out', msg);
    return this.encoder.encode(msg);
  }
}
