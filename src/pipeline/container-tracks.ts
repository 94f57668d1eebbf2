/**
 * Turns FLV/RTMP media packets into container samples, and decides which
 * tracks an MP4/MOV/Matroska/WebM output gets. No I/O: container-sink.ts feeds
 * the result to the muxer, container-codecs.ts turns codec records into track
 * configurations. Legacy FLV (H.264, HEVC CodecID 12, AAC, MP3) and Enhanced
 * RTMP (hvc1, av01, vp09, vp08, Opus, fLaC, .mp3, ac-3, mp4a, avc1) are read alike; of a
 * multitrack stream only track 0 is kept.
 *
 * A muxer wants every track declared before the first sample, but a stream
 * announces its tracks piecemeal: onMetaData (hasVideo/hasAudio, or the
 * videocodecid/audiocodecid fields) says what to expect, then each track's
 * sequence header (avcC, hvcC, av1C, vpcC, AudioSpecificConfig, OpusHead)
 * gives its configuration — nginx-rtmp sends the audio one after the first
 * keyframe; VP8/VP9 also need the first key frame (the picture size), MP3
 * and AC-3 only their first frame.
 * So samples are held until every expected track has its configuration, or
 * until a bound (media time after the first held sample, or held bytes) runs
 * out; then the output starts with the tracks it has, and a track that shows
 * up later is dropped with a warning.
 *
 * Timing: FLV timestamps are decode times in ms; pts = dts + CompositionTime
 * (signed 24-bit; AVC and HEVC CodedFrames only, else 0). Audio frames within FLV's 1 ms rounding of the
 * previous frame's end are placed exactly there. Output times are relative to the first sample's
 * dts, so a live stream joined at t = 3 h starts at 0. Video before the first
 * keyframe cannot be decoded and is dropped.
 */
import { asObject, getBoolean, getNumber } from '../amf/expect.js';
import { IoError, MediaFormatError } from '../errors.js';
import { resolveLimits, type Limits } from '../limits.js';
import { ON_METADATA, parseScriptData, peekScriptDataName } from '../flv/script-data.js';
import { parseAudioTagHeader } from '../media/audio-tag.js';
import { audioCodecName, videoCodecName, type CodecName } from '../media/codec-names.js';
import { parseExAudioMessage, parseExVideoMessage, singleTrack, type ExAudioMessage } from '../media/enhanced.js';
import { PacketType, type MediaPacket } from '../media/packet.js';
import { TimestampUnwrapper } from '../media/timestamp.js';
import { parseVideoTagHeader } from '../media/video-tag.js';
import {
  audioPacketSeconds,
  audioTrackConfig,
  containerAudioCodec,
  containerVideoCodec,
  frameAudioTrackConfig,
  videoTrackConfig,
  type AudioTrackConfig,
  type ContainerVideoCodec,
  type VideoTrackConfig,
} from './container-codecs.js';

export type TrackKind = 'video' | 'audio';
export type { AudioTrackConfig, VideoTrackConfig } from './container-codecs.js';

/** One coded frame for the muxer, its payload a view of the packet's (no copy). */
export interface ContainerSample {
  kind: TrackKind;
  data: Buffer;
  key: boolean;
  /** Decode time in ms, relative to the output's start. */
  dtsMs: number;
  /** Presentation time in ms (dts + CompositionTime), relative to the output's start. */
  ptsMs: number;
  /** Best guess of the duration in ms (the previous dts step for video, the frame length for audio). */
  durationMs: number;
}

/** What the planner asks the muxer to do, in order. */
export type PlanStep =
  | { type: 'start'; video: VideoTrackConfig | undefined; audio: AudioTrackConfig | undefined }
  | { type: 'sample'; sample: ContainerSample }
  | { type: 'warning'; message: string };

/** What an output container takes from us (ids as in media/codec-names.ts: "h264", "aac"). */
export interface ContainerCapabilities {
  /** For messages, e.g. "MP4". */
  name: string;
  video: readonly string[];
  audio: readonly string[];
  /** Ends the unsupported-codec message: what the container takes and what to do instead. */
  refusal: string;
}

