/**
 * The probe report: one plain, JSON-ready object with a versioned schema
 * (`rtmp-toolkit/probe@1`, documented in the README). The probe collects it;
 * the CLI renders it as text or prints it as JSON. Fields are never omitted:
 * what was not learned is `null`, so `jq` paths stay valid on partial reports.
 */
import { classNameOf, isAmfObject, type AmfValue } from '../amf/value.js';
import { isRtmpError } from '../errors.js';
import type { ProbeAnalyzer } from './probe-analyzer.js';

/** The schema id; the number changes only for incompatible changes. */
export const PROBE_SCHEMA = 'rtmp-toolkit/probe@1';

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The timed steps, in the order they happen. */
export type ProbeStepName =
  | 'dns'
  | 'tcp'
  | 'handshake'
  | 'connect'
  | 'createStream'
  | 'play'
  | 'publish'
  | 'unpublish'
  | 'metadata'
  | 'audio'
  | 'video'
  | 'keyframe';

export interface ProbeStep {
  name: ProbeStepName;
  status: 'ok' | 'failed' | 'skipped';
  /** How long the step took (ms); for metadata/audio/video/keyframe: since the play step ended. */
  ms: number | null;
  /** When the step ended, ms since the probe started. */
  atMs: number | null;
  /** The server's status code, the resolved address, or why the step was skipped or failed. */
  detail: string | null;
}

/** Something the server sent that is not a reply: onStatus, a command such as onBWDone, a user control event. */
export interface ProbeServerEvent {
  atMs: number;
  type: 'status' | 'command' | 'userControl';
  streamId: number | null;
  /** Status code, command name or user control event name. */
  name: string;
  /** The status information object, the command's arguments, or the event's values. */
  detail: JsonValue;
}

export interface ProbeServer {
  /** The address connected to, "host:port". */
  address: string | null;
  /** The connect `_result`: command object (fmsVer, capabilities, mode) and information object (code, description, objectEncoding, data). */
  connect: { properties: JsonValue; information: JsonValue } | null;
  windowAckSize: number | null;
  peerBandwidth: { size: number; limitType: string } | null;
  /** The chunk size the server set with Set Chunk Size (null if it never did). */
  chunkSize: number | null;
  events: ProbeServerEvent[];
  /** Events not listed because of the cap on `events`. */
  eventsDropped: number;
  /** The RTMP handshake: plain or digest, S1's version, and for digest whether S1's digest and S2's signature verified. */
  handshake: { mode: 'simple' | 'digest'; serverVersion: string; serverDigest: 0 | 1 | null; s2Signed: boolean | null } | null;
  /** rtmps:// only: the TLS protocol and cipher, and the server certificate's subject, issuer and expiry (ISO 8601). */
  tls: { protocol: string | null; cipher: string; subject: string | null; issuer: string | null; validTo: string | null } | null;
}

/** What an H.264 or HEVC sequence parameter set says about the picture. */
export interface SpsReport {
  profile: string;
  profileIdc: number;
  level: string;
  levelIdc: number;
  codecString: string;
  codedWidth: number;
  codedHeight: number;
  crop: { left: number; right: number; top: number; bottom: number };
  chromaFormat: string;
  bitDepth: number;
  bitDepthChroma: number;
}

/** H.264 details from the AVCDecoderConfigurationRecord and its SPS. */
export interface AvcReport extends SpsReport {
  interlaced: boolean;
  /** Sample aspect ratio "w:h", when signalled. */
  sar: string | null;
  /** Frame rate from the VUI timing information, when present. */
  vuiFps: number | null;
  fixedFrameRate: boolean | null;
  nalLengthSize: number;
  spsCount: number;
  ppsCount: number;
}

/** AAC details from the AudioSpecificConfig. */
export interface AacReport {
  objectType: number;
  profile: string;
  codecString: string;
  /** Core codec rate and channels (before SBR/PS). */
  coreSampleRate: number;
  channelConfiguration: number;
  sbr: boolean | null;
  ps: boolean;
  frameLength: number | null;
}

/** HEVC details from the HEVCDecoderConfigurationRecord and its SPS. */
export interface HevcReport extends SpsReport {
  tier: string;
  nalLengthSize: number;
}

