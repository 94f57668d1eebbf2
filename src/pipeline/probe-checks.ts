/**
 * `probe --expect` checks: parsed once, up front (a typo is a usage error
 * before any network step), then evaluated against a finished report. A
 * check on something that was not measured fails and says why.
 */
import { UsageError } from '../errors.js';
import { canonicalCodecId } from '../media/codec-names.js';
import type { CheckResult, JsonValue, ProbeReport } from './probe-report.js';

export type ExpectKind =
  | 'video'
  | 'audio'
  | 'width'
  | 'height'
  | 'min-fps'
  | 'max-fps'
  | 'max-gop'
  | 'min-bitrate'
  | 'max-bitrate'
  | 'max-startup'
  | 'sample-rate'
  | 'channels'
  | 'no-problems';

/** One parsed check. `value` is a codec id, a number (ms, bit/s, fps, Hz, pixels) or null. */
export interface Expectation {
  text: string;
  kind: ExpectKind;
  value: string | number | null;
  /** For max-gop: whether the limit is in frames ("50f") rather than time. */
  frames?: boolean;
}

/** One line per kind, for --help and the man page. */
export const EXPECT_KINDS: ReadonlyArray<readonly [string, string]> = [
  ['video=<codec>', 'video codec id (h264, hevc, vp6, h263, ...; none = no video)'],
  ['audio=<codec>', 'audio codec id (aac, mp3, speex, nellymoser, g711a, g711u, ...; none = no audio)'],
  ['width=<px>, height=<px>', 'picture size after cropping'],
  ['min-fps=<n>, max-fps=<n>', 'measured video frame rate'],
  ['max-gop=<d|nf>', 'longest keyframe interval, as a duration (2s) or in frames (50f)'],
  ['min-bitrate=<r>, max-bitrate=<r>', 'measured total bitrate, e.g. 2000k, 2.5M, 800000'],
  ['max-startup=<d>', 'time from the start of the probe to the first keyframe'],
  ['sample-rate=<hz>, channels=<n>', 'audio output sample rate (44100, 48k) and channels'],
  ['no-problems', 'no timestamp, metadata or stream problem was found'],
];

const NUMBER = /^\d+(?:\.\d+)?$/;

function duration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? 's').toLowerCase();
  return Math.round(Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000));
}

function bitrate(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([km])?(?:bps|bit\/s|b\/s)?$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase();
  return Math.round(Number(m[1]) * (unit === 'k' ? 1e3 : unit === 'm' ? 1e6 : 1));
}

/** Parses one check such as "min-fps=29"; throws UsageError naming it. */
export function parseExpectation(text: string): Expectation {
  const t = text.trim();
  const eq = t.indexOf('=');
  const key = (eq < 0 ? t : t.slice(0, eq)).trim().toLowerCase();
  const raw = eq < 0 ? '' : t.slice(eq + 1).trim();
  const bad = (why: string): UsageError => new UsageError(`--expect ${t}: ${why}`);
  const positive = (n: number | undefined, what: string): number => {
    if (n === undefined || !Number.isFinite(n) || n <= 0) throw bad(`expected ${what}, not '${raw}'`);
    return n;
  };
  switch (key) {
    case 'no-problems':
      if (raw !== '') throw bad('takes no value');
      return { text: t, kind: key, value: null };
    case 'video':
    case 'audio':
      if (raw === '') throw bad('expected a codec id such as h264 or aac');
      return { text: t, kind: key, value: canonicalCodecId(raw) };
    case 'width':
    case 'height':
    case 'channels':
      if (!/^\d+$/.test(raw)) throw bad(`expected a whole number, not '${raw}'`);
      return { text: t, kind: key, value: positive(Number(raw), 'a whole number') };
    case 'sample-rate': {
      const m = /^(\d+(?:\.\d+)?)(k)?(?:hz)?$/i.exec(raw);
      return { text: t, kind: key, value: positive(m ? Number(m[1]) * (m[2] ? 1000 : 1) : undefined, 'a rate such as 44100 or 48k') };
    }
    case 'min-fps':
    case 'max-fps':
      return { text: t, kind: key, value: positive(NUMBER.test(raw) ? Number(raw) : undefined, 'a frame rate such as 29.97') };
    case 'max-gop':
      if (/^\d+f$/i.test(raw)) return { text: t, kind: key, value: positive(Number(raw.slice(0, -1)), 'a number of frames'), frames: true };
      return { text: t, kind: key, value: positive(duration(raw), 'a duration such as 2s or a frame count such as 50f') };
    case 'max-startup':
      return { text: t, kind: key, value: positive(duration(raw), 'a duration such as 3s or 1500ms') };
    case 'min-bitrate':
    case 'max-bitrate':
      return { text: t, kind: key, value: positive(bitrate(raw), 'a bitrate such as 2000k or 2.5M') };
    default:
      throw bad(`unknown check '${key}'; known: ${EXPECT_KINDS.map(([k]) => k).join(', ')}`);
  }
}

