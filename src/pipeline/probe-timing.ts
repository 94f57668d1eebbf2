/**
 * Timestamp bookkeeping for the probe analyzer: per-track counts, spans,
 * rates, GOP intervals and timestamp problems, and the audio/video offset
 * over the window. Memory stays bounded however long the input is.
 */
import { TimestampUnwrapper } from '../media/timestamp.js';
import { round3, type AudioMeasurements, type ProbeProblem, type VideoMeasurements } from './probe-report.js';

interface Occurrence {
  count: number;
  atMs: number;
  /** Largest step seen (gaps) or largest step back (non-monotonic). */
  worst: number;
  from: number;
  to: number;
}

/** Timestamps, sizes and keyframes of one track. */
export class TrackTimes {
  count = 0;
  bytes = 0;
  private first: number | undefined;
  private last: number | undefined;
  private lastBytes = 0;
  private readonly unwrap = new TimestampUnwrapper();
  private back: Occurrence | undefined;
  private gap: Occurrence | undefined;
  private keyframes = 0;
  private lastKey: { ts: number; frame: number } | undefined;
  private gops = { count: 0, minFrames: 0, maxFrames: 0, minMs: 0, maxMs: 0, sumMs: 0 };

  constructor(private readonly gapThresholdMs: number) {}

  /** Media time from the first to the last frame. */
  get spanMs(): number {
    return this.first === undefined || this.last === undefined ? 0 : Math.max(0, this.last - this.first);
  }

  /** The last (unwrapped) timestamp; 0 before any frame. */
  get lastTs(): number {
    return this.last ?? 0;
  }

  /** Adds one frame; returns its unwrapped timestamp. */
  push(ts32: number, bytes: number): number {
    const ts = this.unwrap.next(ts32);
    if (this.last !== undefined) {
      const step = ts - this.last;
      if (step < 0) this.back = record(this.back, ts, -step, this.last);
      else if (step > this.gapThresholdMs) this.gap = record(this.gap, ts, step, this.last);
    }
    this.first ??= ts;
    this.last = ts;
    this.count++;
    this.bytes += bytes;
    this.lastBytes = bytes;
    return ts;
  }

  /** Marks the frame just pushed (at `ts`) as a keyframe. */
  keyframe(ts: number): void {
    this.keyframes++;
    const frame = this.count;
    if (this.lastKey) {
      const frames = frame - this.lastKey.frame;
      const ms = ts - this.lastKey.ts;
      const g = this.gops;
      g.minFrames = g.count === 0 ? frames : Math.min(g.minFrames, frames);
      g.maxFrames = Math.max(g.maxFrames, frames);
      g.minMs = g.count === 0 ? ms : Math.min(g.minMs, ms);
      g.maxMs = Math.max(g.maxMs, ms);
      g.sumMs += ms;
      g.count++;
    }
    this.lastKey = { ts, frame };
  }

  /** Frames per interval: each packet but the last covers the time to the next one. */
  private rate(): number | null {
    return this.count >= 2 && this.spanMs > 0 ? round3(((this.count - 1) * 1000) / this.spanMs) : null;
  }

  private bitrate(): number | null {
    return this.count >= 2 && this.spanMs > 0 ? Math.round(((this.bytes - this.lastBytes) * 8 * 1000) / this.spanMs) : null;
  }

  videoMeasurements(): VideoMeasurements {
    const g = this.gops;
    return {
      frames: this.count,
      keyframes: this.keyframes,
      bytes: this.bytes,
      firstMs: this.first ?? null,
      lastMs: this.last ?? null,
      fps: this.rate(),
      bitrate: this.bitrate(),
      gop: g.count > 0 ? { count: g.count, minFrames: g.minFrames, maxFrames: g.maxFrames, minMs: g.minMs, maxMs: g.maxMs, avgMs: round3(g.sumMs / g.count) } : null,
      sinceKeyframeMs: this.lastKey && this.last !== undefined ? this.last - this.lastKey.ts : null,
    };
  }

  audioMeasurements(): AudioMeasurements {
    return { packets: this.count, bytes: this.bytes, firstMs: this.first ?? null, lastMs: this.last ?? null, packetRate: this.rate(), bitrate: this.bitrate() };
  }

  /** Non-monotonic timestamps and gaps, one entry per kind. */
  problems(track: 'video' | 'audio'): ProbeProblem[] {
    const out: ProbeProblem[] = [];
    const base = { track, field: null, declared: null, measured: null } as const;
    if (this.back) {
      const b = this.back;
      out.push({ ...base, kind: 'non-monotonic', count: b.count, atMs: b.atMs, message: `${track} timestamp went back ${b.count} time${b.count === 1 ? '' : 's'}, first from ${b.from} to ${b.to} ms (at most ${b.worst} ms back)` });
    }
    if (this.gap) {
      const g = this.gap;
      out.push({ ...base, kind: 'gap', count: g.count, atMs: g.atMs, message: `${g.count} ${track} gap${g.count === 1 ? '' : 's'} over ${this.gapThresholdMs} ms, first from ${g.from} to ${g.to} ms (longest ${g.worst} ms)` });
    }
    return out;
  }
}

function record(o: Occurrence | undefined, ts: number, size: number, from: number): Occurrence {
  if (!o) return { count: 1, atMs: ts, worst: size, from, to: ts };
  o.count++;
  o.worst = Math.max(o.worst, size);
  return o;
}

/** Samples kept at each end of the window for the audio/video offset medians. */
const OFFSET_SAMPLES = 64;

/**
 * The offset between the tracks (latest video timestamp minus latest audio
 * timestamp), sampled at each frame once both tracks started. Interleaving
 * makes single samples jitter by a frame, so the start and end of the window
 * are compared by the median of their first and last samples.
 */
export class OffsetTracker {
  private readonly head: number[] = [];
  private readonly tail: number[] = [];
  private tailAt = 0;
  private min = Infinity;
  private max = -Infinity;

  sample(offset: number): void {
    if (this.head.length < OFFSET_SAMPLES) this.head.push(offset);
    if (this.tail.length < OFFSET_SAMPLES) this.tail.push(offset);
    else this.tail[this.tailAt] = offset;
    this.tailAt = (this.tailAt + 1) % OFFSET_SAMPLES;
    this.min = Math.min(this.min, offset);
    this.max = Math.max(this.max, offset);
  }

  summary(): { startMs: number; endMs: number; minMs: number; maxMs: number } | null {
    if (this.head.length === 0) return null;
    return { startMs: median(this.head), endMs: median(this.tail), minMs: this.min, maxMs: this.max };
  }

  problems(driftThresholdMs: number, offsetThresholdMs: number): ProbeProblem[] {
    const s = this.summary();
    if (!s) return [];
    const out: ProbeProblem[] = [];
    const base = { track: null, count: 1, atMs: null, field: null, declared: null, measured: null } as const;
    const drift = s.endMs - s.startMs;
    if (Math.abs(drift) > driftThresholdMs) {
      out.push({ ...base, kind: 'drift', message: `audio and video drift apart: video − audio went from ${s.startMs} to ${s.endMs} ms (${drift > 0 ? '+' : ''}${drift} ms)` });
    }
    const worst = Math.abs(s.startMs) > Math.abs(s.endMs) ? s.startMs : s.endMs;
    if (Math.abs(worst) > offsetThresholdMs) {
      out.push({ ...base, kind: 'av-offset', message: `audio and video timestamps are ${Math.abs(worst)} ms apart (video ${worst > 0 ? 'ahead' : 'behind'})` });
    }
    return out;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : round3((sorted[mid - 1]! + sorted[mid]!) / 2);
}