/** AV1 details from the AV1CodecConfigurationRecord and its sequence header. */
export interface Av1Report {
  profile: string;
  seqProfile: number;
  level: string;
  seqLevelIdx: number;
  tier: number;
  codecString: string;
  chromaFormat: string;
  bitDepth: number;
  /** False when configOBUs carried no sequence header (then the rest comes from the record). */
  sequenceHeader: boolean;
}

/** VP8/VP9 details from the VPCodecConfigurationRecord. */
export interface VpReport {
  profile: number;
  level: string | null;
  levelIdc: number;
  codecString: string;
  chromaFormat: string;
  bitDepth: number;
  fullRange: boolean;
}

/** One track of an Enhanced RTMP multitrack stream (track 0 is also the main track above). */
export interface MultitrackEntry {
  trackId: number;
  codec: string;
  fourcc: string;
  /** Coded-frame (video) or coded-audio parts carried for this track. */
  frames: number;
  bytes: number;
  /** From the track's sequence start, when parsed. */
  width: number | null;
  height: number | null;
  profile: string | null;
  level: string | null;
}

export interface VideoTrack {
  /** Stable short id: h264, hevc, av1, vp6, h263, screen, ... */
  codec: string;
  codecName: string;
  /** Legacy FLV CodecID, or null for Enhanced RTMP. */
  codecId: number | null;
  fourcc: string | null;
  width: number | null;
  height: number | null;
  avc: AvcReport | null;
  /** Added in probe@1 for Enhanced RTMP and legacy CodecID 12 (additive: older fields unchanged). */
  hevc: HevcReport | null;
  av1: Av1Report | null;
  vp: VpReport | null;
  /** The last Enhanced RTMP colorInfo metadata, as sent (null when none). */
  colorInfo: JsonValue;
}

export interface AudioTrack {
  /** Stable short id: aac, mp3, speex, nellymoser, g711a, g711u, pcm, ... */
  codec: string;
  codecName: string;
  soundFormat: number | null;
  fourcc: string | null;
  /** Effective output rate and channels: from the AudioSpecificConfig for AAC, from the tag header otherwise. */
  sampleRate: number | null;
  channels: number | null;
  sampleSize: number | null;
  aac: AacReport | null;
}

export interface GopStats {
  /** Complete keyframe-to-keyframe intervals seen. */
  count: number;
  minFrames: number;
  maxFrames: number;
  minMs: number;
  maxMs: number;
  avgMs: number;
}

export interface VideoMeasurements {
  frames: number;
  keyframes: number;
  bytes: number;
  firstMs: number | null;
  lastMs: number | null;
  fps: number | null;
  /** bit/s */
  bitrate: number | null;
  gop: GopStats | null;
  /** Media time from the last keyframe to the last frame (a lower bound for the GOP when fewer than two keyframes were seen). */
  sinceKeyframeMs: number | null;
}

export interface AudioMeasurements {
  packets: number;
  bytes: number;
  firstMs: number | null;
  lastMs: number | null;
  /** Packets per second. */
  packetRate: number | null;
  bitrate: number | null;
}

export interface ProbeMeasurements {
  /** Media time measured: the longest track span. */
  mediaMs: number;
  /** Wall-clock time from play to the end of measuring (null for files). */
  wallMs: number | null;
  /** Probe start to the first keyframe's arrival (null for files or without a keyframe). */
  startupMs: number | null;
  totalBitrate: number | null;
  video: VideoMeasurements | null;
  audio: AudioMeasurements | null;
  /** Video minus audio timestamp at the start and end of the window (median of the nearest samples), and extremes. */
  avOffset: { startMs: number; endMs: number; minMs: number; maxMs: number } | null;
  dataMessages: number;
}

export type ProblemKind =
  | 'non-monotonic'
  | 'gap'
  | 'drift'
  | 'av-offset'
  | 'metadata-mismatch'
  | 'missing-sequence-header'
  | 'config-change'
  | 'no-keyframe'
  | 'bad-header'
  | 'no-media'
  | 'stalled'
  | 'flv';

export interface ProbeProblem {
  kind: ProblemKind;
  track: 'video' | 'audio' | 'data' | null;
  /** How many times it happened. */
  count: number;
  /** Media time of the first occurrence. */
  atMs: number | null;
  message: string;
  /** For metadata-mismatch: the onMetaData field, what it declares, what was measured. */
  field: string | null;
  declared: JsonValue;
  measured: JsonValue;
}

export interface CheckResult {
  /** The check as written, e.g. "min-fps=29". */
  expect: string;
  ok: boolean;
  /** The measured value it was compared with (null when not measured). */
  actual: JsonValue;
  message: string;
}

