/**
 * The probe report schema (`rtmp-toolkit/probe@1`) as data, and a validator
 * for it. The README's field table describes the same shape; the tests check
 * that every report the probe emits validates, before and after a JSON round
 * trip. No dependency: a handful of shape kinds is enough.
 */
import { PROBE_SCHEMA } from './probe-report.js';

/** A shape: a primitive, any JSON, null-or-shape, an object with exactly these keys, an array, one of some strings. */
export type Shape =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'json'
  | { nullable: Shape }
  | { object: { [key: string]: Shape } }
  | { array: Shape }
  | { oneOf: readonly string[] };

const n = (s: Shape): Shape => ({ nullable: s });
const obj = (o: { [key: string]: Shape }): Shape => ({ object: o });

const STEP_NAMES = ['dns', 'tcp', 'handshake', 'connect', 'createStream', 'play', 'publish', 'unpublish', 'metadata', 'audio', 'video', 'keyframe'];
const PROBLEM_KINDS = ['non-monotonic', 'gap', 'drift', 'av-offset', 'metadata-mismatch', 'missing-sequence-header', 'config-change', 'no-keyframe', 'bad-header', 'no-media', 'stalled', 'flv'];

const CROP: Shape = obj({ left: 'integer', right: 'integer', top: 'integer', bottom: 'integer' });

/** SpsReport: what H.264 and HEVC share. */
const SPS_FIELDS = {
  profile: 'string', profileIdc: 'integer', level: 'string', levelIdc: 'integer', codecString: 'string',
  codedWidth: 'integer', codedHeight: 'integer', crop: CROP, chromaFormat: 'string', bitDepth: 'integer', bitDepthChroma: 'integer',
} as const satisfies { [key: string]: Shape };

const AVC: Shape = obj({
  ...SPS_FIELDS,
  interlaced: 'boolean',
  sar: n('string'), vuiFps: n('number'), fixedFrameRate: n('boolean'), nalLengthSize: 'integer', spsCount: 'integer', ppsCount: 'integer',
});

const AAC: Shape = obj({
  objectType: 'integer', profile: 'string', codecString: 'string', coreSampleRate: 'integer', channelConfiguration: 'integer',
  sbr: n('boolean'), ps: 'boolean', frameLength: n('integer'),
});

const HEVC: Shape = obj({ ...SPS_FIELDS, tier: 'string', nalLengthSize: 'integer' });

const AV1: Shape = obj({
  profile: 'string', seqProfile: 'integer', level: 'string', seqLevelIdx: 'integer', tier: 'integer', codecString: 'string',
  chromaFormat: 'string', bitDepth: 'integer', sequenceHeader: 'boolean',
});

const VP: Shape = obj({ profile: 'integer', level: n('string'), levelIdc: 'integer', codecString: 'string', chromaFormat: 'string', bitDepth: 'integer', fullRange: 'boolean' });

const MULTITRACK_ENTRY: Shape = obj({
  trackId: 'integer', codec: 'string', fourcc: 'string', frames: 'integer', bytes: 'integer',
  width: n('integer'), height: n('integer'), profile: n('string'), level: n('string'),
});

