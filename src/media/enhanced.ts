/**
 * Enhanced RTMP (veovera enhanced-rtmp v1 and v2) video and audio messages,
 * parsed whole and built: the ExVideoTagHeader / ExAudioTagHeader and the
 * ExVideoTagBody / ExAudioTagBody loop over tracks.
 *
 * Video (v2, "Enhanced Video"):
 *   UB[1] IsExHeader = 1, UB[3] FrameType, UB[4] VideoPacketType
 *   while VideoPacketType is ModEx (7):
 *     UI8 modExDataSize - 1 (UI8 255 then UI16 size - 1 for 256 and more), the data,
 *     UB[4] ModExType (0 TimestampOffsetNano: UI24 nanoseconds), UB[4] next VideoPacketType
 *   FrameType 5 (command) and not Metadata: UI8 VideoCommand, and no body
 *   Multitrack (6): UB[4] AvMultitrackType, UB[4] VideoPacketType, FOURCC unless ManyTracksManyCodecs
 *   otherwise FOURCC
 *   body, per track: [FOURCC if ManyTracksManyCodecs] [UI8 trackId] [UI24 size unless OneTrack]
 *     CodedFrames (1) of avc1/hvc1/vvc1: SI24 CompositionTime, then the frames;
 *     SequenceStart (0): the codec configuration record; Metadata (4): AMF values
 *     ("colorInfo", object); CodedFramesX (3): frames with CompositionTime 0.
 *
 * Audio (v2, "Enhanced Audio"): UB[4] SoundFormat 9 (ExHeader), UB[4] AudioPacketType
 *   (0 SequenceStart, 1 CodedFrames, 2 SequenceEnd, 4 MultichannelConfig,
 *   5 Multitrack, 7 ModEx), then ModEx, Multitrack and FOURCC exactly as for video
 *   (no frame type, no command, no composition time). MultichannelConfig:
 *   UI8 AudioChannelOrder (0 unspecified, 1 native, 2 custom), UI8 channelCount,
 *   custom: UI8[channelCount] AudioChannel; native: UI32 AudioChannelMask flags.
 *
 * Parsing is strict (MediaFormatError naming the structure and offset) and
 * total: work and memory are bounded by the payload size, and the number of
 * tracks and ModEx steps in one message by MAX_TRACKS and MAX_MODEX.
 * Track data are views into the payload, never copies.
 */
import { ByteReader } from '../bytes/byte-reader.js';
import { ByteWriter } from '../bytes/byte-writer.js';
import { MediaFormatError } from '../errors.js';
import { shortRead } from './format-error.js';

/** VideoPacketType (v2, "Enhanced Video"). */
export const VideoPacketType = {
  SequenceStart: 0,
  CodedFrames: 1,
  SequenceEnd: 2,
  CodedFramesX: 3,
  Metadata: 4,
  MPEG2TSSequenceStart: 5,
  Multitrack: 6,
  ModEx: 7,
} as const;

/** AudioPacketType (v2, "Enhanced Audio"). */
export const AudioPacketType = {
  SequenceStart: 0,
  CodedFrames: 1,
  SequenceEnd: 2,
  MultichannelConfig: 4,
  Multitrack: 5,
  ModEx: 7,
} as const;

/** AvMultitrackType, shared by audio and video. */
export const AvMultitrackType = { OneTrack: 0, ManyTracks: 1, ManyTracksManyCodecs: 2 } as const;

/** ModExType values. */
export const ModExType = { TimestampOffsetNano: 0 } as const;

/** VideoFrameType (the legacy FrameType, three bits in the extended header). */
export const VideoFrameType = { KeyFrame: 1, InterFrame: 2, DisposableInterFrame: 3, GeneratedKeyFrame: 4, Command: 5 } as const;

/** Video FourCCs of Enhanced RTMP v1/v2. */
export type VideoFourCc = 'avc1' | 'hvc1' | 'av01' | 'vp09' | 'vp08' | 'vvc1';
/** Audio FourCCs of Enhanced RTMP v2. */
export type AudioFourCc = 'mp4a' | '.mp3' | 'Opus' | 'fLaC' | 'ac-3' | 'ec-3';

export const VIDEO_FOURCCS: readonly VideoFourCc[] = ['avc1', 'hvc1', 'av01', 'vp09', 'vp08', 'vvc1'];
export const AUDIO_FOURCCS: readonly AudioFourCc[] = ['mp4a', '.mp3', 'Opus', 'fLaC', 'ac-3', 'ec-3'];

/** FourCCs whose CodedFrames carry an SI24 composition time offset. */
const CTS_FOURCCS = new Set<string>(['avc1', 'hvc1', 'vvc1']);

