/**
 * The I/O shell of `rtmp flv check` and `rtmp flv fix`: streams a file
 * through the pure FlvChecker (flv/check.ts), and repairs what it found.
 *
 * Repairs in place are as small as the recorder's own finalization: an
 * ftruncate at the end of the last whole tag, the 4-byte PreviousTagSize
 * written there, and positioned writes of the onMetaData duration and
 * filesize doubles. Nothing else in the file changes. When the metadata has
 * no such numbers to overwrite, only a rewritten copy can carry them.
 */
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { IoError, isRtmpError } from '../errors.js';
import { FlvChecker, type FlvCheckOptions, type FlvCheckResult } from '../flv/check.js';
import { FlvFileSink } from './flv-file-sink.js';
import { describeIoError, FLV_READ_CHUNK, readFlvStream } from './flv-file-source.js';

/** Checks a file without loading it whole. Throws IoError or FlvFormatError (not an FLV at all). */
export async function checkFlvFile(file: string, opts: FlvCheckOptions = {}): Promise<FlvCheckResult> {
  const st = await stat(file).catch((err: unknown) => {
    throw describeIoError('open', file, err);
  });
  if (st.isDirectory()) throw new IoError(`cannot read '${file}': is a directory`);
  const checker = new FlvChecker(opts);
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: FLV_READ_CHUNK })) {
      checker.push(chunk as Buffer);
    }
  } catch (err) {
    if (isRtmpError(err)) throw err;
    throw describeIoError('read', file, err);
  }
  return checker.end();
}

/** Options for fixFlvFile. */
export interface FlvFixOptions extends FlvCheckOptions {
  /** Write a repaired copy here instead of repairing in place. */
  output?: string;
  /** Replace an existing `output`. */
  force?: boolean;
}

/** What fixFlvFile did. */
export type FlvFixOutcome =
  /** Nothing to repair. */
  | { action: 'none'; before: FlvCheckResult }
  /** Repaired in place: bytes cut from the tail, whether the metadata was patched. */
  | { action: 'in-place'; before: FlvCheckResult; truncatedBytes: number; patchedMetadata: boolean }
  /** A repaired copy was written to `output`. */
  | { action: 'copy'; before: FlvCheckResult; output: string; bytes: number; durationMs: number }
  /** Not repaired: the structure is broken mid-file. */
  | { action: 'refused-damaged'; before: FlvCheckResult }
  /** Not repaired: the metadata lacks numeric duration/filesize (or is missing) and no output was given. */
  | { action: 'needs-output'; before: FlvCheckResult };

/** True when the metadata numbers cannot be patched in place. */
export function needsRewrite(r: FlvCheckResult): boolean {
  return r.metadata === null || r.metadata.durationOffset === null || r.metadata.filesizeOffset === null;
}

/**
 * Repairs `file`: in place when possible (or always to `output` when given).
 * A damaged file is never modified. Throws IoError on I/O failure or when
 * `output` exists without `force`.
 */
export async function fixFlvFile(file: string, opts: FlvFixOptions = {}): Promise<FlvFixOutcome> {
  if (opts.output !== undefined && path.resolve(opts.output) === path.resolve(file)) {
    throw new IoError(`the output '${opts.output}' is the input; leave out -o to repair in place`);
  }
  const before = await checkFlvFile(file, opts);
  if (before.state === 'damaged') return { action: 'refused-damaged', before };
  if (opts.output !== undefined) return writeRepairedCopy(file, opts.output, opts.force ?? false, before);
  if (before.state === 'ok') return { action: 'none', before };
  if (needsRewrite(before)) return { action: 'needs-output', before };
  return repairInPlace(file, before);
}

async function repairInPlace(file: string, before: FlvCheckResult): Promise<FlvFixOutcome> {
  const { tail, metadata } = before;
  let handle: FileHandle;
  try {
    handle = await open(file, 'r+');
  } catch (err) {
    throw describeIoError('open', file, err);
  }
  let truncatedBytes = 0;
  let patchedMetadata = false;
  try {
    if (tail.partial) {
      // Cut at the end of the last whole tag, then (re)write its PreviousTagSize.
      await handle.truncate(tail.lastTagEnd);
      const pts = Buffer.allocUnsafe(4);
      pts.writeUInt32BE(tail.lastPreviousTagSize, 0);
      await handle.write(pts, 0, 4, tail.lastTagEnd);
      truncatedBytes = Math.max(0, before.size - tail.repairedSize);
    }
    if (metadata && metadata.durationOffset !== null && metadata.filesizeOffset !== null) {
      if (!metadata.durationAgrees || !metadata.filesizeAgrees) {
        await writeDouble(handle, before.durationMs / 1000, metadata.durationOffset);
        await writeDouble(handle, tail.repairedSize, metadata.filesizeOffset);
        patchedMetadata = true;
      }
    }
    await handle.sync();
  } catch (err) {
    throw describeIoError('write', file, err);
  } finally {
    await handle.close().catch(() => undefined);
  }
  return { action: 'in-place', before, truncatedBytes, patchedMetadata };
}

async function writeDouble(handle: FileHandle, value: number, at: number): Promise<void> {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleBE(value, 0);
  await handle.write(b, 0, 8, at);
}

/**
 * Streams header, rebuilt metadata and every whole tag into `output`. The
 * recorder's sink does the work: it turns the first onMetaData into one
 * metadata tag with duration and filesize, and patches both on close.
 * Only the bytes up to the last whole tag are read.
 */
async function writeRepairedCopy(file: string, output: string, force: boolean, before: FlvCheckResult): Promise<FlvFixOutcome> {
  const { hasAudio, hasVideo } = before.header;
  const sink = await FlvFileSink.open(output, { force, flags: { audio: hasAudio, video: hasVideo } });
  try {
    const stream = createReadStream(file, { start: 0, end: before.tail.lastTagEnd - 1, highWaterMark: FLV_READ_CHUNK });
    for await (const packet of readFlvStream(stream, { onWarning: () => undefined }, file)) {
      await sink.write(packet);
    }
  } catch (err) {
    await sink.close().catch(() => undefined);
    throw err;
  }
  const summary = await sink.close();
  return { action: 'copy', before, output, bytes: summary.bytes, durationMs: summary.durationMs };
}