export interface TrackPlannerOptions {
  /** Hold samples for at most this much media time (ms) after the first held one. Default 3000. */
  waitMs?: number;
  /** maxContainerHoldBytes and maxContainerHoldFrames apply. */
  limits?: Partial<Limits>;
}

const DEFAULT_WAIT_MS = 3000;
/** AVCPacketType / AACPacketType / Video- and AudioPacketType 0 (sequence header / SequenceStart). */
const SEQUENCE_START = 0;
/** AVCPacketType / VideoPacketType 1 (NALUs / CodedFrames) and Enhanced 3 (CodedFramesX, no composition time). */
const CODED_FRAMES = 1;
const CODED_FRAMES_X = 3;
/** SoundFormat 9: Enhanced RTMP audio (the codec is in the FourCC). */
const ENHANCED_AUDIO = 9;

/** The fields of one track of a multitrack message that the planner uses. */
interface MultitrackFrame {
  fourcc: string;
  soundFormat: number;
  packetType: number;
  keyframe: boolean;
  compositionTime: number;
  data: Buffer;
}

/** Sequence headers to container tracks, FLV timestamps to container times. */
export class TrackPlanner {
  private readonly caps: ContainerCapabilities;
  private readonly waitMs: number;
  private readonly maxHeld: number;
  private readonly maxGroupHeld: number;
  private readonly unwrap = new TimestampUnwrapper();
  /** Tracks onMetaData announced; undefined until it says (then both are waited for). */
  private expected: { video: boolean; audio: boolean } | undefined;
  private video: VideoTrackConfig | undefined;
  private audio: AudioTrackConfig | undefined;
  /** A video sequence header whose track needs the first key frame for its picture size. */
  private pendingVideo: { codec: ContainerVideoCodec; record: Buffer } | undefined;
  private started: { video: boolean; audio: boolean } | undefined;
  private held: ContainerSample[] = [];
  private heldBytes = 0;
  private base: number | undefined;
  private sawKeyframe = false;
  private lastVideoDts: number | undefined;
  private lastVideoStep = 0;
  private audioNext: number | undefined;
  private minVideoStep = Infinity;
  /** Video frames held until their B-frame group is whole, and the presentation times of the GOP so far, sorted. */
  private groupHeld: ContainerSample[] = [];
  private groupPts: number[] = [];
  private readonly lastDts: Record<TrackKind, number> = { video: -Infinity, audio: -Infinity };
  private readonly warned = new Set<string>();
  /** Video frames dropped while waiting for the first keyframe. */
  droppedBeforeKeyframe = 0;
  /** Video frames of an incomplete B-frame group at the end, left out by end(). */
  droppedAtEnd = 0;

  constructor(caps: ContainerCapabilities, opts: TrackPlannerOptions = {}) {
    this.caps = caps;
    this.waitMs = opts.waitMs ?? DEFAULT_WAIT_MS;
    const limits = resolveLimits(opts.limits);
    this.maxHeld = limits.maxContainerHoldBytes;
    this.maxGroupHeld = limits.maxContainerHoldFrames;
  }

  /** True once the tracks are fixed. */
  get isStarted(): boolean {
    return this.started !== undefined;
  }

  /**
   * Takes one packet; returns what to do now. Throws IoError when a codec
   * cannot go into the container, MediaFormatError (naming the message's
   * timestamp) for an unparsable sequence header or first key frame.
   */
  push(packet: MediaPacket): PlanStep[] {
    const steps: PlanStep[] = [];
    switch (packet.type) {
      case PacketType.Data:
        this.onData(packet.payload);
        return steps;
      case PacketType.Video:
      case PacketType.Audio:
        this.onMedia(packet, steps);
        break;
      default: {
        const never: never = packet.type;
        return never;
      }
    }
    if (!this.started) this.maybeStart(steps, false);
    return steps;
  }