/** Tracks in one message: trackId is a UI8, so more would repeat ids. */
export const MAX_TRACKS = 256;
/** ModEx steps in one message; the spec defines one ModExType, so a handful is plenty. */
export const MAX_MODEX = 16;

/** One ModEx step: its type and data (a view). */
export interface ModEx {
  type: number;
  data: Buffer;
}

/** One track's part of a message. */
export interface ExTrack {
  /** UI8 track id; 0 in a message that is not multitrack (the default track). */
  trackId: number;
  fourcc: string;
  /** Video CodedFrames of avc1/hvc1/vvc1: SI24 milliseconds (pts - dts); otherwise 0. */
  compositionTime: number;
  /** Configuration record, coded frames, AMF metadata or multichannel config: a view into the payload. */
  data: Buffer;
}

/** Fields shared by parsed audio and video messages. */
interface ExMessageBase {
  /** The packet type that applies to every track (never ModEx or Multitrack). */
  packetType: number;
  /** ModEx steps, in order (empty when none). */
  modEx: ModEx[];
  /** From a TimestampOffsetNano ModEx step: nanoseconds to add to the millisecond timestamp. */
  timestampOffsetNano?: number;
  /** AvMultitrackType, only for a Multitrack message. */
  multitrackType?: number;
  tracks: ExTrack[];
}

/** A whole Enhanced RTMP video message. */
export interface ExVideoMessage extends ExMessageBase {
  frameType: number;
  /** The VideoCommand byte of a command frame (then `tracks` is empty). */
  command?: number;
}

/** A whole Enhanced RTMP audio message. */
export type ExAudioMessage = ExMessageBase;

const VIDEO = 'ExVideoTagHeader';
const AUDIO = 'ExAudioTagHeader';
const EX_SOUND_FORMAT = 9;


/** Reads one ModEx step (shared with the lenient header peeks in video-tag.ts and audio-tag.ts). */
export function readModEx(r: ByteReader): { modEx: ModEx; nanoOffset: number | undefined; nextPacketType: number } {
  let size = r.u8('modExDataSize') + 1;
  if (size === 256) size = r.u16('modExDataSize (UI16)') + 1;
  const data = r.bytes(size, 'modExData');
  const b = r.u8('ModExType');
  const type = b >> 4;
  // TimestampOffsetNano: a UI24 nanosecond offset in the first three data bytes.
  const nanoOffset = type === ModExType.TimestampOffsetNano && data.length >= 3 ? data.readUIntBE(0, 3) : undefined;
  return { modEx: { type, data }, nanoOffset, nextPacketType: b & 0x0f };
}

/** True when the first byte of a video payload has IsExHeader set. */
export function isExVideo(payload: Uint8Array): boolean {
  const b0 = payload[0];
  return b0 !== undefined && (b0 & 0x80) !== 0;
}

/** True when the first byte of an audio payload is SoundFormat 9 (ExHeader). */
export function isExAudio(payload: Uint8Array): boolean {
  const b0 = payload[0];
  return b0 !== undefined && b0 >> 4 === EX_SOUND_FORMAT;
}

interface Codes {
  structure: string;
  modEx: number;
  multitrack: number;
  /** Packet types a track can carry: not ModEx, Multitrack or a reserved value. */
  trackPacketType: (packetType: number) => boolean;
}

const VIDEO_CODES: Codes = { structure: VIDEO, modEx: VideoPacketType.ModEx, multitrack: VideoPacketType.Multitrack, trackPacketType: (t) => t <= VideoPacketType.MPEG2TSSequenceStart };
const AUDIO_CODES: Codes = {
  structure: AUDIO,
  modEx: AudioPacketType.ModEx,
  multitrack: AudioPacketType.Multitrack,
  trackPacketType: (t) => t <= AudioPacketType.SequenceEnd || t === AudioPacketType.MultichannelConfig,
};

function fail(structure: string, message: string): never {
  throw new MediaFormatError(structure, message);
}

function readModExChain(r: ByteReader, packetType: number, c: Codes, base: ExMessageBase): number {
  while (packetType === c.modEx) {
    if (base.modEx.length === MAX_MODEX) fail(c.structure, `more than ${MAX_MODEX} ModEx steps at offset ${r.offset}`);
    const step = readModEx(r);
    base.modEx.push(step.modEx);
    if (step.nanoOffset !== undefined) base.timestampOffsetNano = step.nanoOffset;
    packetType = step.nextPacketType;
  }
  return packetType;
}

