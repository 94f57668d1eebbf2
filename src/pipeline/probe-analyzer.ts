/**
 * The probe's media analysis, shared by the network and the file probe:
 * packets in (with their arrival time when known), the media part of the
 * report out — metadata, what the codec configurations say, rates, GOP,
 * bitrates and timestamp problems. Pure: no I/O, no clock of its own.
 */
import { parseScriptData } from '../flv/script-data.js';
import { parseAudioSpecificConfig } from '../media/aac.js';
import { audioCodecOfFourCc, parseAudioTagHeader, type AudioTagInfo } from '../media/audio-tag.js';
import { audioCodecName, videoCodecName } from '../media/codec-names.js';
import { parseVideoMetadata } from '../media/enhanced-metadata.js';
import { parseMpegAudioHeader } from '../media/mp3.js';
import { parseVp9FrameHeader } from '../media/vp9.js';
import { isRtmpError, MediaFormatError } from '../errors.js';
import { PacketType, type MediaPacket } from '../media/packet.js';
import { parseVideoTagHeader, type VideoTagInfo } from '../media/video-tag.js';
import { describeVideoConfig, PARSED_VIDEO_CODECS, profileAndLevel } from './probe-codecs.js';
import { compareMetadata } from './probe-metadata.js';
import { MultitrackLister } from './probe-multitrack.js';
import {
  amfToJson,
  round3,
  type AudioTrack,
  type JsonValue,
  type ProbeMeasurements,
  type ProbeReport,
  type ProbeProblem,
  type ProblemKind,
  type VideoTrack,
} from './probe-report.js';
import { OffsetTracker, TrackTimes } from './probe-timing.js';

export interface AnalyzerOptions {
  /** A timestamp step larger than this within one track is a gap (default 1000 ms). */
  gapThresholdMs?: number;
  /** A change of the audio/video offset larger than this over the window is drift (default 150 ms). */
  driftThresholdMs?: number;
  /** Audio and video further apart than this are reported (default 1000 ms). */
  offsetThresholdMs?: number;
}

/** Arrival times (caller's clock, ms) of the first packet of each kind. */
export interface FirstArrivals {
  metadata?: number;
  audio?: number;
  video?: number;
  keyframe?: number;
}

/** The media part of a report. */
export interface MediaAnalysis {
  metadata: JsonValue;
  tracks: ProbeReport['tracks'];
  measurements: ProbeMeasurements;
  problems: ProbeProblem[];
}

const CODED_FRAMES = 1;
const METADATA = 4;
const CODED_FRAMES_X = 3;
const COMMAND_FRAME = 5;

export class ProbeAnalyzer {
  private readonly opts: Required<AnalyzerOptions>;
  private metadata: JsonValue = null;
  private metadataSeen = false;
  private video: VideoTrack | null = null;
  private audio: AudioTrack | null = null;
  private videoConfig: Buffer | undefined;
  private audioConfig: Buffer | undefined;
  private readonly v: TrackTimes;
  private readonly a: TrackTimes;
  private readonly offsets = new OffsetTracker();
  private dataMessages = 0;
  private readonly firstArrivals: FirstArrivals = {};
  private readonly problems = new Map<string, ProbeProblem>();
  private readonly multitrack = new MultitrackLister();

  constructor(opts: AnalyzerOptions = {}) {
    this.opts = { gapThresholdMs: opts.gapThresholdMs ?? 1000, driftThresholdMs: opts.driftThresholdMs ?? 150, offsetThresholdMs: opts.offsetThresholdMs ?? 1000 };
    this.v = new TrackTimes(this.opts.gapThresholdMs);
    this.a = new TrackTimes(this.opts.gapThresholdMs);
  }

  /** Arrival times of the first metadata, audio, video and keyframe. */
  get firsts(): Readonly<FirstArrivals> {
    return this.firstArrivals;
  }

  /** True once an audio or video frame (not only a sequence header) was seen. */
  get hasMedia(): boolean {
    return this.v.count > 0 || this.a.count > 0;
  }

  /** Media time covered so far: the longest track span. */
  get mediaSpanMs(): number {
    return Math.max(this.v.spanMs, this.a.spanMs);
  }

  /**
   * Takes one packet. Throws MediaFormatError when a sequence header cannot be
   * parsed; every other oddity becomes a problem in the report.
   */
  push(p: MediaPacket, arrivalMs?: number): void {
    if (p.type === PacketType.Video) this.pushVideo(p, arrivalMs);
    else if (p.type === PacketType.Audio) this.pushAudio(p, arrivalMs);
    else if (p.type === PacketType.Data) this.pushData(p, arrivalMs);
  }

  /** Records a problem found outside the packets (FLV warnings, a stalled stream). */
  addProblem(kind: ProblemKind, message: string, track: ProbeProblem['track'] = null, atMs: number | null = null): void {
    this.note(kind, track, atMs, message);
  }

  private note(kind: ProblemKind, track: ProbeProblem['track'], atMs: number | null, message: string): void {
    const key = `${kind}/${track ?? ''}`;
    const seen = this.problems.get(key);
    if (seen) seen.count++;
    else this.problems.set(key, { kind, track, count: 1, atMs, message, field: null, declared: null, measured: null });
  }

