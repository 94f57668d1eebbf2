/**
 * The one media unit shared by FLV files, RTMP messages and every pipeline
 * stage. FLV tag types and RTMP message type ids use the same numbers, and the
 * FLV tag body is exactly the RTMP message payload, so a packet moves from a
 * file to a socket (and back) without re-encoding or copying its payload.
 */
import { parseAudioTagHeader } from './audio-tag.js';
import { AudioPacketType, VideoPacketType } from './enhanced.js';
import { parseVideoTagHeader } from './video-tag.js';

export const enum PacketType {
  Audio = 8,
  Video = 9,
  /** AMF0 script data (onMetaData, @setDataFrame, onTextData, ...). */
  Data = 18,
}

export interface MediaPacket {
  type: PacketType;
  /** Decode timestamp in milliseconds, an unsigned 32-bit value (wraps after ~49.7 days). */
  timestamp: number;
  /** The FLV tag body / RTMP message payload, untouched. */
  payload: Buffer;
}

export function isMediaType(t: number): t is PacketType {
  return t === PacketType.Audio || t === PacketType.Video || t === PacketType.Data;
}

/** True for a video packet whose FrameType is 1 (key frame): legacy, Enhanced, ModEx and multitrack alike; never an Enhanced Metadata packet (whose FrameType means nothing). */
export function isVideoKeyframe(payload: Buffer): boolean {
  const b = payload[0];
  if (b === undefined || ((b >> 4) & 0x07) !== 1) return false;
  if (!(b & 0x80)) return true;
  const packetType = b & 0x0f;
  if (packetType === VideoPacketType.Metadata) return false;
  // ModEx and Multitrack put the packet type that applies further in.
  if (packetType === VideoPacketType.ModEx || packetType === VideoPacketType.Multitrack) {
    const info = parseVideoTagHeader(payload);
    return info !== undefined && info.packetType !== VideoPacketType.Metadata;
  }
  return true;
}

/**
 * True when the video payload is a codec sequence header: legacy AVC/HEVC, or
 * Enhanced RTMP SequenceStart / MPEG2TSSequenceStart, also behind ModEx steps
 * and in a multitrack message.
 */
export function isVideoSequenceHeader(payload: Buffer): boolean {
  const b0 = payload[0];
  if (b0 === undefined) return false;
  if (b0 & 0x80) {
    const packetType = b0 & 0x0f;
    if (packetType === VideoPacketType.ModEx || packetType === VideoPacketType.Multitrack) return parseVideoTagHeader(payload)?.sequenceHeader === true;
    return packetType === VideoPacketType.SequenceStart || packetType === VideoPacketType.MPEG2TSSequenceStart;
  }
  const codec = b0 & 0x0f;
  return (codec === 7 || codec === 12) && payload[1] === 0;
}

/** True when the audio payload is an AAC sequence header (AudioSpecificConfig) or an Enhanced SequenceStart (also behind ModEx or in a multitrack message). */
export function isAudioSequenceHeader(payload: Buffer): boolean {
  const b0 = payload[0];
  if (b0 === undefined) return false;
  if (b0 >> 4 === 9) {
    const packetType = b0 & 0x0f;
    if (packetType === AudioPacketType.ModEx || packetType === AudioPacketType.Multitrack) return parseAudioTagHeader(payload)?.sequenceHeader === true;
    return packetType === AudioPacketType.SequenceStart;
  }
  return b0 >> 4 === 10 && payload[1] === 0;
}
