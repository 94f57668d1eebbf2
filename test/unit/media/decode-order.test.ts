/**
 * Decode timestamps derived from presentation timestamps. The vectors are
 * real: the first 16 video frames of a Debian 12 ffmpeg 5.1 / libx264
 * (`-preset ultrafast -bf 3`, b-pyramid) 30 fps file, in decode order, with
 * the decode times ffmpeg itself uses for them — stts in the MP4
 * (timescale 15360), derived by libavformat for the Matroska copy (ms).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DecodeTimeline, REORDER_WINDOW, ticksToMs } from '../../../src/media/decode-order.js';

/** MP4: pts and stts dts, ticks of 1/15360 s. */
const MP4_PTS = [0, 2048, 1024, 512, 1536, 4096, 3072, 2560, 3584, 6144, 5120, 4608, 5632, 8192, 7168, 6656];
const MP4_DTS = [-1024, -512, 0, 512, 1024, 1536, 2048, 2560, 3072, 3584, 4096, 4608, 5120, 5632, 6144, 6656];
/** Matroska (ms): the same frames after ffmpeg's remux shifted them by 23 ms; dts as `ffmpeg -c copy -f flv` writes them, minus its 44 ms shift. */
const MKV_PTS = [23, 156, 90, 56, 123, 290, 223, 190, 256, 423, 356, 323, 390, 556, 490, 456];
const MKV_DTS = [-44, -11, 23, 56, 90, 123, 156, 190, 223, 256, 290, 323, 356, 390, 423, 456];

function derive(pts: number[], window = REORDER_WINDOW, declared = 0): { dts: number[]; delay: number | undefined } {
  const timeline = new DecodeTimeline<number>(declared, window);
  const out: number[] = [];
  const seen: number[] = [];
  for (const [i, p] of pts.entries()) {
    for (const r of timeline.push(i, p)) {
      seen.push(r.item);
      out.push(r.dts);
    }
  }
  for (const r of timeline.end()) {
    seen.push(r.item);
    out.push(r.dts);
  }
  assert.deepEqual(seen, pts.map((_, i) => i), 'frames come out once each, in decode order');
  return { dts: out, delay: timeline.reorderDelay };
}

test('ticksToMs rounds to the nearest ms, halves away from zero (as av_rescale_q)', () => {
  assert.equal(ticksToMs(-1024, 15360), -67); // -66.67
  assert.equal(ticksToMs(-512, 15360), -33); // -33.33
  assert.equal(ticksToMs(2048, 15360), 133); // 133.33
  assert.equal(ticksToMs(1024, 44100), 23); // 23.22
  assert.equal(ticksToMs(1, 2000), 1); // 0.5
  assert.equal(ticksToMs(-1, 2000), -1); // -0.5
  assert.equal(ticksToMs(3, 2000), 2); // 1.5
  assert.equal(ticksToMs(0, 90000), 0);
  assert.equal(ticksToMs(90000 * 86400, 90000), 86_400_000);
});

test('MP4 with a B-pyramid: the derived decode times are the stts ones, reorder delay 2', () => {
  const { dts, delay } = derive(MP4_PTS);
  assert.deepEqual(dts, MP4_DTS);
  assert.equal(delay, 2);
});

test('Matroska (pts only): the derived decode times are those ffmpeg derives', () => {
  assert.deepEqual(derive(MKV_PTS).dts, MKV_DTS);
});

test('x264 with B-pyramid allowed but unused: reordering by 1, decode times delayed by the 2 its SPS declares', () => {
  // -preset ultrafast -bf 2: I P B B, each B refers only to I/P, yet stts starts at -2 frames.
  const pts = [0, 1536, 512, 1024, 3072, 2048, 2560, 4608, 3584, 4096];
  const stts = [-1024, -512, 0, 512, 1024, 1536, 2048, 2560, 3072, 3584];
  assert.deepEqual(derive(pts, REORDER_WINDOW, 2), { dts: stts, delay: 2 });
  assert.equal(derive(pts).delay, 1, 'from the timestamps alone the delay looks like 1');
  assert.deepEqual(derive(MP4_PTS, REORDER_WINDOW, 1).dts, MP4_DTS, 'a declared delay below the observed one changes nothing');
  assert.deepEqual(derive([0, 40], REORDER_WINDOW, 4), { dts: [-40, 0], delay: 1 }, 'never more than the frames there are');
});

test('the lookahead window does not change the result once it covers the reordering', () => {
  for (const window of [3, 4, 8, 16, 64]) {
    assert.deepEqual(derive(MP4_PTS, window).dts, MP4_DTS, `window ${window}`);
    assert.deepEqual(derive(MKV_PTS, window).dts, MKV_DTS, `window ${window}`);
  }
});

test('no B-frames: dts = pts, delay 0; a single frame and no frames work', () => {
  const pts = [0, 40, 80, 120, 160];
  assert.deepEqual(derive(pts), { dts: pts, delay: 0 });
  assert.deepEqual(derive([7]), { dts: [7], delay: 0 });
  assert.deepEqual(new DecodeTimeline<number>().end(), []);
});

test('a file shorter than the reorder delay still gets increasing decode times', () => {
  // I P B: two frames only of the pyramid.
  const { dts } = derive([0, 2048]);
  assert.deepEqual(dts, [0, 2048]);
  assert.deepEqual(derive([0, 2048, 1024]).dts, [-1024, 0, 1024]);
});

test('damaged timestamps: decode times never go backwards', () => {
  const { dts } = derive([500, 100, 400, 0, 50, 20, 900, 10]);
  for (let i = 1; i < dts.length; i++) assert.ok(dts[i]! >= dts[i - 1]!, `#${i}: ${dts.join(' ')}`);
});

test('property: for any mini-GOP reordering within the window, dts are increasing, never after pts, and the sorted pts delayed', () => {
  const gop = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 20 });
  fc.assert(
    fc.property(gop, fc.integer({ min: 1, max: 90 }), (sizes, dur) => {
      // Each mini-GOP: the anchor (last in presentation order) first, then its B-frames in order.
      const pts: number[] = [0];
      let next = 1;
      for (const n of sizes) {
        pts.push((next + n - 1) * dur);
        for (let k = 0; k < n - 1; k++) pts.push((next + k) * dur);
        next += n;
      }
      const { dts, delay } = derive(pts);
      const d = delay!;
      const sorted = [...pts].sort((a, b) => a - b);
      for (let i = 0; i < pts.length; i++) {
        assert.ok(dts[i]! <= pts[i]!, `dts after pts at #${i}`);
        if (i > 0) assert.ok(dts[i]! > dts[i - 1]!, `dts not increasing at #${i}`);
        if (i >= d) assert.equal(dts[i], sorted[i - d]);
      }
    }),
    { numRuns: 300 },
  );
});
