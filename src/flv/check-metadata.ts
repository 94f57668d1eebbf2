/**
 * Finds where an onMetaData body keeps its `duration` and `filesize` numbers,
 * and judges them against the measured duration and size, so a file's
 * metadata can be patched in place by overwriting just the two 8-byte
 * doubles (as a recorder does on close).
 *
 * The body is AMF0 (FLV spec v10, annex E.4.4.1): the name string, then an
 * ECMA array (marker 0x08, UI32 approximate count) or an anonymous object
 * (marker 0x03) of `UI16 length, UTF-8 name, value` entries ending with an
 * empty name and the object-end marker 0x09. Values other than the two
 * numbers are stepped over with the ordinary AMF0 decoder.
 */
import { Amf0Decoder } from '../amf/amf0.js';
import { amfShortRead } from '../amf/value.js';
import { ByteReader } from '../bytes/byte-reader.js';
import type { FlvCheckProblem } from './check.js';
import { FLV_TAG_HEADER_SIZE } from './tag.js';

const AMF0_NUMBER = 0x00;
const AMF0_STRING = 0x02;
const AMF0_OBJECT = 0x03;
const AMF0_ECMA_ARRAY = 0x08;
const AMF0_OBJECT_END = 0x09;

/** A top-level number of the metadata: its value and the offset of its double in the body. */
export interface MetadataNumber {
  value: number;
  at: number;
}

/** The patchable fields found; a field is absent when missing or not an AMF0 number. */
export interface MetadataNumbers {
  duration?: MetadataNumber;
  filesize?: MetadataNumber;
}

/** Skips an AMF0 string at the reader's position; returns it, or undefined when there is none. */
function readName(r: ByteReader): string | undefined {
  if (r.remaining < 3 || r.buf[r.offset] !== AMF0_STRING) return undefined;
  r.skip(1);
  const len = r.u16('string length');
  return r.bytes(len, 'string').toString('utf8');
}

/**
 * The positions (offsets into `body`) and values of `duration` and `filesize`
 * among the top-level properties of an onMetaData body, looking through a
 * leading '@setDataFrame'. Never throws: malformed AMF ends the search with
 * what was found before it.
 */
export function locateMetadataNumbers(body: Buffer): MetadataNumbers {
  const found: MetadataNumbers = {};
  const r = new ByteReader(body, amfShortRead);
  try {
    let name = readName(r);
    if (name === '@setDataFrame') name = readName(r);
    if (name === undefined || r.remaining < 1) return found;
    const marker = r.u8('marker');
    if (marker === AMF0_ECMA_ARRAY) r.skip(4, 'ECMA array count');
    else if (marker !== AMF0_OBJECT) return found;
    const decoder = new Amf0Decoder(r);
    while (r.remaining >= 3) {
      const keyLength = r.u16('property name length');
      if (keyLength === 0 && r.buf[r.offset] === AMF0_OBJECT_END) break;
      const key = r.bytes(keyLength, 'property name').toString('utf8');
      if ((key === 'duration' || key === 'filesize') && r.buf[r.offset] === AMF0_NUMBER && found[key] === undefined) {
        r.skip(1);
        const at = r.offset;
        found[key] = { value: r.f64('number'), at };
      } else {
        decoder.readValue();
      }
    }
  } catch {
    // Malformed or truncated AMF: keep what was found before it.
  }
  return found;
}

/** What the first onMetaData tag declares, and where its numbers sit in the file. */
export interface FlvMetadataCheck {
  /** File offset of the metadata tag's header. */
  offset: number;
  /** Declared values; null when absent or not an AMF0 number. */
  duration: number | null;
  filesize: number | null;
  /** File offsets of the 8-byte doubles, for in-place patching; null when not numbers. */
  durationOffset: number | null;
  filesizeOffset: number | null;
  durationAgrees: boolean;
  filesizeAgrees: boolean;
}

/**
 * Compares the metadata tag at `tag.offset` with the measured duration (ms)
 * and the size the file has once repaired; a missing or non-numeric field
 * and a disagreeing one are each a 'repairable' problem.
 */
export function judgeMetadata(
  tag: { offset: number; body: Buffer },
  durationMs: number,
  repairedSize: number,
  toleranceMs: number,
): { check: FlvMetadataCheck; problems: FlvCheckProblem[] } {
  const { offset, body } = tag;
  const nums = locateMetadataNumbers(body);
  const bodyAt = offset + FLV_TAG_HEADER_SIZE;
  const seconds = durationMs / 1000;
  const check: FlvMetadataCheck = {
    offset,
    duration: nums.duration?.value ?? null,
    filesize: nums.filesize?.value ?? null,
    durationOffset: nums.duration ? bodyAt + nums.duration.at : null,
    filesizeOffset: nums.filesize ? bodyAt + nums.filesize.at : null,
    durationAgrees: nums.duration !== undefined && Math.abs(nums.duration.value - seconds) * 1000 <= toleranceMs,
    filesizeAgrees: nums.filesize !== undefined && nums.filesize.value === repairedSize,
  };
  const problems: FlvCheckProblem[] = [];
  for (const [field, declared, agrees, actual] of [
    ['duration', check.duration, check.durationAgrees, `${seconds} s`],
    ['filesize', check.filesize, check.filesizeAgrees, `${repairedSize} bytes`],
  ] as const) {
    if (declared === null) {
      problems.push({ kind: 'metadata-field-missing', severity: 'repairable', offset, message: `onMetaData at byte offset ${offset} has no numeric ${field}` });
    } else if (!agrees) {
      problems.push({ kind: 'metadata-stale', severity: 'repairable', offset, message: `onMetaData ${field} is ${declared}, actually ${actual}` });
    }
  }
  return { check, problems };
}