/** Reads the multitrack byte and FOURCC, then the body loop; fills `m.tracks`. */
function readTracks(r: ByteReader, c: Codes, m: ExMessageBase, video: boolean): void {
  let fourcc: string | undefined;
  if (m.packetType === c.multitrack) {
    const at = r.offset;
    const b = r.u8('AvMultitrackType');
    m.multitrackType = b >> 4;
    m.packetType = b & 0x0f;
    if (m.multitrackType > AvMultitrackType.ManyTracksManyCodecs) fail(c.structure, `reserved AvMultitrackType ${m.multitrackType} at offset ${at}`);
    if (!c.trackPacketType(m.packetType)) fail(c.structure, `packet type ${m.packetType} inside a multitrack message at offset ${at}`);
    if (m.multitrackType !== AvMultitrackType.ManyTracksManyCodecs) fourcc = r.bytes(4, 'FOURCC').toString('latin1');
  } else {
    fourcc = r.bytes(4, 'FOURCC').toString('latin1');
  }
  const multi = m.multitrackType;
  do {
    if (m.tracks.length === MAX_TRACKS) fail(c.structure, `more than ${MAX_TRACKS} tracks at offset ${r.offset}`);
    let trackId = 0;
    let end = r.offset + r.remaining;
    if (multi !== undefined) {
      if (multi === AvMultitrackType.ManyTracksManyCodecs) fourcc = r.bytes(4, 'track FOURCC').toString('latin1');
      trackId = r.u8('trackId');
      if (multi !== AvMultitrackType.OneTrack) {
        const size = r.u24('sizeOfTrack');
        r.need(size, 'track data');
        end = r.offset + size;
      }
    }
    let compositionTime = 0;
    if (video && m.packetType === VideoPacketType.CodedFrames && CTS_FOURCCS.has(fourcc!)) {
      if (end - r.offset < 3) fail(c.structure, `truncated CompositionTime at offset ${r.offset}`);
      compositionTime = r.i24('CompositionTime');
    }
    const data = r.bytes(end - r.offset, 'track data');
    m.tracks.push({ trackId, fourcc: fourcc!, compositionTime, data });
  } while (multi !== undefined && multi !== AvMultitrackType.OneTrack && r.remaining > 0);
}

/**
 * Parses a whole Enhanced RTMP video message (IsExHeader set). Throws
 * MediaFormatError for a legacy, truncated or reserved-value message.
 */
export function parseExVideoMessage(payload: Buffer): ExVideoMessage {
  const r = new ByteReader(payload, shortRead(VIDEO));
  const b0 = r.u8('first byte');
  if (!(b0 & 0x80)) fail(VIDEO, 'IsExHeader is 0 (a legacy video tag)');
  const frameType = (b0 >> 4) & 0x07;
  const m: ExVideoMessage = { frameType, packetType: b0 & 0x0f, modEx: [], tracks: [] };
  m.packetType = readModExChain(r, m.packetType, VIDEO_CODES, m);
  if (m.packetType !== VideoPacketType.Metadata && frameType === VideoFrameType.Command) {
    m.command = r.u8('VideoCommand');
    return m;
  }
  if (m.packetType !== VideoPacketType.Multitrack && !VIDEO_CODES.trackPacketType(m.packetType)) fail(VIDEO, `reserved VideoPacketType ${m.packetType}`);
  readTracks(r, VIDEO_CODES, m, true);
  // FrameType means nothing for Metadata (also inside a multitrack message); otherwise 0, 6 and 7 are reserved.
  if (m.packetType !== VideoPacketType.Metadata && (frameType === 0 || frameType > VideoFrameType.Command)) fail(VIDEO, `reserved FrameType ${frameType}`);
  return m;
}

/**
 * Parses a whole Enhanced RTMP audio message (SoundFormat 9). Throws
 * MediaFormatError for a legacy, truncated or reserved-value message.
 */
export function parseExAudioMessage(payload: Buffer): ExAudioMessage {
  const r = new ByteReader(payload, shortRead(AUDIO));
  const b0 = r.u8('first byte');
  if (b0 >> 4 !== EX_SOUND_FORMAT) fail(AUDIO, `SoundFormat ${b0 >> 4} is not 9 (ExHeader)`);
  const m: ExAudioMessage = { packetType: b0 & 0x0f, modEx: [], tracks: [] };
  m.packetType = readModExChain(r, m.packetType, AUDIO_CODES, m);
  if (m.packetType !== AudioPacketType.Multitrack && !AUDIO_CODES.trackPacketType(m.packetType)) fail(AUDIO, `reserved AudioPacketType ${m.packetType}`);
  readTracks(r, AUDIO_CODES, m, false);
  return m;
}

// ---------------------------------------------------------------- building

