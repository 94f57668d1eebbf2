/**
 * The first bytes of a video payload (FLV VIDEODATA / RTMP video message):
 * enough to know the codec, the frame type, whether it is a sequence header
 * and where the codec data starts. The codec data itself is not touched.
 *
 * Legacy layout (Adobe FLV spec v10, annex E.4.3.1):
 *   UB[4] FrameType (1 key, 2 inter, 3 disposable, 4 generated key, 5 info/command)
 *   UB[4] CodecID (2 Sorenson H.263, 3 screen, 4 VP6, 5 VP6 alpha, 6 screen v2, 7 AVC;
 *         12 HEVC is the widespread pre-Enhanced-RTMP extension)
 *   if AVC/HEVC: UI8 AVCPacketType (0 sequence header, 1 NALUs, 2 end of sequence)
 *                SI24 CompositionTime (milliseconds, may be negative)
 *   if FrameType 5: UI8 command instead of video data
 *
 * Enhanced RTMP (veovera enhanced-rtmp v2, "Enhanced Video"):
 *   UB[1] IsExHeader = 1, UB[3] FrameType, UB[4] VideoPacketType
 *   (0 SequenceStart, 1 CodedFrames, 2 SequenceEnd, 3 CodedFramesX, 4 Metadata,
 *    5 MPEG2TSSequenceStart, 6 Multitrack, 7 ModEx)
 *   while ModEx: modExDataSize (UI8 + 1, or UI16 + 1 when that is 256), the data,
 *                then UB[4] ModExType, UB[4] the next VideoPacketType
 *   FrameType 5 and not Metadata: UI8 command, and nothing else
 *   Multitrack: UB[4] AvMultitrackType, UB[4] VideoPacketType, FourCC unless ManyTracksManyCodecs
 *   otherwise: FOURCC (avc1, hvc1, av01, vp08, vp09, vvc1)
 *   CodedFrames of avc1/hvc1/vvc1: SI24 CompositionTime
 * This is a cheap, lenient peek at the first bytes; enhanced.ts parses and
 * builds whole Enhanced RTMP messages (every track of a multitrack one).
 */
import type { ByteReader } from '../bytes/byte-reader.js';
import { readLeniently } from '../bytes/lenient.js';
import { readModEx } from './enhanced.js';

/** Codec names shared by legacy CodecIDs and Enhanced RTMP FourCCs. */
export type VideoCodec = 'h263' | 'screen' | 'vp6' | 'vp6a' | 'screen2' | 'avc' | 'hevc' | 'av1' | 'vp8' | 'vp9' | 'vvc' | 'unknown';

/** What the header bytes of a video payload say. */
export interface VideoTagInfo {
  /** True for an Enhanced RTMP (IsExHeader) payload. */
  enhanced: boolean;
  codec: VideoCodec;
  /** Legacy CodecID (absent for Enhanced RTMP). */
  codecId?: number;
  /** Enhanced RTMP FourCC, e.g. 'hvc1' (absent for legacy payloads and command frames). */
  fourcc?: string;
  /** 1 key, 2 inter, 3 disposable inter, 4 generated key, 5 info/command. */
  frameType: number;
  /** AVCPacketType (legacy AVC/HEVC) or VideoPacketType (Enhanced); undefined for other legacy codecs. */
  packetType: number | undefined;
  /** True for a codec configuration record (AVC/HEVC sequence header, Enhanced SequenceStart). */
  sequenceHeader: boolean;
  /** True for a seekable frame (FrameType 1 or 4) carrying video. */
  keyframe: boolean;
  /** Signed composition time offset in milliseconds (pts - dts); 0 when absent. */
  compositionTime: number;
  /** Bytes before the codec data. */
  headerSize: number;
  /** The command byte of an info/command frame (FrameType 5). */
  command?: number;
  /** Enhanced multitrack: AvMultitrackType (0 one track, 1 many tracks, 2 many tracks many codecs). */
  multitrackType?: number;
  /** Enhanced ModEx TimestampOffsetNano, when present. */
  timestampOffsetNano?: number;
}

const LEGACY_CODECS: Record<number, VideoCodec> = {
  2: 'h263',
  3: 'screen',
  4: 'vp6',
  5: 'vp6a',
  6: 'screen2',
  7: 'avc',
  12: 'hevc',
};

