/**
 * Decode timestamps for video read from a container that hands out frames
 * in decode order with presentation timestamps only (the demuxer we use
 * reports pts; Matroska stores nothing else).
 *
 * With B-frames, frames arrive out of presentation order and FLV needs the
 * decode time (the tag timestamp) plus CompositionTime = pts − dts. For a
 * stream whose frames are reordered by at most D positions, the decode times
 * are the presentation times sorted and delayed by D frames:
 * dts[i] = sortedPts[i − D]; the first D frames get the first D sorted values
 * moved back by (sortedPts[D] − sortedPts[0]). That is what an encoder such
 * as x264 writes into MP4's stts, and what ffmpeg derives for Matroska, so a
 * remux through this module matches `ffmpeg -c copy -f flv` packet for packet.
 *
 * D is the larger of the reordering seen in the first `window` frames and
 * what the codec configuration declares (an encoder may delay decode times
 * more than its first frames need: x264 with B-pyramid enabled delays by 2
 * even where it used no pyramid, and says so in the SPS; ffmpeg takes the
 * same maximum). Streaming, with bounded lookahead: every frame is held until
 * `window` later ones were seen.
 */

/** Frames of lookahead. H.264 allows at most 16 reordered frames (max_num_reorder_frames, A.3.1), so 32 is plenty. */
export const REORDER_WINDOW = 32;

/** Rounds `ticks / timescale` seconds to whole ms, halves away from zero (as ffmpeg's av_rescale_q does). */
export function ticksToMs(ticks: number, timescale: number): number {
  const magnitude = Math.floor((2000 * Math.abs(ticks) + timescale) / (2 * timescale));
  return ticks < 0 ? -magnitude : magnitude;
}

/** A frame with its derived decode timestamp (same unit as the pts pushed). */
export interface Timed<T> {
  item: T;
  pts: number;
  dts: number;
}

/** Assigns decode timestamps to frames pushed in decode order; see the module comment. */
export class DecodeTimeline<T> {
  private readonly held: Array<{ item: T; pts: number }> = [];
  /** Presentation times not yet used as a decode time, ascending. */
  private readonly pending: number[] = [];
  private delay: number | undefined;
  private firstSorted: number[] = [];
  private released = 0;
  private lastDts = -Infinity;

  /**
   * @param declaredDelay the reorder depth the codec configuration declares (frames), if any
   * @param window frames of lookahead
   */
  constructor(
    private readonly declaredDelay = 0,
    private readonly window = REORDER_WINDOW,
  ) {
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, not ${window}`);
  }

  /** The reorder delay D in frames, once learned (after `window` frames or end()). */
  get reorderDelay(): number | undefined {
    return this.delay;
  }

  /** Adds the next frame in decode order; returns the frames whose decode time is now known, in order. */
  push(item: T, pts: number): Array<Timed<T>> {
    this.held.push({ item, pts });
    insertSorted(this.pending, pts);
    if (this.held.length <= this.window) return [];
    this.learn();
    return [this.release()];
  }

  /** No more frames: returns the rest. */
  end(): Array<Timed<T>> {
    if (this.held.length === 0) return [];
    this.learn();
    const out: Array<Timed<T>> = [];
    while (this.held.length > 0) out.push(this.release());
    return out;
  }

  private learn(): void {
    if (this.delay !== undefined) return;
    // D = the most frames that precede a frame in decode order but follow it in presentation order.
    let delay = Number.isInteger(this.declaredDelay) && this.declaredDelay > 0 ? this.declaredDelay : 0;
    for (let i = 1; i < this.held.length; i++) {
      const pts = this.held[i]!.pts;
      let later = 0;
      for (let j = 0; j < i; j++) if (this.held[j]!.pts > pts) later++;
      delay = Math.max(delay, later);
    }
    // Never more than the frames seen (a tiny file) or the lookahead.
    delay = Math.min(delay, this.held.length - 1, this.window - 1);
    this.delay = delay;
    this.firstSorted = this.pending.slice(0, delay + 1);
  }

  private release(): Timed<T> {
    const { item, pts } = this.held.shift()!;
    const i = this.released++;
    const d = this.delay!;
    let dts: number;
    if (i < d) {
      const sorted = this.firstSorted;
      dts = sorted[i]! - (sorted[d]! - sorted[0]!);
    } else {
      dts = this.pending.shift()!;
    }
    // Decode times never go backwards, whatever a damaged file says.
    dts = Math.max(dts, this.lastDts);
    this.lastDts = dts;
    return { item, pts, dts };
  }
}

/** Inserts into an ascending array (binary search; arrays here hold at most ~2 × window values). */
function insertSorted(a: number[], v: number): void {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  a.splice(lo, 0, v);
}