export interface ProbeReport {
  schema: typeof PROBE_SCHEMA;
  input: { kind: 'rtmp' | 'file'; target: string; mode: 'play' | 'publish' | 'file' };
  startedAt: string;
  /** The requested --duration in ms (0: until the end). */
  durationMs: number;
  steps: ProbeStep[];
  server: ProbeServer | null;
  metadata: JsonValue;
  /** `multitrack` lists Enhanced RTMP tracks by id (empty arrays for a stream that is not multitrack). */
  tracks: { video: VideoTrack | null; audio: AudioTrack | null; multitrack: { video: MultitrackEntry[]; audio: MultitrackEntry[] } };
  measurements: ProbeMeasurements | null;
  problems: ProbeProblem[];
  checks: CheckResult[];
  error: { code: string; message: string; step: ProbeStepName | null; exitCode: number | null } | null;
}

/** Values and nesting one `amfToJson` call renders at most; the rest become null. */
const MAX_JSON_VALUES = 1_000_000;
const MAX_JSON_DEPTH = 64;

/**
 * An AMF value as JSON: non-finite numbers and undefined become null, dates
 * ISO strings, byte arrays hex strings; typed objects keep their properties.
 * Decoded peer data may be cyclic or share containers through AMF references,
 * which would recurse forever or expand exponentially: cycles, nesting past
 * MAX_JSON_DEPTH and values past MAX_JSON_VALUES become null.
 */
export function amfToJson(v: AmfValue): JsonValue {
  let left = MAX_JSON_VALUES;
  const parents: object[] = [];
  const walk = (x: AmfValue): JsonValue => {
    if (x === null || x === undefined) return null;
    if (typeof x === 'number') return Number.isFinite(x) ? x : null;
    if (typeof x === 'string' || typeof x === 'boolean') return x;
    if (x instanceof Date) return Number.isFinite(x.getTime()) ? x.toISOString() : null;
    if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex');
    if (!Array.isArray(x) && !isAmfObject(x) && classNameOf(x) === undefined) return null;
    if (parents.length >= MAX_JSON_DEPTH || parents.includes(x)) return null;
    const keys = Array.isArray(x) ? undefined : Object.keys(x);
    // Members are charged up front, so a shared big container cannot be walked again and again.
    left -= keys?.length ?? (x as AmfValue[]).length;
    if (left < 0) return null;
    parents.push(x);
    let out: JsonValue;
    if (keys === undefined) {
      out = (x as AmfValue[]).map((e) => walk(e));
    } else {
      const obj: { [key: string]: JsonValue } = {};
      const o = x as { [key: string]: AmfValue };
      for (const key of keys) Object.defineProperty(obj, key, { value: walk(o[key]), enumerable: true, writable: true, configurable: true });
      out = obj;
    }
    parents.pop();
    return out;
  };
  return walk(v);
}

/** Rounds a measurement for the report (ms and rates to 3 decimals). */
export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** An empty report for `input`, to be filled in as the probe goes. */
export function newReport(input: ProbeReport['input'], durationMs: number, startedAt = new Date()): ProbeReport {
  return {
    schema: PROBE_SCHEMA,
    input,
    startedAt: startedAt.toISOString(),
    durationMs,
    steps: [],
    server: null,
    metadata: null,
    tracks: { video: null, audio: null, multitrack: { video: [], audio: [] } },
    measurements: null,
    problems: [],
    checks: [],
    error: null,
  };
}

/** A finished probe: the report (partial if it failed) and the error that ended it. */
export interface ProbeOutcome {
  report: ProbeReport;
  /** Undefined when the probe ran to the end. */
  error: unknown;
}

/** The report's `error` field for an error that ended the probe during `step` (exitCode is the CLI's to fill). */
export function describeProbeError(e: unknown, step: ProbeStepName | null): NonNullable<ProbeReport['error']> {
  if (isRtmpError(e)) return { code: e.code, message: e.message, step, exitCode: null };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), step, exitCode: null };
}

/** Copies the analyzer's results into the report. */
export function finishMedia(report: ProbeReport, analyzer: ProbeAnalyzer): void {
  const media = analyzer.result();
  report.metadata = media.metadata;
  report.tracks = media.tracks;
  report.measurements = media.measurements;
  report.problems = media.problems;
}