/** What a video message to build says; `tracks` as in ExTrack (compositionTime used for CodedFrames of avc1/hvc1/vvc1). */
export interface ExVideoInit {
  frameType: number;
  packetType: number;
  tracks: ReadonlyArray<Pick<ExTrack, 'fourcc' | 'data'> & Partial<Pick<ExTrack, 'trackId' | 'compositionTime'>>>;
  multitrackType?: number;
  modEx?: readonly ModEx[];
  /** Adds a TimestampOffsetNano ModEx step (0 .. 999999) unless `modEx` has one. */
  timestampOffsetNano?: number;
  command?: number;
}

/** What an audio message to build says. */
export type ExAudioInit = Omit<ExVideoInit, 'frameType' | 'command'>;

function checkFourCc(fourcc: string): void {
  if (Buffer.byteLength(fourcc, 'latin1') !== 4 || fourcc.length !== 4) throw new RangeError(`FourCC '${fourcc}' is not four characters`);
}

function writeModEx(w: ByteWriter, steps: readonly ModEx[], packetType: number, modExCode: number, first: (pt: number) => void): void {
  if (steps.length === 0) {
    first(packetType);
    return;
  }
  first(modExCode);
  steps.forEach((s, i) => {
    if (s.data.length < 1 || s.data.length > 0x10000) throw new RangeError(`ModEx data of ${s.data.length} bytes (1 .. 65536)`);
    if (s.data.length >= 256) w.u8(255).u16(s.data.length - 1);
    else w.u8(s.data.length - 1);
    w.bytes(s.data);
    w.u8(((s.type & 0x0f) << 4) | (i === steps.length - 1 ? packetType : modExCode));
  });
}

function modExSteps(init: ExAudioInit): readonly ModEx[] {
  const steps = init.modEx ?? [];
  const nano = init.timestampOffsetNano;
  if (nano === undefined || steps.some((s) => s.type === ModExType.TimestampOffsetNano)) return steps;
  if (!Number.isInteger(nano) || nano < 0 || nano > 999_999) throw new RangeError(`timestampOffsetNano ${nano} is out of range 0..999999`);
  const data = Buffer.alloc(3);
  data.writeUIntBE(nano, 0, 3);
  return [...steps, { type: ModExType.TimestampOffsetNano, data }];
}

function buildEx(init: ExAudioInit, video: boolean, firstByte: (pt: number) => number, command: number | undefined): Buffer {
  const c = video ? VIDEO_CODES : AUDIO_CODES;
  const w = new ByteWriter(64 + init.tracks.reduce((n, t) => n + 8 + t.data.length, 0));
  writeModEx(w, modExSteps(init), init.multitrackType === undefined ? init.packetType : c.multitrack, c.modEx, (pt) => w.u8(firstByte(pt)));
  if (command !== undefined) return w.u8(command).finish();
  const multi = init.multitrackType;
  const first = init.tracks[0];
  if (first === undefined) throw new RangeError('an Enhanced RTMP message needs at least one track');
  for (const t of init.tracks) checkFourCc(t.fourcc);
  if (multi === undefined) {
    if (init.tracks.length !== 1) throw new RangeError('several tracks need a multitrackType');
    w.bytes(Buffer.from(first.fourcc, 'latin1'));
  } else {
    if (multi === AvMultitrackType.OneTrack && init.tracks.length !== 1) throw new RangeError('OneTrack carries exactly one track');
    w.u8(((multi & 0x0f) << 4) | init.packetType);
    if (multi !== AvMultitrackType.ManyTracksManyCodecs) w.bytes(Buffer.from(first.fourcc, 'latin1'));
  }
  for (const t of init.tracks) {
    const cts = video && init.packetType === VideoPacketType.CodedFrames && CTS_FOURCCS.has(t.fourcc);
    if (multi !== undefined) {
      if (multi === AvMultitrackType.ManyTracksManyCodecs) w.bytes(Buffer.from(t.fourcc, 'latin1'));
      else if (t.fourcc !== first.fourcc) throw new RangeError(`track FourCC '${t.fourcc}' differs from '${first.fourcc}' (use ManyTracksManyCodecs)`);
      w.u8(t.trackId ?? 0);
      if (multi !== AvMultitrackType.OneTrack) w.u24((cts ? 3 : 0) + t.data.length);
    }
    if (cts) w.i24(t.compositionTime ?? 0);
    w.bytes(t.data);
  }
  return w.finish();
}

/** Builds an Enhanced RTMP video message (the RTMP message payload / FLV tag body). */
export function buildExVideoMessage(init: ExVideoInit): Buffer {
  const ft = init.frameType & 0x07;
  return buildEx(init, true, (pt) => 0x80 | (ft << 4) | pt, init.command);
}