  /** A media packet; a record that does not parse says which message held it. */
  private onMedia(packet: MediaPacket, steps: PlanStep[]): void {
    try {
      if (packet.type === PacketType.Video) this.onVideo(packet, steps);
      else this.onAudio(packet, steps);
    } catch (err) {
      if (!(err instanceof MediaFormatError)) throw err;
      const detail = err.message.slice(`malformed ${err.structure}: `.length);
      const kind = packet.type === PacketType.Video ? 'video' : 'audio';
      throw new MediaFormatError(err.structure, `${detail} (the ${kind} message at ${packet.timestamp} ms)`, { cause: err });
    }
  }

  /** The input ended: starts with what there is (if anything) and releases held samples. */
  end(): PlanStep[] {
    const steps: PlanStep[] = [];
    this.droppedAtEnd = this.groupHeld.length;
    this.groupHeld = [];
    if (!this.started) this.maybeStart(steps, true);
    return steps;
  }

  private onData(payload: Buffer): void {
    if (this.started || peekScriptDataName(payload) !== ON_METADATA) return;
    const meta = asObject(parseScriptData(payload)?.value);
    if (!meta) return;
    const has = (flag: string, codecId: string): boolean | undefined => {
      const b = getBoolean(meta, flag);
      if (b !== undefined) return b;
      const id = meta[codecId];
      return id === undefined || id === null ? undefined : true;
    };
    const video = has('hasVideo', 'videocodecid');
    const audio = has('hasAudio', 'audiocodecid');
    if (video === undefined && audio === undefined) return;
    // A field that is absent while the other is present means the track is absent.
    this.expected = { video: video ?? false, audio: audio ?? false };
    const fps = getNumber(meta, 'framerate');
    if (fps !== undefined && fps > 0 && fps <= 1000 && this.lastVideoStep === 0) this.lastVideoStep = 1000 / fps;
  }

  private onVideo(packet: MediaPacket, steps: PlanStep[]): void {
    const info = parseVideoTagHeader(packet.payload);
    if (!info || info.command !== undefined) return;
    const frame = info.multitrackType === undefined ? { ...info, data: packet.payload.subarray(info.headerSize) } : this.trackZero(packet, 'video', steps);
    if (!frame) return;
    const codec = this.checkCodec('video', videoCodecName(frame)) as ContainerVideoCodec;
    if (frame.packetType === SEQUENCE_START) {
      const config = videoTrackConfig(codec, frame.data);
      if (config) this.setConfig('video', config, steps);
      else if (!this.video) this.pendingVideo = { codec, record: frame.data };
      return;
    }
    if (frame.packetType !== undefined && frame.packetType !== CODED_FRAMES && frame.packetType !== CODED_FRAMES_X) return; // end of sequence, metadata
    const data = frame.data;
    const dts = this.unwrap.next(packet.timestamp);
    if (data.length === 0) return;
    // VP8, VP9 (and an av1C without a sequence header) leave the picture size to the first key frame.
    if (!this.video && frame.keyframe && (this.pendingVideo || codec === 'vp8')) {
      const pending = this.pendingVideo ?? { codec, record: Buffer.alloc(0) };
      this.pendingVideo = undefined;
      this.setConfig('video', videoTrackConfig(pending.codec, pending.record, data)!, steps);
    }
    if (!this.video) return;
    if (!this.sawKeyframe) {
      if (!frame.keyframe) {
        this.droppedBeforeKeyframe++;
        return;
      }
      this.sawKeyframe = true;
    }
    if (this.lastVideoDts !== undefined && dts > this.lastVideoDts) {
      this.lastVideoStep = dts - this.lastVideoDts;
      this.minVideoStep = Math.min(this.minVideoStep, this.lastVideoStep);
    }
    this.lastVideoDts = dts;
    this.holdGroup({ kind: 'video', data, key: frame.keyframe, dtsMs: dts, ptsMs: dts + frame.compositionTime, durationMs: this.lastVideoStep }, steps);
  }

