/**
 * Turns FLV/RTMP media packets into container samples, and decides which
 * tracks an MP4/MOV/Matroska output gets. No I/O: container-sink.ts feeds the
 * result to the muxer.
 *
 * A muxer wants every track declared before the first sample, but a stream
 * announces its tracks piecemeal: onMetaData (hasVideo/hasAudio, or the
 * videocodecid/audiocodecid fields) says what to expect, then each track's
 * sequence header (AVCDecoderConfigurationRecord, AudioSpecificConfig) gives
 * its configuration — nginx-rtmp sends the audio one after the first keyframe.
 * So samples are held until every expected track has its configuration, or
 * until a bound (media time after the first held sample, or held bytes) runs
 * out; then the output starts with the tracks it has, and a track that shows
 * up later is dropped with a warning.
 *
 * Timing: FLV timestamps are decode times in ms; pts = dts + CompositionTime
 * (signed 24-bit, AVC only). Audio frames within FLV's 1 ms rounding of the
 * previous frame's end are placed exactly there. Output times are relative to the first sample's
 * dts, so a live stream joined at t = 3 h starts at 0. Video before the first
 * keyframe cannot be decoded and is dropped.
 */
import { asObject, getBoolean, getNumber } from '../amf/expect.js';
import { IoError } from '../errors.js';
import { resolveLimits, type Limits } from '../limits.js';
import { ON_METADATA, parseScriptData, peekScriptDataName } from '../flv/script-data.js';
import { parseAudioSpecificConfig } from '../media/aac.js';
import { parseAudioTagHeader } from '../media/audio-tag.js';
import { parseAvcDecoderConfig } from '../media/avc.js';
import { audioCodecName, videoCodecName, type CodecName } from '../media/codec-names.js';
import { PacketType, type MediaPacket } from '../media/packet.js';
import { TimestampUnwrapper } from '../media/timestamp.js';
import { parseVideoTagHeader } from '../media/video-tag.js';

export type TrackKind = 'video' | 'audio';

/** An H.264 track: the avcC record is the decoder configuration's `description`. */
export interface VideoTrackConfig {
  codec: 'avc';
  /** RFC 6381, e.g. "avc1.4d401e". */
  codecString: string;
  width: number;
  height: number;
  description: Buffer;
}

/** An AAC track: the AudioSpecificConfig is the `description`. */
export interface AudioTrackConfig {
  codec: 'aac';
  /** e.g. "mp4a.40.2". */
  codecString: string;
  sampleRate: number;
  channels: number;
  description: Buffer;
  /** Duration of one frame in seconds (1024 or 960 samples at the core rate). */
  frameSeconds: number;
}

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
/** AVCPacketType / VideoPacketType 1 (NALUs / CodedFrames) and Enhanced 3 (CodedFramesX, no composition time). */
const CODED_FRAMES = 1;
const CODED_FRAMES_X = 3;

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
   * cannot go into the container, MediaFormatError for an unparsable
   * sequence header.
   */
  push(packet: MediaPacket): PlanStep[] {
    const steps: PlanStep[] = [];
    switch (packet.type) {
      case PacketType.Data:
        this.onData(packet.payload);
        return steps;
      case PacketType.Video:
        this.onVideo(packet, steps);
        break;
      case PacketType.Audio:
        this.onAudio(packet, steps);
        break;
      default: {
        const never: never = packet.type;
        return never;
      }
    }
    if (!this.started) this.maybeStart(steps, false);
    return steps;
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
    this.checkCodec('video', videoCodecName(info), info.multitrackType !== undefined);
    if (info.sequenceHeader) {
      const description = packet.payload.subarray(info.headerSize);
      const avc = parseAvcDecoderConfig(description);
      const config: VideoTrackConfig = { codec: 'avc', codecString: avc.spsInfo.codecString, width: avc.spsInfo.width, height: avc.spsInfo.height, description };
      this.setConfig('video', config, steps);
      return;
    }
    if (info.packetType !== CODED_FRAMES && info.packetType !== CODED_FRAMES_X) return; // end of sequence, metadata
    const data = packet.payload.subarray(info.headerSize);
    const dts = this.unwrap.next(packet.timestamp);
    if (!this.video || data.length === 0) return;
    if (!this.sawKeyframe) {
      if (!info.keyframe) {
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
    this.holdGroup({ kind: 'video', data, key: info.keyframe, dtsMs: dts, ptsMs: dts + info.compositionTime, durationMs: this.lastVideoStep }, steps);
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
    this.checkCodec('audio', audioCodecName(info), info.multitrackType !== undefined);
    if (info.sequenceHeader) {
      const description = packet.payload.subarray(info.headerSize);
      const asc = parseAudioSpecificConfig(description);
      const sampleRate = asc.outputSampleRate;
      const config: AudioTrackConfig = {
        codec: 'aac',
        codecString: asc.codecString,
        sampleRate,
        channels: asc.outputChannels ?? asc.channels ?? 2,
        description,
        frameSeconds: (asc.frameLength ?? 1024) / asc.sampleRate,
      };
      this.setConfig('audio', config, steps);
      return;
    }
    if (info.packetType !== CODED_FRAMES) return;
    const data = packet.payload.subarray(info.headerSize);
    const dts = this.unwrap.next(packet.timestamp);
    if (!this.audio || data.length === 0) return;
    // FLV rounds to whole ms; a frame that starts within that rounding of where the
    // previous one ends is put exactly there, so the track keeps sample-exact timing.
    const frameMs = this.audio.frameSeconds * 1000;
    const at = this.audioNext !== undefined && Math.abs(dts - this.audioNext) <= 1 ? this.audioNext : dts;
    this.audioNext = at + frameMs;
    this.emit({ kind: 'audio', data, key: true, dtsMs: at, ptsMs: at, durationMs: frameMs }, steps);
  }

  private setConfig<K extends TrackKind>(kind: K, config: K extends 'video' ? VideoTrackConfig : AudioTrackConfig, steps: PlanStep[]): void {
    const current = kind === 'video' ? this.video : this.audio;
    if (current) {
      if (!current.description.equals(config.description)) {
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

  /** Throws IoError naming codec and container when the container cannot take this track. */
  private checkCodec(kind: TrackKind, codec: CodecName, multitrack: boolean): void {
    const what = !this.caps[kind].includes(codec.id) ? `${codec.name} ${kind}` : multitrack ? `Enhanced RTMP multitrack ${kind}` : undefined;
    if (what !== undefined) throw new IoError(`cannot write ${what} into ${this.caps.name}: ${this.caps.refusal}`);
  }

  private warnOnce(steps: PlanStep[], key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    steps.push({ type: 'warning', message });
  }
}
