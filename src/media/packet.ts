/**
 * The one media unit shared by FLV files, RTMP messages and every pipeline
 * stage. FLV tag types and RTMP message type ids use the same numbers, and the
 * FLV tag body is exactly the RTMP message payload, so a packet moves from a
 * file to a socket (and back) without re-encoding or copying its payload.
 */
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

/** True for an AVC/HEVC/Enhanced video packet carrying a keyframe (FrameType 1). */
export function isVideoKeyframe(payload: Buffer): boolean {
  const b = payload[0];
  return b !== undefined && ((b >> 4) & 0x07) === 1;
}

/** True when the video payload is a codec sequence header (legacy AVC/HEVC or Enhanced RTMP SequenceStart). */
export function isVideoSequenceHeader(payload: Buffer): boolean {
  const b0 = payload[0];
  if (b0 === undefined) return false;
  if (b0 & 0x80) return (b0 & 0x0f) === 0; // Enhanced RTMP: IsExHeader, PacketType 0 = SequenceStart
  const codec = b0 & 0x0f;
  return (codec === 7 || codec === 12) && payload[1] === 0;
}

/** True when the audio payload is an AAC sequence header (AudioSpecificConfig) or Enhanced SequenceStart. */
export function isAudioSequenceHeader(payload: Buffer): boolean {
  const b0 = payload[0];
  if (b0 === undefined) return false;
  if (b0 >> 4 === 9) return (b0 & 0x0f) === 0; // Enhanced RTMP audio: SoundFormat 9 = ExHeader, PacketType 0 = SequenceStart
  return b0 >> 4 === 10 && payload[1] === 0;
}
