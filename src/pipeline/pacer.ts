/**
 * Real-time pacing from media timestamps, as ffmpeg's -re: the packet with
 * timestamp t is released when the wall clock reaches start + (t - t0).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class Pacer {
  private origin: number | undefined;
  private firstTs = 0;
  private readonly now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
  }

  /** Milliseconds to wait before sending a packet with unwrapped timestamp `ts` (0 when due). */
  delayFor(ts: number): number {
    const now = this.now();
    if (this.origin === undefined) {
      this.origin = now;
      this.firstTs = ts;
      return 0;
    }
    const due = this.origin + (ts - this.firstTs);
    return Math.max(0, due - now);
  }

  /** Starts the clock again at the next packet (after an outage, so the pacer does not burst to catch up). */
  restart(): void {
    this.origin = undefined;
  }

  /** Waits until the packet is due. Resolves early (without throwing) when aborted. */
  async wait(ts: number, signal?: AbortSignal): Promise<void> {
    const ms = this.delayFor(ts);
    if (ms < 1 || signal?.aborted) return;
    try {
      await sleep(ms, undefined, signal ? { signal } : undefined);
    } catch {
      // aborted: the caller checks the signal
    }
  }
}
