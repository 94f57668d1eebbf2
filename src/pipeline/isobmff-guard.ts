/**
 * A sanity check of an MP4/MOV file's sample tables before mediabunny reads
 * them. mediabunny expands stts and ctts into one object per sample as the
 * counts say, so four corrupt bytes in a count (4 billion samples) cost
 * gigabytes and minutes. Here every count is checked against what bounds it,
 * as ISO/IEC 14496-12 8.6/8.7 defines the boxes: entries must fit their box,
 * stts, ctts and stsc must not describe more samples than stsz holds, stsc's
 * chunk runs must go forwards, and a constant sample size times the sample
 * count must fit in the file.
 *
 * Only the moov box is read (once, bounded by MAX_MOOV_BYTES); the walk over
 * the top-level boxes reads 16-byte headers. Fragmented files (moof) are
 * passed through: their tables come later, fragment by fragment.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ContainerError } from '../errors.js';

/** Largest moov we read: a 10-hour 60 fps video with audio needs about 20 MB of tables. */
export const MAX_MOOV_BYTES = 256 * 1024 * 1024;
/** Top-level boxes walked looking for moov before giving up the check (real files have a handful). */
const MAX_TOP_LEVEL_BOXES = 4096;
/** Boxes that contain boxes on the way from moov to the sample tables. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

interface Box {
  type: string;
  /** Offset of the box header in the buffer (or file). */
  at: number;
  /** Offset of the payload in the buffer (or file). */
  start: number;
  /** Offset just past the box. */
  end: number;
}

/**
 * Reads a box header at `at` of `buf`; undefined when the header does not
 * fit before `limit`. A size of 0 means "to `spaceEnd`" (the end of the
 * enclosing space, by default `limit`).
 */
function boxAt(buf: Buffer, at: number, limit: number, spaceEnd = limit): Box | undefined {
  if (at + 8 > limit) return undefined;
  let size = buf.readUInt32BE(at);
  // Box types are four printable characters; show anything else as hex in messages.
  const raw = buf.toString('latin1', at + 4, at + 8);
  const type = /^[\x20-\x7e]{4}$/.test(raw) ? raw : `0x${buf.toString('hex', at + 4, at + 8)}`;
  let header = 8;
  if (size === 1) {
    if (at + 16 > limit) return undefined;
    size = Number(buf.readBigUInt64BE(at + 8));
    header = 16;
  } else if (size === 0) {
    size = spaceEnd - at;
  }
  if (size < header) return undefined;
  return { type, at, start: at + header, end: at + size };
}

/**
 * Checks the file's sample tables; throws ContainerError naming the file,
 * the box and its offset when a count cannot be right. Returns quietly for
 * anything that is not a plain (moov-indexed) ISO BMFF file.
 */
export async function checkIsobmffTables(path: string, fileSize: number): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return; // the demuxer reports it
  }
  try {
    const moov = await findMoov(handle, fileSize);
    if (!moov) return;
    if (moov.end > fileSize) throw new ContainerError(path, `the moov box at byte offset ${moov.at} runs past the end of the file (truncated or corrupt)`);
    if (moov.end - moov.start > MAX_MOOV_BYTES) {
      throw new ContainerError(path, `the moov box at byte offset ${moov.at} is ${moov.end - moov.at} bytes, more than the ${MAX_MOOV_BYTES} this reader accepts`);
    }
    const body = Buffer.alloc(moov.end - moov.start);
    await handle.read(body, 0, body.length, moov.start);
    const problem = checkContainer(body, 0, body.length, fileSize, moov.start);
    if (problem) throw new ContainerError(path, `corrupt MP4 index: ${problem}`);
  } finally {
    await handle.close();
  }
}

async function findMoov(handle: FileHandle, fileSize: number): Promise<Box | undefined> {
  const head = Buffer.alloc(16);
  let at = 0;
  for (let n = 0; n < MAX_TOP_LEVEL_BOXES && at + 8 <= fileSize; n++) {
    const { bytesRead } = await handle.read(head, 0, 16, at);
    const box = boxAt(head, 0, bytesRead, fileSize - at);
    if (!box) return undefined;
    if (box.type === 'moov') return { type: 'moov', at, start: at + box.start, end: at + box.end };
    if (box.type === 'moof') return undefined; // fragmented: tables arrive per fragment
    at += box.end;
  }
  return undefined;
}