  /**
   * Track 0 of an Enhanced RTMP multitrack message, as the fields of a plain
   * one; undefined (with a warning, once) when the message carries only other
   * tracks or cannot be read. Containers get the default track only: `play
   * --track N` picks another before the output sees it.
   */
  private trackZero(packet: MediaPacket, kind: TrackKind, steps: PlanStep[]): MultitrackFrame | undefined {
    let m: ExAudioMessage & { frameType?: number };
    try {
      m = kind === 'video' ? parseExVideoMessage(packet.payload) : parseExAudioMessage(packet.payload);
    } catch (err) {
      this.warnOnce(steps, `${kind}-multitrack-bad`, `a multitrack ${kind} message at ${packet.timestamp} ms cannot be read (${(err as Error).message}); such messages are left out`);
      return undefined;
    }
    if (m.tracks.some((t) => t.trackId !== 0)) {
      this.warnOnce(steps, `${kind}-multitrack`, `the stream has several ${kind} tracks (Enhanced RTMP multitrack); ${this.caps.name} output keeps track 0 only (use --track to pick another)`);
    }
    const one = singleTrack(m, 0)?.tracks[0];
    if (!one) return undefined;
    const keyframe = (m.frameType === 1 || m.frameType === 4) && (m.packetType === CODED_FRAMES || m.packetType === CODED_FRAMES_X);
    return { fourcc: one.fourcc, soundFormat: ENHANCED_AUDIO, packetType: m.packetType, keyframe, compositionTime: one.compositionTime, data: one.data };
  }

  /**
   * Holds video frames until every frame shown before the latest one is
   * there: a B-frame group cut off by the end of the input (a stopped
   * recording) is left out rather than written with holes, which muxers that
   * derive decode times from presentation times cannot place (a fragmented
   * MP4 would get composition offsets more negative than the rest, and
   * ffmpeg would shift all its video by the difference). Frames are spaced
   * by the smallest decode step; a gap over 1.5 steps is a hole. A keyframe
   * releases everything held (GOPs are closed), so at most a GOP is held.
   */
  private holdGroup(sample: ContainerSample, steps: PlanStep[]): void {
    if (sample.key || this.groupHeld.length >= this.maxGroupHeld) {
      for (const s of this.groupHeld) this.emit(s, steps);
      this.groupHeld = [];
      this.groupPts = [];
    }
    this.groupHeld.push(sample);
    const pts = this.groupPts;
    let i = pts.length;
    while (i > 0 && pts[i - 1]! > sample.ptsMs) i--;
    pts.splice(i, 0, sample.ptsMs);
    const step = this.minVideoStep;
    const whole = !Number.isFinite(step) || pts.every((p, k) => k === 0 || p - pts[k - 1]! <= 1.5 * step);
    if (!whole) return;
    for (const s of this.groupHeld) this.emit(s, steps);
    this.groupHeld = [];
  }

  private onAudio(packet: MediaPacket, steps: PlanStep[]): void {
    const info = parseAudioTagHeader(packet.payload);
    if (!info) return;
    const frame = info.multitrackType === undefined ? { ...info, data: packet.payload.subarray(info.headerSize) } : this.trackZero(packet, 'audio', steps);
    if (!frame) return;
    const codec = this.checkCodec('audio', audioCodecName(frame));
    if (frame.packetType === SEQUENCE_START) {
      if (codec === 'aac' || codec === 'opus' || codec === 'flac') this.setConfig('audio', audioTrackConfig(codec, frame.data), steps);
      return;
    }
    // Legacy MP3 has no packet type: every message is a frame.
    if (frame.packetType !== undefined && frame.packetType !== CODED_FRAMES) return;
    const data = frame.data;
    const dts = this.unwrap.next(packet.timestamp);
    if (data.length === 0) return;
    if (!this.audio && (codec === 'mp3' || codec === 'ac3')) {
      const config = frameAudioTrackConfig(codec, data);
      if (config) this.setConfig('audio', config, steps);
      else this.warnOnce(steps, 'audio-frame', `an ${codec === 'mp3' ? 'MP3' : 'AC-3'} packet at ${packet.timestamp} ms does not start with a frame header; audio before the first one is left out`);
    }
    if (!this.audio) return;
    // FLV rounds to whole ms; a frame that starts within that rounding of where the
    // previous one ends is put exactly there, so the track keeps sample-exact timing.
    const frameMs = audioPacketSeconds(this.audio, data) * 1000;
    const at = frameMs > 0 && this.audioNext !== undefined && Math.abs(dts - this.audioNext) <= 1 ? this.audioNext : dts;
    this.audioNext = at + frameMs;
    this.emit({ kind: 'audio', data, key: true, dtsMs: at, ptsMs: at, durationMs: frameMs }, steps);
  }

