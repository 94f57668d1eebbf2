/**
 * RTMP message types by the numbers of the Adobe RTMP specification
 * (section 5.4 protocol control, 6.2 user control, 7.1 command/data/media).
 */
export const enum MessageType {
  SetChunkSize = 1,
  Abort = 2,
  Acknowledgement = 3,
  UserControl = 4,
  WindowAckSize = 5,
  SetPeerBandwidth = 6,
  Audio = 8,
  Video = 9,
  DataAmf3 = 15,
  SharedObjectAmf3 = 16,
  CommandAmf3 = 17,
  DataAmf0 = 18,
  SharedObjectAmf0 = 19,
  CommandAmf0 = 20,
  Aggregate = 22,
}

/** User Control event types (RTMP spec 7.1.7). */
export const enum UserControlEvent {
  StreamBegin = 0,
  StreamEof = 1,
  StreamDry = 2,
  SetBufferLength = 3,
  StreamIsRecorded = 4,
  PingRequest = 6,
  PingResponse = 7,
}

/** One whole RTMP message as reassembled from chunks (or to be chunked). */
export interface RtmpMessage {
  /** Chunk stream id it travels on (2..65599). */
  csid: number;
  typeId: number;
  /** Absolute timestamp, unsigned 32-bit ms. */
  timestamp: number;
  /** Message stream id (0 for NetConnection and protocol control). */
  streamId: number;
  payload: Buffer;
}

/** Human name of a message type for traces. */
export function messageTypeName(t: number): string {
  switch (t) {
    case 1: return 'SetChunkSize';
    case 2: return 'Abort';
    case 3: return 'Ack';
    case 4: return 'UserControl';
    case 5: return 'WindowAckSize';
    case 6: return 'SetPeerBandwidth';
    case 8: return 'Audio';
    case 9: return 'Video';
    case 15: return 'DataAMF3';
    case 16: return 'SharedObjectAMF3';
    case 17: return 'CommandAMF3';
    case 18: return 'DataAMF0';
    case 19: return 'SharedObjectAMF0';
    case 20: return 'CommandAMF0';
    case 22: return 'Aggregate';
    default: return `Type${t}`;
  }
}

/** Chunk stream ids we use when sending (nginx-rtmp rejects ids >= 32). */
export const CSID = {
  ProtocolControl: 2,
  Command: 3,
  StreamCommand: 5,
  Audio: 4,
  Video: 6,
  Data: 5,
} as const;
