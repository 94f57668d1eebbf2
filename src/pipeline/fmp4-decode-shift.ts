/**
 * Rewrites a fragmented MP4's video decode times so no composition offset is
 * negative, as the bytes stream to the file. No I/O.
 *
 * Why: mediabunny takes presentation times only and uses them, sorted, as
 * decode times. With B-frames that makes some composition offsets negative
 * (trun version 1 allows it: ISO/IEC 14496-12 8.8.8). The presentation times
 * are right, but ffmpeg adds the largest negative offset to every video pts
 * of a fragmented file without an edit list, so ffmpeg-based players show
 * the video late by the B-frame delay. Moving the decode timeline back by
 * that delay S (tfdt - S, each offset + S) keeps every pts and makes every
 * offset >= 0, which every reader agrees on. S is the first video fragment's
 * (the encoder's reorder depth) and holds for the rest, as decode times must
 * run on; container-tracks.ts leaves out a B-frame group cut short at the
 * end, the one place a fragment would need more.
 *
 * The muxer writes a fragmented file front to back, so the stream is walked
 * box by box: `moov` (to learn the video track's id) and each `moof` are
 * held until whole (they are small) and patched; everything else — `mdat`
 * above all — passes through as views of the muxer's chunks. A write to an
 * earlier position (the muxer updating its header at the end) passes as is.
 * Anything that does not parse is left untouched.
 */

/** Bytes to write at a file position. */
export interface PositionedBytes {
  data: Uint8Array;
  position: number;
}

/** Boxes larger than this are passed through unparsed. */
const MAX_HELD_BOX = 4 * 1024 * 1024;
const HELD = new Set(['moov', 'moof']);

/** See the file comment. */
export class Fmp4DecodeShift {
  /** Stream position up to which bytes have been seen. */
  private end = 0;
  /** Bytes left of a top-level box that passes through. */
  private passing = 0;
  /** A top-level header (or a held box) being collected. */
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private heldStart = 0;
  /** Size of the held box once its header is known. */
  private heldSize: number | undefined;
  private headerSize = 8;
  private videoTrackId: number | undefined;
  /** The shift, in the video track's timescale units, fixed by the first video fragment. */
  private shift: number | undefined;

  /** Takes one write of the muxer; returns what to write now. */
  push(data: Uint8Array, position: number): PositionedBytes[] {
    if (position !== this.end) return [{ data, position }];
    this.end += data.length;
    const out: PositionedBytes[] = [];
    let at = 0;
    while (at < data.length) {
      if (this.passing > 0) {
        const n = Math.min(this.passing, data.length - at);
        out.push({ data: data.subarray(at, at + n), position: position + at });
        this.passing -= n;
        at += n;
        continue;
      }
      if (this.heldBytes === 0) this.heldStart = position + at;
      // Collect the header (8 bytes, 16 with a 64-bit size), then the box if it is held.
      const want = this.heldSize ?? this.headerSize;
      const n = Math.min(want - this.heldBytes, data.length - at);
      this.held.push(data.subarray(at, at + n));
      this.heldBytes += n;
      at += n;
      if (this.heldBytes < want) continue;
      if (this.heldSize !== undefined) {
        out.push({ data: this.patch(this.takeHeld()), position: this.heldStart });
        this.heldSize = undefined;
      } else if (this.headerSize === 8 && u32(concat(this.held), 0) === 1) {
        this.headerSize = 16;
      } else {
        this.headerSize = 8;
        this.decideHeld(out);
      }
    }
    return out;
  }

  /** Whatever is still held (a box cut short by the end of the output). */
  flush(): PositionedBytes[] {
    if (this.heldBytes === 0) return [];
    const position = this.heldStart;
    this.heldSize = undefined;
    return [{ data: this.takeHeld(), position }];
  }

  /** With a header in hand: hold the box, or let it (and what is held of it) pass. */
  private decideHeld(out: PositionedBytes[]): void {
    const head = concat(this.held);
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const size32 = view.getUint32(0);
    const size = size32 === 1 ? Number(view.getBigUint64(8)) : size32;
    if (HELD.has(latin1(head, 4, 8)) && size > head.length && size <= MAX_HELD_BOX) {
      this.held = [head];
      this.heldSize = size;
      return;
    }
    out.push({ data: this.takeHeld(), position: this.heldStart });
    // size 0 runs to the end of the file; a size smaller than its header: pass everything from here on.
    this.passing = size32 === 0 || size < head.length ? Infinity : size - head.length;
  }