  private setConfig<K extends TrackKind>(kind: K, config: K extends 'video' ? VideoTrackConfig : AudioTrackConfig, steps: PlanStep[]): void {
    const current = kind === 'video' ? this.video : this.audio;
    if (current) {
      if (!current.record.equals(config.record)) {
        this.warnOnce(
          steps,
          `${kind}-config`,
          `the ${kind} sequence header changed mid-stream; ${this.caps.name} keeps the first configuration for the whole track, so later ${kind} may not decode (record to .flv to keep the change)`,
        );
      }
      return;
    }
    if (this.started && !this.started[kind]) {
      this.warnOnce(steps, `${kind}-late`, `${kind} started after the output's tracks were fixed; its packets are left out`);
      return;
    }
    if (kind === 'video') this.video = config as VideoTrackConfig;
    else this.audio = config as AudioTrackConfig;
  }

  private emit(sample: ContainerSample, steps: PlanStep[]): void {
    if (this.started) {
      if (!this.started[sample.kind]) return;
      this.release(sample, steps);
      return;
    }
    this.held.push(sample);
    this.heldBytes += sample.data.length;
  }

  /** Adds the output time base and drops samples whose decode time goes backwards. */
  private release(sample: ContainerSample, steps: PlanStep[]): void {
    if (sample.dtsMs < this.lastDts[sample.kind]) {
      this.warnOnce(steps, `${sample.kind}-backwards`, `${sample.kind} timestamp went back from ${this.lastDts[sample.kind]} to ${sample.dtsMs} ms; such packets are left out`);
      return;
    }
    this.lastDts[sample.kind] = sample.dtsMs;
    this.base ??= sample.dtsMs;
    sample.dtsMs -= this.base;
    sample.ptsMs -= this.base;
    steps.push({ type: 'sample', sample });
  }

  private maybeStart(steps: PlanStep[], ending: boolean): void {
    const want = this.expected ?? { video: true, audio: true };
    const complete = (!want.video || this.video !== undefined) && (!want.audio || this.audio !== undefined);
    const first = this.held[0];
    const last = this.held[this.held.length - 1];
    const waitedOut = first !== undefined && last !== undefined && (last.dtsMs - first.dtsMs >= this.waitMs || this.heldBytes > this.maxHeld);
    // Wait for a first sample even when complete, so the time base is known.
    if (!ending && !(complete && first !== undefined) && !waitedOut) return;
    const video = this.video !== undefined && (this.held.some((s) => s.kind === 'video') || !ending);
    const audio = this.audio !== undefined && (this.held.some((s) => s.kind === 'audio') || !ending);
    if (!video && !audio) return;
    for (const kind of ['video', 'audio'] as const) {
      if (want[kind] && !(kind === 'video' ? video : audio) && this.expected) {
        this.warnOnce(steps, `${kind}-missing`, `onMetaData announced ${kind} but none arrived ${ending ? 'before the end' : `within ${this.waitMs} ms`}; writing without it`);
      }
    }
    this.started = { video, audio };
    steps.push({ type: 'start', video: video ? this.video : undefined, audio: audio ? this.audio : undefined });
    // Held samples in decode order across tracks (they arrived interleaved already).
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    this.base = held.reduce((min, s) => Math.min(min, s.dtsMs), Infinity);
    for (const s of held) if (this.started[s.kind]) this.release(s, steps);
  }

  /** The muxer's name for the codec; throws IoError naming codec and container when the container cannot take it. */
  private checkCodec(kind: TrackKind, codec: CodecName): string {
    const name = kind === 'video' ? containerVideoCodec(codec.id) : containerAudioCodec(codec.id);
    if (name === undefined || !this.caps[kind].includes(codec.id)) throw new IoError(`cannot write ${codec.name} ${kind} into ${this.caps.name}: ${this.caps.refusal}`);
    return name;
  }

  private warnOnce(steps: PlanStep[], key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    steps.push({ type: 'warning', message });
  }
}