/** Walks container boxes down to each stbl; returns the first problem found. */
function checkContainer(buf: Buffer, from: number, to: number, fileSize: number, base: number): string | undefined {
  let at = from;
  const children: Box[] = [];
  while (at + 8 <= to) {
    const box = boxAt(buf, at, to);
    if (!box || box.end > to) return `a ${box?.type ?? 'box'} at byte offset ${base + at} runs past its parent`;
    children.push(box);
    at = box.end;
  }
  for (const box of children) {
    if (box.type === 'stbl') {
      const problem = checkSampleTable(buf, box, fileSize, base);
      if (problem) return problem;
    } else if (CONTAINERS.has(box.type)) {
      const problem = checkContainer(buf, box.start, box.end, fileSize, base);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** Checks one stbl's counts against each other and against their boxes. */
function checkSampleTable(buf: Buffer, stbl: Box, fileSize: number, base: number): string | undefined {
  const boxes = new Map<string, Box>();
  for (let at = stbl.start; at + 8 <= stbl.end; ) {
    const box = boxAt(buf, at, stbl.end);
    if (!box || box.end > stbl.end) return `a box at byte offset ${base + at} runs past its stbl`;
    boxes.set(box.type, box);
    at = box.end;
  }
  const where = (b: Box): string => `${b.type} at byte offset ${base + b.at}`;
  /** entry_count after version/flags, checked to fit the box with `entrySize` bytes per entry. */
  const entries = (b: Box, entrySize: number, countAt = 4): number | string => {
    if (b.start + countAt + 4 > b.end) return `${where(b)} is too short`;
    const count = buf.readUInt32BE(b.start + countAt);
    if (count * entrySize > b.end - b.start - countAt - 4) return `${where(b)} declares ${count} entries, more than its ${b.end - b.start} bytes hold`;
    return count;
  };
  let samples: number | undefined;
  const stsz = boxes.get('stsz');
  if (stsz) {
    if (stsz.start + 12 > stsz.end) return `${where(stsz)} is too short`;
    const size = buf.readUInt32BE(stsz.start + 4);
    samples = buf.readUInt32BE(stsz.start + 8);
    if (size === 0 && samples * 4 > stsz.end - stsz.start - 12) return `${where(stsz)} lists ${samples} sample sizes, more than its ${stsz.end - stsz.start} bytes hold`;
    if (size > 0 && samples * size > fileSize) return `${where(stsz)} declares ${samples} samples of ${size} bytes, more than the file holds`;
  }
  for (const [type, entrySize] of [['stsc', 12], ['stco', 4], ['co64', 8], ['stss', 4]] as const) {
    const b = boxes.get(type);
    if (!b) continue;
    const n = entries(b, entrySize);
    if (typeof n === 'string') return n;
  }
  // stsc: runs of chunks (first_chunk, samples_per_chunk, sample_description_index); the runs
  // before the last one must not hold more samples than there are, nor go backwards.
  const stsc = boxes.get('stsc');
  if (stsc && samples !== undefined) {
    const n = entries(stsc, 12);
    if (typeof n === 'string') return n;
    let before = 0;
    let prevFirst = 0;
    for (let i = 0; i < n; i++) {
      const at = stsc.start + 8 + i * 12;
      const firstChunk = buf.readUInt32BE(at);
      const perChunk = buf.readUInt32BE(at + 4);
      if (firstChunk <= prevFirst || perChunk > samples) return `${where(stsc)} entry ${i} (first chunk ${firstChunk}, ${perChunk} samples per chunk) does not fit ${samples} samples`;
      if (i > 0) before += (firstChunk - prevFirst) * buf.readUInt32BE(at - 12 + 4);
      if (before > samples) return `${where(stsc)} places ${before} samples before entry ${i}, stsz holds ${samples}`;
      prevFirst = firstChunk;
    }
  }
  // stts and ctts: (sample_count, delta/offset) pairs whose counts add up to the samples.
  for (const type of ['stts', 'ctts'] as const) {
    const b = boxes.get(type);
    if (!b) continue;
    const n = entries(b, 8);
    if (typeof n === 'string') return n;
    let total = 0;
    for (let i = 0; i < n; i++) total += buf.readUInt32BE(b.start + 8 + i * 8);
    if (samples !== undefined && total > samples) return `${where(b)} describes ${total} samples, stsz holds ${samples}`;
    if (samples === undefined && total > fileSize) return `${where(b)} describes ${total} samples, more than the file could hold`;
  }
  return undefined;
}