  private takeHeld(): Uint8Array {
    const all = concat(this.held);
    this.held = [];
    this.heldBytes = 0;
    return all;
  }

  /** Patches a whole moof (in place), or learns the video track from the moov. */
  private patch(box: Uint8Array): Uint8Array {
    try {
      const view = new DataView(box.buffer, box.byteOffset, box.byteLength);
      if (latin1(box, 4, 8) === 'moov') this.videoTrackId ??= findVideoTrack(view, 8, box.length);
      else if (this.videoTrackId !== undefined) for (const traf of children(view, 8, box.length, 'traf')) this.patchTraf(view, traf.start, traf.end);
    } catch {
      // A box we cannot walk stays as the muxer wrote it.
    }
    return box;
  }

  private patchTraf(view: DataView, trafStart: number, end: number): void {
    const start = trafStart + 8;
    const tfhd = children(view, start, end, 'tfhd')[0];
    if (!tfhd || view.getUint32(tfhd.start + 12) !== this.videoTrackId) return;
    const tfdt = children(view, start, end, 'tfdt')[0];
    if (!tfdt) return;
    const v1 = view.getUint8(tfdt.start + 8) === 1;
    const at = tfdt.start + 12;
    const base = v1 ? Number(view.getBigUint64(at)) : view.getUint32(at);
    const runs = children(view, start, end, 'trun').map((t) => trunOffsets(view, t.start, t.end));
    const min = Math.min(0, ...runs.flatMap((r) => r.map((o) => o.value)));
    this.shift ??= Math.min(-min, base);
    const shift = this.shift;
    if (shift === 0 || shift > base) return;
    if (v1) view.setBigUint64(at, BigInt(base - shift));
    else view.setUint32(at, base - shift);
    for (const run of runs) for (const o of run) view.setInt32(o.at, o.value + shift);
  }
}

interface Span {
  start: number;
  end: number;
}

/** Child boxes of type `type` between `start` and `end`. */
function children(view: DataView, start: number, end: number, type: string): Span[] {
  const found: Span[] = [];
  for (let at = start; at + 8 <= end; ) {
    const size = view.getUint32(at);
    if (size < 8 || at + size > end) break;
    if (latin1(new Uint8Array(view.buffer, view.byteOffset + at + 4, 4), 0, 4) === type) found.push({ start: at, end: at + size });
    at += size;
  }
  return found;
}

/** The track_ID of the trak whose handler is 'vide'. */
function findVideoTrack(view: DataView, start: number, end: number): number | undefined {
  for (const trak of children(view, start, end, 'trak')) {
    const tkhd = children(view, trak.start + 8, trak.end, 'tkhd')[0];
    const mdia = children(view, trak.start + 8, trak.end, 'mdia')[0];
    const hdlr = mdia && children(view, mdia.start + 8, mdia.end, 'hdlr')[0];
    if (!tkhd || !hdlr) continue;
    const handler = latin1(new Uint8Array(view.buffer, view.byteOffset + hdlr.start + 16, 4), 0, 4);
    if (handler !== 'vide') continue;
    const idAt = tkhd.start + (view.getUint8(tkhd.start + 8) === 1 ? 28 : 20);
    return view.getUint32(idAt);
  }
  return undefined;
}

/** Where each sample's composition offset sits in a trun, and its value. */
function trunOffsets(view: DataView, start: number, end: number): Array<{ at: number; value: number }> {
  const version = view.getUint8(start + 8);
  const flags = view.getUint32(start + 8) & 0xffffff;
  if (!(flags & 0x800)) return [];
  const count = view.getUint32(start + 12);
  let at = start + 16 + (flags & 0x1 ? 4 : 0) + (flags & 0x4 ? 4 : 0);
  const before = (flags & 0x100 ? 4 : 0) + (flags & 0x200 ? 4 : 0) + (flags & 0x400 ? 4 : 0);
  const entry = before + 4;
  if (at + count * entry > end) return [];
  const out: Array<{ at: number; value: number }> = [];
  for (let i = 0; i < count; i++, at += entry) {
    const pos = at + before;
    out.push({ at: pos, value: version === 1 ? view.getInt32(pos) : view.getUint32(pos) });
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  return Buffer.concat(parts);
}

function u32(b: Uint8Array, at: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at);
}

function latin1(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, to));
}