  private pushData(p: MediaPacket, arrivalMs: number | undefined): void {
    const sd = parseScriptData(p.payload);
    if (sd?.name === '|RtmpSampleAccess') return;
    if (sd?.name === 'onMetaData' && !this.metadataSeen) {
      this.metadataSeen = true;
      this.metadata = amfToJson(sd.value);
      if (arrivalMs !== undefined) this.firstArrivals.metadata = arrivalMs;
      return;
    }
    this.dataMessages++;
  }

  private pushVideo(p: MediaPacket, arrivalMs: number | undefined): void {
    const info = parseVideoTagHeader(p.payload);
    if (!info) return this.note('bad-header', 'video', null, 'a video message too short or with a reserved frame type');
    if (info.frameType === COMMAND_FRAME) return;
    let fourcc = info.fourcc;
    let body = p.payload.subarray(info.headerSize);
    if (info.multitrackType !== undefined) {
      // Multitrack: every track is listed; track 0, the default one, is also the main video track.
      const main = this.multitrack.video(p.payload);
      if (main === undefined) return;
      fourcc = main.fourcc;
      body = main.data;
    }
    const name = videoCodecName(fourcc !== undefined ? { fourcc } : info);
    if (!this.video) {
      this.video = { codec: name.id, codecName: name.name, codecId: info.codecId ?? null, fourcc: fourcc ?? null, width: null, height: null, avc: null, hevc: null, av1: null, vp: null, colorInfo: null };
    } else if (name.id !== this.video.codec) {
      this.note('config-change', 'video', null, `video codec changed from ${this.video.codec} to ${name.id}`);
    }
    if (info.multitrackType === undefined) this.multitrack.plain('video', fourcc, name.id, isVideoFrame(info), body.length);
    if (info.enhanced && info.packetType === METADATA) return this.videoMetadata(body);
    if (info.sequenceHeader) return this.videoSequenceHeader(body, name.id, name.name);
    if (!isVideoFrame(info)) return;
    const ts = this.v.push(p.timestamp, p.payload.length);
    if (arrivalMs !== undefined) this.firstArrivals.video ??= arrivalMs;
    if (PARSED_VIDEO_CODECS.has(name.id) && !this.videoConfig) this.note('missing-sequence-header', 'video', ts, `${name.name} frames before any sequence header`);
    if (info.keyframe) {
      this.v.keyframe(ts);
      if (arrivalMs !== undefined) this.firstArrivals.keyframe ??= arrivalMs;
      // A vpcC has no picture size: the first key frame's header does.
      if (name.id === 'vp9' && this.video.width === null) this.vp9FrameSize(body);
    }
    if (this.a.count > 0) this.offsets.sample(ts - this.a.lastTs);
  }

  private videoSequenceHeader(body: Buffer, codec: string, codecName: string): void {
    if (!PARSED_VIDEO_CODECS.has(codec)) return;
    if (this.videoConfig) {
      if (!body.equals(this.videoConfig)) this.note('config-change', 'video', this.v.count > 0 ? this.v.lastTs : null, `the ${codecName} sequence header changed mid-stream`);
      return;
    }
    const fields = describeVideoConfig(codec, body);
    this.videoConfig = Buffer.from(body);
    Object.assign(this.video!, fields);
  }

  private vp9FrameSize(frame: Buffer): void {
    try {
      const h = parseVp9FrameHeader(frame);
      if (h) {
        this.video!.width = h.width;
        this.video!.height = h.height;
      }
    } catch (e) {
      if (!(e instanceof MediaFormatError)) throw e;
      this.note('bad-header', 'video', null, `a VP9 key frame header that cannot be read: ${e.message}`);
    }
  }

  private videoMetadata(body: Buffer): void {
    try {
      const meta = parseVideoMetadata(body);
      if (meta.colorInfo !== undefined) this.video!.colorInfo = meta.colorInfo === null ? null : (meta.colorInfo as JsonValue);
    } catch (e) {
      if (!isRtmpError(e)) throw e;
      this.note('bad-header', 'video', null, `an Enhanced RTMP Metadata packet that cannot be read: ${e.message}`);
    }
  }

