/**
 * Protocol control messages (Adobe RTMP specification 5.4, types 1–6) and
 * User Control events (7.1.7): builders that return ready-to-encode messages
 * on chunk stream 2 / message stream 0, and one bounds-checked parser.
 */
import { ByteReader } from '../bytes/byte-reader.js';
import { ProtocolError } from '../errors.js';
import { CSID, MessageType, UserControlEvent, type RtmpMessage } from './message.js';

/** Set Peer Bandwidth limit types (spec 5.4.5). */
export const enum LimitType {
  Hard = 0,
  Soft = 1,
  Dynamic = 2,
}

/** A parsed protocol control or user control message, keyed like the spec. */
export type ControlMessage =
  | { type: 'setChunkSize'; size: number }
  | { type: 'abort'; csid: number }
  | { type: 'ack'; sequence: number }
  | { type: 'windowAckSize'; size: number }
  | { type: 'setPeerBandwidth'; size: number; limitType: number }
  | {
      type: 'userControl';
      event: UserControlEvent | number;
      streamId?: number;
      bufferLength?: number;
      timestamp?: number;
    };

/** Message type ids handled by `parseControl`. */
type ControlTypeId =
  | MessageType.SetChunkSize
  | MessageType.Abort
  | MessageType.Acknowledgement
  | MessageType.UserControl
  | MessageType.WindowAckSize
  | MessageType.SetPeerBandwidth;

function isControlType(t: number): t is ControlTypeId {
  return t >= MessageType.SetChunkSize && t <= MessageType.SetPeerBandwidth;
}

function control(typeId: number, payload: Buffer): RtmpMessage {
  return { csid: CSID.ProtocolControl, typeId, timestamp: 0, streamId: 0, payload };
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0); // modulo 2^32, e.g. for byte counts past 4 GiB
  return b;
}

/** Set Chunk Size (type 1): `size` is 1..0x7fffffff. */
export function setChunkSize(size: number): RtmpMessage {
  if (!Number.isInteger(size) || size < 1 || size > 0x7fffffff) {
    throw new RangeError(`chunk size must be an integer from 1 to ${0x7fffffff}, got ${size}`);
  }
  return control(MessageType.SetChunkSize, u32(size));
}

/** Abort (type 2): the peer drops the partial message on chunk stream `csid`. */
export function abort(csid: number): RtmpMessage {
  return control(MessageType.Abort, u32(csid));
}

/** Acknowledgement (type 3): bytes received so far, modulo 2^32. */
export function acknowledgement(sequence: number): RtmpMessage {
  return control(MessageType.Acknowledgement, u32(sequence));
}

/** Window Acknowledgement Size (type 5). */
export function windowAckSize(size: number): RtmpMessage {
  return control(MessageType.WindowAckSize, u32(size));
}

/** Set Peer Bandwidth (type 6). */
export function setPeerBandwidth(size: number, limitType: LimitType | number): RtmpMessage {
  const b = Buffer.allocUnsafe(5);
  b.writeUInt32BE(size >>> 0, 0);
  b[4] = limitType & 0xff;
  return control(MessageType.SetPeerBandwidth, b);
}

/** A User Control message (type 4): 16-bit event type then its data. */
export function userControl(event: UserControlEvent | number, ...data: number[]): RtmpMessage {
  const b = Buffer.allocUnsafe(2 + 4 * data.length);
  b.writeUInt16BE(event, 0);
  data.forEach((v, i) => b.writeUInt32BE(v >>> 0, 2 + 4 * i));
  return control(MessageType.UserControl, b);
}

/** Stream Begin: stream `streamId` became functional. */
export function streamBegin(streamId: number): RtmpMessage {
  return userControl(UserControlEvent.StreamBegin, streamId);
}

/** Stream EOF: playback of `streamId` ended. */
export function streamEof(streamId: number): RtmpMessage {
  return userControl(UserControlEvent.StreamEof, streamId);
}

/** Stream Dry: no more data on `streamId` for now. */
export function streamDry(streamId: number): RtmpMessage {
  return userControl(UserControlEvent.StreamDry, streamId);
}

/** Set Buffer Length: the client buffers `ms` milliseconds of `streamId`. */
export function setBufferLength(streamId: number, ms: number): RtmpMessage {
  return userControl(UserControlEvent.SetBufferLength, streamId, ms);
}

/** Stream Is Recorded: `streamId` is a recorded stream. */
export function streamIsRecorded(streamId: number): RtmpMessage {
  return userControl(UserControlEvent.StreamIsRecorded, streamId);
}

/** Ping Request carrying the sender's `timestamp`. */
export function pingRequest(timestamp: number): RtmpMessage {
  return userControl(UserControlEvent.PingRequest, timestamp);
}

/** Ping Response: echoes the `timestamp` of a Ping Request. */
export function pingResponse(timestamp: number): RtmpMessage {
  return userControl(UserControlEvent.PingResponse, timestamp);
}

const short = (what: string, needed: number, offset: number, available: number): Error =>
  new ProtocolError(`${what} is too short: needed ${needed} bytes at offset ${offset}, ${available} left`);

/**
 * Parses a protocol control (types 1, 2, 3, 5, 6) or user control (type 4)
 * message. Returns undefined for any other type. A payload too short for
 * its type throws ProtocolError; extra trailing bytes are ignored.
 */
export function parseControl(msg: RtmpMessage): ControlMessage | undefined {
  const t = msg.typeId;
  if (!isControlType(t)) return undefined;
  const r = new ByteReader(msg.payload, short);
  switch (t) {
    case MessageType.SetChunkSize:
      return { type: 'setChunkSize', size: r.u32('Set Chunk Size') & 0x7fffffff };
    case MessageType.Abort:
      return { type: 'abort', csid: r.u32('Abort') };
    case MessageType.Acknowledgement:
      return { type: 'ack', sequence: r.u32('Acknowledgement') };
    case MessageType.WindowAckSize:
      return { type: 'windowAckSize', size: r.u32('Window Acknowledgement Size') };
    case MessageType.SetPeerBandwidth: {
      const size = r.u32('Set Peer Bandwidth');
      return { type: 'setPeerBandwidth', size, limitType: r.u8('Set Peer Bandwidth limit type') };
    }
    case MessageType.UserControl:
      return parseUserControl(r);
    default:
      return assertNever(t);
  }
}

function parseUserControl(r: ByteReader): ControlMessage {
  const event = r.u16('User Control event type');
  switch (event) {
    case UserControlEvent.StreamBegin:
    case UserControlEvent.StreamEof:
    case UserControlEvent.StreamDry:
    case UserControlEvent.StreamIsRecorded:
      return { type: 'userControl', event, streamId: r.u32('User Control stream id') };
    case UserControlEvent.SetBufferLength: {
      const streamId = r.u32('Set Buffer Length stream id');
      return { type: 'userControl', event, streamId, bufferLength: r.u32('Set Buffer Length') };
    }
    case UserControlEvent.PingRequest:
    case UserControlEvent.PingResponse:
      return { type: 'userControl', event, timestamp: r.u32('Ping timestamp') };
    default:
      // Unknown events (e.g. FMS's BufferEmpty 31 / BufferReady 32) are reported, not fatal.
      return { type: 'userControl', event };
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled control message type ${String(x)}`);
}
