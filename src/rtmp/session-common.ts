/**
 * What the client and server sessions share: turning media and data
 * messages into packets, and acknowledging the peer's window.
 */
import { PacketType, type MediaPacket } from '../media/packet.js';
import * as control from './control.js';
import { MessageType, type RtmpMessage } from './message.js';

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