/** Parses every --expect value; each may hold several checks separated by commas. */
export function parseExpectations(values: readonly string[]): Expectation[] {
  return values.flatMap((v) => v.split(',')).filter((s) => s.trim() !== '').map(parseExpectation);
}

const fmtRate = (bps: number): string => (bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${Math.round(bps / 1e3)} kbit/s`);
const fmtMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

function result(e: Expectation, ok: boolean, actual: JsonValue, message: string): CheckResult {
  return { expect: e.text, ok, actual, message };
}

/** Compares `actual` with a limit: `at least` for min-*, `at most` for max-*. */
function limit(e: Expectation, actual: number | null, show: (n: number) => string, missing: string): CheckResult {
  const want = e.value as number;
  if (actual === null) return result(e, false, null, missing);
  const min = e.kind.startsWith('min-');
  const ok = min ? actual >= want : actual <= want;
  return result(e, ok, actual, `measured ${show(actual)}, expected ${min ? 'at least' : 'at most'} ${show(want)}`);
}

/** Evaluates every check against the report, in order. */
export function evaluateExpectations(exps: readonly Expectation[], report: ProbeReport): CheckResult[] {
  const { video, audio } = report.tracks;
  const m = report.measurements;
  return exps.map((e): CheckResult => {
    switch (e.kind) {
      case 'video':
      case 'audio': {
        const track = e.kind === 'video' ? video : audio;
        const actual = track?.codec ?? 'none';
        return result(e, actual === e.value, actual, `${e.kind} is ${track ? `${actual} (${track.codecName})` : 'absent'}`);
      }
      case 'width':
      case 'height': {
        const actual = video?.[e.kind] ?? null;
        if (actual === null) return result(e, false, null, video ? 'the picture size is unknown (no parsed sequence header)' : 'no video');
        return result(e, actual === e.value, actual, `${e.kind} is ${actual}`);
      }
      case 'channels':
      case 'sample-rate': {
        const actual = (e.kind === 'channels' ? audio?.channels : audio?.sampleRate) ?? null;
        if (actual === null) return result(e, false, null, audio ? `the ${e.kind} is unknown` : 'no audio');
        return result(e, actual === e.value, actual, `${e.kind} is ${actual}`);
      }
      case 'min-fps':
      case 'max-fps':
        return limit(e, m?.video?.fps ?? null, (n) => `${n} fps`, 'no video frame rate was measured');
      case 'min-bitrate':
      case 'max-bitrate':
        return limit(e, m?.totalBitrate ?? null, fmtRate, 'no bitrate was measured');
      case 'max-startup':
        return limit(e, m?.startupMs ?? null, fmtMs, report.input.kind === 'file' ? 'a file has no network start-up time' : 'no keyframe arrived');
      case 'max-gop':
        return checkGop(e, report);
      case 'no-problems': {
        const kinds = report.problems.map((p) => p.kind);
        return result(e, kinds.length === 0, kinds, kinds.length === 0 ? 'no problems' : `problems: ${kinds.join(', ')}`);
      }
      default: {
        const never: never = e.kind;
        return never;
      }
    }
  });
}

function checkGop(e: Expectation, report: ProbeReport): CheckResult {
  const v = report.measurements?.video ?? null;
  const want = e.value as number;
  if (!v || v.frames === 0) return result(e, false, null, 'no video');
  if (e.frames) {
    if (!v.gop) return result(e, false, null, 'fewer than two keyframes in the window; measure longer with --duration');
    return result(e, v.gop.maxFrames <= want, v.gop.maxFrames, `longest GOP ${v.gop.maxFrames} frames, expected at most ${want}`);
  }
  // The frames after the last keyframe are a lower bound for the next interval.
  const open = v.sinceKeyframeMs ?? (v.lastMs !== null && v.firstMs !== null ? v.lastMs - v.firstMs : 0);
  const longest = Math.max(v.gop?.maxMs ?? 0, open);
  if (longest > want) return result(e, false, longest, `${v.gop && v.gop.maxMs >= open ? 'longest GOP' : 'no keyframe for'} ${fmtMs(longest)}, expected at most ${fmtMs(want)}`);
  if (!v.gop) return result(e, false, null, 'fewer than two keyframes in the window; measure longer with --duration');
  return result(e, true, v.gop.maxMs, `longest GOP ${fmtMs(v.gop.maxMs)}, expected at most ${fmtMs(want)}`);
}