  private pushAudio(p: MediaPacket, arrivalMs: number | undefined): void {
    const parsed = parseAudioTagHeader(p.payload);
    if (!parsed) return this.note('bad-header', 'audio', null, 'an audio message too short or with a reserved SoundFormat');
    let info = parsed;
    let body = p.payload.subarray(info.headerSize);
    if (info.multitrackType !== undefined) {
      const main = this.multitrack.audio(p.payload);
      if (main === undefined) return;
      info = { ...info, fourcc: main.fourcc, codec: audioCodecOfFourCc(main.fourcc) };
      body = main.data;
    }
    const name = audioCodecName(info);
    if (!this.audio) {
      this.audio = {
        codec: name.id,
        codecName: name.name,
        soundFormat: info.enhanced ? null : info.soundFormat,
        fourcc: info.fourcc ?? null,
        sampleRate: info.sampleRate ?? null,
        channels: info.channels ?? null,
        sampleSize: info.sampleSize ?? null,
        aac: null,
      };
      // Legacy MP3 tags flag 48 kHz as 44 kHz: the frame header has the real rate and mode.
      const mpeg = info.codec === 'mp3' ? parseMpegAudioHeader(body) : undefined;
      if (mpeg !== undefined) Object.assign(this.audio, mpeg);
    } else if (name.id !== this.audio.codec) {
      this.note('config-change', 'audio', null, `audio codec changed from ${this.audio.codec} to ${name.id}`);
    }
    if (info.multitrackType === undefined) {
      const frame = info.enhanced || info.codec === 'aac' ? info.packetType === CODED_FRAMES : true;
      this.multitrack.plain('audio', info.fourcc, name.id, frame, body.length);
    }
    if (info.sequenceHeader) return this.audioSequenceHeader(body, info);
    if (info.enhanced && info.packetType !== CODED_FRAMES) return;
    if (info.codec === 'aac' && !info.enhanced && info.packetType !== CODED_FRAMES) return;
    const ts = this.a.push(p.timestamp, p.payload.length);
    if (arrivalMs !== undefined) this.firstArrivals.audio ??= arrivalMs;
    if (info.codec === 'aac' && !this.audioConfig) this.note('missing-sequence-header', 'audio', ts, 'AAC frames before any AAC sequence header');
    if (this.v.count > 0) this.offsets.sample(this.v.lastTs - ts);
  }

  private audioSequenceHeader(body: Buffer, info: AudioTagInfo): void {
    if (info.codec === 'opus') return this.opusHead(body);
    if (info.codec !== 'aac') return;
    if (this.audioConfig) {
      if (!body.equals(this.audioConfig)) this.note('config-change', 'audio', this.a.count > 0 ? this.a.lastTs : null, 'the AAC sequence header changed mid-stream');
      return;
    }
    const c = parseAudioSpecificConfig(body);
    this.audioConfig = Buffer.from(body);
    const audio = this.audio!;
    audio.sampleRate = c.outputSampleRate;
    audio.channels = c.outputChannels ?? null;
    audio.sampleSize = null;
    audio.aac = {
      objectType: c.objectType,
      profile: c.profile,
      codecString: c.codecString,
      coreSampleRate: c.sampleRate,
      channelConfiguration: c.channelConfiguration,
      sbr: c.sbr ?? null,
      ps: c.ps,
      frameLength: c.frameLength ?? null,
    };
  }

  /** OpusHead (RFC 7845 5.1): the channel count; Opus always decodes at 48 kHz. */
  private opusHead(body: Buffer): void {
    if (body.length < 19 || body.toString('latin1', 0, 8) !== 'OpusHead') return this.note('bad-header', 'audio', null, 'an Opus sequence start without an OpusHead');
    this.audio!.channels = body[9]!;
    this.audio!.sampleRate = 48000;
  }

  /** The media part of the report, from everything pushed so far. */
  result(): MediaAnalysis {
    const video = this.v.count > 0 || this.video ? this.v.videoMeasurements() : null;
    const audio = this.a.count > 0 || this.audio ? this.a.audioMeasurements() : null;
    const rates = [video?.bitrate, audio?.bitrate].filter((b): b is number => typeof b === 'number');
    const measurements: ProbeMeasurements = {
      mediaMs: round3(this.mediaSpanMs),
      wallMs: null,
      startupMs: null,
      totalBitrate: rates.length > 0 ? rates.reduce((x, y) => x + y, 0) : null,
      video,
      audio,
      avOffset: this.offsets.summary(),
      dataMessages: this.dataMessages,
    };
    const problems = [...this.problems.values()];
    for (const [track, t] of [['video', this.v], ['audio', this.a]] as const) problems.push(...t.problems(track));
    problems.push(...this.offsets.problems(this.opts.driftThresholdMs, this.opts.offsetThresholdMs));
    if (video && video.frames > 0 && video.keyframes === 0) {
      problems.push({ kind: 'no-keyframe', track: 'video', count: 1, atMs: null, message: `no keyframe in ${video.frames} video frames`, field: null, declared: null, measured: null });
    }
    problems.push(...compareMetadata(this.metadata, { video: this.video, audio: this.audio }, video));
    problems.push(...this.multitrack.problems());
    const multitrack = this.multitrack.entries();
    // Track 0 sent as plain messages is described by the main track.
    const zero = multitrack.video.find((e) => e.trackId === 0);
    if (zero && zero.width === null && this.video) Object.assign(zero, { width: this.video.width, height: this.video.height }, profileAndLevel(this.video));
    return { metadata: this.metadata, tracks: { video: this.video, audio: this.audio, multitrack }, measurements, problems };
  }
}

function isVideoFrame(info: VideoTagInfo): boolean {
  if (info.enhanced) return info.packetType === CODED_FRAMES || info.packetType === CODED_FRAMES_X;
  if (info.codec === 'avc' || info.codec === 'hevc') return info.packetType === CODED_FRAMES;
  return true;
}