/** Builds an Enhanced RTMP audio message. */
export function buildExAudioMessage(init: ExAudioInit): Buffer {
  return buildEx(init, false, (pt) => (EX_SOUND_FORMAT << 4) | pt, undefined);
}

/**
 * The video SequenceStart message for a codec configuration record: an
 * AVCDecoderConfigurationRecord (avc1), HEVCDecoderConfigurationRecord (hvc1),
 * AV1CodecConfigurationRecord (av01), VPCodecConfigurationRecord (vp08, vp09)
 * or VvcDecoderConfigurationRecord (vvc1) — the body of the MP4 sample entry's
 * avcC/hvcC/av1C/vpcC/vvcC box, which is what mediabunny's
 * `getDecoderConfig().description` holds.
 */
export function buildVideoSequenceStart(fourcc: VideoFourCc, config: Uint8Array): Buffer {
  return buildExVideoMessage({ frameType: VideoFrameType.KeyFrame, packetType: VideoPacketType.SequenceStart, tracks: [{ fourcc, data: Buffer.from(config.buffer, config.byteOffset, config.byteLength) }] });
}

/**
 * A video CodedFrames message: one access unit (AVC/HEVC/VVC: length-prefixed
 * NAL units as in MP4; AV1: the temporal unit's OBUs as in MP4; VP8/VP9: the
 * frame). `ctsMs` (pts - dts, milliseconds, SI24) is written for avc1/hvc1/vvc1
 * and must be 0 for the others, which have no B-frame reordering in FLV.
 */
export function buildVideoCodedFrames(fourcc: VideoFourCc, data: Uint8Array, ctsMs: number, keyframe: boolean): Buffer {
  if (!CTS_FOURCCS.has(fourcc) && ctsMs !== 0) throw new RangeError(`${fourcc} frames carry no composition time (got ${ctsMs} ms)`);
  if (!Number.isInteger(ctsMs) || ctsMs < -0x800000 || ctsMs > 0x7fffff) throw new RangeError(`composition time ${ctsMs} ms does not fit SI24`);
  return buildExVideoMessage({
    frameType: keyframe ? VideoFrameType.KeyFrame : VideoFrameType.InterFrame,
    packetType: VideoPacketType.CodedFrames,
    tracks: [{ fourcc, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), compositionTime: ctsMs }],
  });
}

/** The video SequenceEnd message. */
export function buildVideoSequenceEnd(fourcc: VideoFourCc): Buffer {
  return buildExVideoMessage({ frameType: VideoFrameType.KeyFrame, packetType: VideoPacketType.SequenceEnd, tracks: [{ fourcc, data: Buffer.alloc(0) }] });
}

/**
 * The audio SequenceStart message: AudioSpecificConfig (mp4a), the OpusHead
 * identification header (Opus, RFC 7845 5.1), the FLAC STREAMINFO metadata
 * block (fLaC); .mp3, ac-3 and ec-3 need none.
 */
export function buildAudioSequenceStart(fourcc: AudioFourCc, config: Uint8Array): Buffer {
  return buildExAudioMessage({ packetType: AudioPacketType.SequenceStart, tracks: [{ fourcc, data: Buffer.from(config.buffer, config.byteOffset, config.byteLength) }] });
}

/** An audio CodedFrames message: one packet of the codec (raw AAC frame, Opus packet, FLAC frame, ...). */
export function buildAudioCodedFrames(fourcc: AudioFourCc, data: Uint8Array): Buffer {
  return buildExAudioMessage({ packetType: AudioPacketType.CodedFrames, tracks: [{ fourcc, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) }] });
}

/** The audio SequenceEnd message. */
export function buildAudioSequenceEnd(fourcc: AudioFourCc): Buffer {
  return buildExAudioMessage({ packetType: AudioPacketType.SequenceEnd, tracks: [{ fourcc, data: Buffer.alloc(0) }] });
}

// ---------------------------------------------------------------- tracks

/**
 * The part of a parsed message for one track, as a message that is not
 * multitrack (ModEx steps kept), or undefined when the message does not
 * carry that track. A message that is not multitrack is track 0.
 */
export function singleTrack<M extends ExAudioMessage>(m: M, trackId: number): M | undefined {
  const t = m.tracks.find((x) => x.trackId === trackId);
  if (t === undefined) return undefined;
  if (m.multitrackType === undefined) return m;
  const { multitrackType: _dropped, ...rest } = m;
  return { ...rest, tracks: [{ ...t, trackId: 0 }] } as unknown as M;
}