/** The whole report. */
export const PROBE_REPORT_SHAPE: Shape = obj({
  schema: { oneOf: [PROBE_SCHEMA] },
  input: obj({ kind: { oneOf: ['rtmp', 'file'] }, target: 'string', mode: { oneOf: ['play', 'publish', 'file'] } }),
  startedAt: 'string',
  durationMs: 'number',
  steps: {
    array: obj({ name: { oneOf: STEP_NAMES }, status: { oneOf: ['ok', 'failed', 'skipped'] }, ms: n('number'), atMs: n('number'), detail: n('string') }),
  },
  server: n(
    obj({
      address: n('string'),
      connect: n(obj({ properties: 'json', information: 'json' })),
      windowAckSize: n('integer'),
      peerBandwidth: n(obj({ size: 'integer', limitType: 'string' })),
      chunkSize: n('integer'),
      events: { array: obj({ atMs: 'number', type: { oneOf: ['status', 'command', 'userControl'] }, streamId: n('integer'), name: 'string', detail: 'json' }) },
      eventsDropped: 'integer',
      handshake: n(obj({ mode: { oneOf: ['simple', 'digest'] }, serverVersion: 'string', serverDigest: n('integer'), s2Signed: n('boolean') })),
      tls: n(obj({ protocol: n('string'), cipher: 'string', subject: n('string'), issuer: n('string'), validTo: n('string') })),
    }),
  ),
  metadata: 'json',
  tracks: obj({
    video: n(obj({ codec: 'string', codecName: 'string', codecId: n('integer'), fourcc: n('string'), width: n('integer'), height: n('integer'), avc: n(AVC),
      hevc: n(HEVC), av1: n(AV1), vp: n(VP), colorInfo: 'json' })),
    audio: n(
      obj({
        codec: 'string', codecName: 'string', soundFormat: n('integer'), fourcc: n('string'),
        sampleRate: n('integer'), channels: n('integer'), sampleSize: n('integer'), aac: n(AAC),
      }),
    ),
    multitrack: obj({ video: { array: MULTITRACK_ENTRY }, audio: { array: MULTITRACK_ENTRY } }),
  }),
  measurements: n(
    obj({
      mediaMs: 'number',
      wallMs: n('number'),
      startupMs: n('number'),
      totalBitrate: n('number'),
      video: n(
        obj({
          frames: 'integer', keyframes: 'integer', bytes: 'integer', firstMs: n('number'), lastMs: n('number'),
          fps: n('number'), bitrate: n('number'),
          gop: n(obj({ count: 'integer', minFrames: 'integer', maxFrames: 'integer', minMs: 'number', maxMs: 'number', avgMs: 'number' })),
          sinceKeyframeMs: n('number'),
        }),
      ),
      audio: n(obj({ packets: 'integer', bytes: 'integer', firstMs: n('number'), lastMs: n('number'), packetRate: n('number'), bitrate: n('number') })),
      avOffset: n(obj({ startMs: 'number', endMs: 'number', minMs: 'number', maxMs: 'number' })),
      dataMessages: 'integer',
    }),
  ),
  problems: {
    array: obj({
      kind: { oneOf: PROBLEM_KINDS }, track: n({ oneOf: ['video', 'audio', 'data'] }), count: 'integer', atMs: n('number'),
      message: 'string', field: n('string'), declared: 'json', measured: 'json',
    }),
  },
  checks: { array: obj({ expect: 'string', ok: 'boolean', actual: 'json', message: 'string' }) },
  error: n(obj({ code: 'string', message: 'string', step: n({ oneOf: STEP_NAMES }), exitCode: n('integer') })),
});

function isJson(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isJson);
  if (typeof v === 'object') return Object.getPrototypeOf(v) === Object.prototype && Object.values(v as object).every(isJson);
  return false;
}

function check(v: unknown, s: Shape, path: string, errors: string[]): void {
  const fail = (want: string): void => {
    errors.push(`${path}: expected ${want}, got ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}`);
  };
  if (typeof s === 'string') {
    if (s === 'json') {
      if (!isJson(v)) errors.push(`${path}: not a JSON value`);
    } else if (s === 'integer') {
      if (typeof v !== 'number' || !Number.isInteger(v)) fail('integer');
    } else if (s === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail('finite number');
    } else if (typeof v !== s) fail(s);
    return;
  }
  if ('nullable' in s) {
    if (v !== null) check(v, s.nullable, path, errors);
    return;
  }
  if ('oneOf' in s) {
    if (typeof v !== 'string' || !s.oneOf.includes(v)) errors.push(`${path}: expected one of ${s.oneOf.join('|')}, got ${JSON.stringify(v)}`);
    return;
  }
  if ('array' in s) {
    if (!Array.isArray(v)) return fail('array');
    v.forEach((item, i) => check(item, s.array, `${path}[${i}]`, errors));
    return;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('object');
  const o = v as { [key: string]: unknown };
  for (const key of Object.keys(s.object)) {
    if (!Object.prototype.hasOwnProperty.call(o, key)) errors.push(`${path}.${key}: missing`);
    else check(o[key], s.object[key]!, `${path}.${key}`, errors);
  }
  for (const key of Object.keys(o)) if (!Object.prototype.hasOwnProperty.call(s.object, key)) errors.push(`${path}.${key}: not in the schema`);
}

/** Every way `value` departs from the report schema; empty when it is a valid report. */
export function validateProbeReport(value: unknown): string[] {
  const errors: string[] = [];
  check(value, PROBE_REPORT_SHAPE, '$', errors);
  return errors;
}