const FOURCC_CODECS: Record<string, VideoCodec> = {
  avc1: 'avc',
  hvc1: 'hevc',
  av01: 'av1',
  vp08: 'vp8',
  vp09: 'vp9',
  vvc1: 'vvc',
};

const COMMAND_FRAME = 5;
const PACKET_CODED_FRAMES = 1;
const PACKET_METADATA = 4;
const PACKET_MULTITRACK = 6;
const PACKET_MODEX = 7;
const MANY_TRACKS_MANY_CODECS = 2;

/**
 * Parses the header bytes of a video payload. Returns undefined for an
 * empty, truncated or reserved (FrameType 0) header; never throws.
 */
export function parseVideoTagHeader(payload: Buffer): VideoTagInfo | undefined {
  return readLeniently(payload, (r) => {
    const b0 = r.u8();
    return b0 & 0x80 ? parseEnhanced(r, b0) : parseLegacy(r, b0);
  });
}

function parseLegacy(r: ByteReader, b0: number): VideoTagInfo | undefined {
  const frameType = b0 >> 4;
  const codecId = b0 & 0x0f;
  if (frameType === 0) return undefined;
  const codec = LEGACY_CODECS[codecId] ?? 'unknown';
  const info: VideoTagInfo = {
    enhanced: false,
    codec,
    codecId,
    frameType,
    packetType: undefined,
    sequenceHeader: false,
    keyframe: false,
    compositionTime: 0,
    headerSize: 1,
  };
  if (frameType === COMMAND_FRAME) {
    info.command = r.u8();
  } else if (codec === 'avc' || codec === 'hevc') {
    const packetType = r.u8();
    const cts = r.i24();
    info.packetType = packetType;
    info.sequenceHeader = packetType === 0;
    // The field is only meaningful for NALU packets (the spec says 0 otherwise).
    info.compositionTime = packetType === PACKET_CODED_FRAMES ? cts : 0;
    info.keyframe = isKeyFrameType(frameType) && packetType === PACKET_CODED_FRAMES;
  } else {
    info.keyframe = isKeyFrameType(frameType);
  }
  info.headerSize = r.offset;
  return info;
}

function parseEnhanced(r: ByteReader, b0: number): VideoTagInfo | undefined {
  const frameType = (b0 >> 4) & 0x07;
  let packetType = b0 & 0x0f;
  const info: VideoTagInfo = {
    enhanced: true,
    codec: 'unknown',
    frameType,
    packetType,
    sequenceHeader: false,
    keyframe: false,
    compositionTime: 0,
    headerSize: 1,
  };
  while (packetType === PACKET_MODEX) {
    const mod = readModEx(r);
    if (mod.nanoOffset !== undefined) info.timestampOffsetNano = mod.nanoOffset;
    packetType = mod.nextPacketType;
  }
  info.packetType = packetType;
  if (frameType === COMMAND_FRAME && packetType !== PACKET_METADATA) {
    info.command = r.u8();
    info.headerSize = r.offset;
    return info;
  }
  let fourcc: string | undefined;
  if (packetType === PACKET_MULTITRACK) {
    const b = r.u8();
    info.multitrackType = b >> 4;
    packetType = b & 0x0f;
    info.packetType = packetType;
    if (info.multitrackType !== MANY_TRACKS_MANY_CODECS) fourcc = r.bytes(4).toString('latin1');
  } else {
    fourcc = r.bytes(4).toString('latin1');
  }
  // FrameType 0 is reserved, except for Metadata (also inside a multitrack message), where it means nothing.
  if (frameType === 0 && packetType !== PACKET_METADATA) return undefined;
  if (fourcc !== undefined) {
    info.fourcc = fourcc;
    info.codec = FOURCC_CODECS[fourcc] ?? 'unknown';
  }
  // MPEG2TSSequenceStart (5) starts a sequence as SequenceStart does.
  info.sequenceHeader = packetType === 0 || packetType === 5;
  info.keyframe = isKeyFrameType(frameType) && (packetType === PACKET_CODED_FRAMES || packetType === 3);
  // Per-track bodies of multitrack messages start with a track id; their
  // composition times are left to a multitrack-aware consumer.
  if (info.multitrackType === undefined && packetType === PACKET_CODED_FRAMES && (fourcc === 'avc1' || fourcc === 'hvc1' || fourcc === 'vvc1')) {
    info.compositionTime = r.i24();
  }
  info.headerSize = r.offset;
  return info;
}

function isKeyFrameType(frameType: number): boolean {
  return frameType === 1 || frameType === 4;
}
