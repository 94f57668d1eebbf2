/**
 * Script data (tag type 18) helpers for onMetaData.
 *
 * A script data body is AMF0: a method name string followed by its
 * arguments. In a file, metadata is `'onMetaData', {...}`. When publishing
 * over RTMP, clients wrap it as `'@setDataFrame', 'onMetaData', {...}` so
 * the server stores it and replays it as plain `'onMetaData', {...}` to
 * players; these helpers add and remove that wrapper without re-encoding.
 */
import type { AmfObject, AmfValue } from '../amf/value.js';
import { amfShortRead, ecmaArray, setOwn } from '../amf/value.js';
import { Amf0Decoder, encodeAmf0, measureAmf0 } from '../amf/amf0.js';
import { ByteReader } from '../bytes/byte-reader.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { FLV_MAX_DATA_SIZE } from './tag.js';

const AMF0_NUMBER = 0x00;
const AMF0_STRING = 0x02;
const AMF0_OBJECT = 0x03;
const AMF0_ECMA_ARRAY = 0x08;

/** AMF0 string marker, UI16 length, UTF-8 bytes. */
function amf0String(s: string): Buffer {
  const text = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(3 + text.length);
  out[0] = AMF0_STRING;
  out.writeUInt16BE(text.length, 1);
  text.copy(out, 3);
  return out;
}

/** The AMF0 encoding of the string '@setDataFrame' (16 bytes). */
export const SET_DATA_FRAME_PREFIX: Buffer = amf0String('@setDataFrame');

/** The method name used for file and stream metadata. */
export const ON_METADATA = 'onMetaData';

/** Reads an AMF0 short string at `at`; undefined if there is none. */
function readAmf0String(buf: Buffer, at: number): { value: string; end: number } | undefined {
  if (buf.length < at + 3 || buf[at] !== AMF0_STRING) return undefined;
  const len = buf.readUInt16BE(at + 1);
  const end = at + 3 + len;
  if (end > buf.length) return undefined;
  return { value: buf.toString('utf8', at + 3, end), end };
}

function hasSetDataFrame(payload: Buffer): boolean {
  return payload.length >= SET_DATA_FRAME_PREFIX.length && payload.subarray(0, SET_DATA_FRAME_PREFIX.length).equals(SET_DATA_FRAME_PREFIX);
}

/**
 * The method name of a script data body without decoding the arguments
 * (skipping a leading '@setDataFrame'), or undefined if it does not start
 * with an AMF0 string. Cheap enough to call on every data packet.
 */
export function peekScriptDataName(payload: Buffer): string | undefined {
  const first = readAmf0String(payload, 0);
  if (!first) return undefined;
  if (first.value !== '@setDataFrame') return first.value;
  return readAmf0String(payload, first.end)?.value ?? first.value;
}

/**
 * Decodes a script data body into its name and first argument, looking
 * through a leading '@setDataFrame'. Returns undefined for anything that is
 * not AMF0 starting with a string; never throws on garbage.
 */
export function parseScriptData(payload: Buffer): { name: string; value: AmfValue } | undefined {
  let head = readAmf0String(payload, 0);
  if (!head) return undefined;
  if (head.value === '@setDataFrame') head = readAmf0String(payload, head.end) ?? head;
  try {
    const d = new Amf0Decoder(new ByteReader(payload, amfShortRead, head.end));
    return { name: head.value, value: d.done ? undefined : d.readValue() };
  } catch {
    return undefined;
  }
}

/**
 * Removes a leading '@setDataFrame' (as when writing an RTMP-published
 * stream to a file). Returns a view of the same memory, or the payload
 * itself when there is nothing to strip.
 */
export function stripSetDataFrame(payload: Buffer): Buffer {
  return hasSetDataFrame(payload) ? payload.subarray(SET_DATA_FRAME_PREFIX.length) : payload;
}

/** Prefixes '@setDataFrame' (for publishing metadata over RTMP) unless it is already there. */
export function addSetDataFrame(payload: Buffer): Buffer {
  return hasSetDataFrame(payload) ? payload : Buffer.concat([SET_DATA_FRAME_PREFIX, payload]);
}

/** An onMetaData body for a file, with the positions of the fields a writer patches at the end. */
export interface FileMetadata {
  payload: Buffer;
  /** Offset in `payload` of the 8-byte big-endian double holding `duration` (seconds). */
  durationOffset: number;
  /** Offset in `payload` of the 8-byte big-endian double holding `filesize` (bytes). */
  filesizeOffset: number;
}

function finiteNumber(v: AmfValue | undefined): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** One ECMA array entry `name: number` (UI16 length, UTF-8 name, number marker, double). */
function numberEntry(name: string, value: number): Buffer {
  const key = Buffer.from(name, 'utf8');
  const out = Buffer.allocUnsafe(2 + key.length + 1 + 8);
  out.writeUInt16BE(key.length, 0);
  key.copy(out, 2);
  out[2 + key.length] = AMF0_NUMBER;
  out.writeDoubleBE(value, 3 + key.length);
  return out;
}

/**
 * Encodes `'onMetaData', ECMA array` for the start of a file. `duration` and
 * `filesize` are always present, written first (as ffmpeg writes duration
 * first) with the given numeric values or 0, and their double offsets are
 * reported so the file can be patched in place once the totals are known.
 * Every other property of `meta` follows unchanged, except those a peer can
 * send but a file should not hold — AMF3 byte arrays, cycles, empty names, or
 * containers shared through references that would expand past the 16 MiB tag
 * body or past what a reader with default limits accepts (`maxAmfCollection`
 * complex values) — which are dropped, measured before anything is encoded.
 */
export function buildMetadataForFile(meta: AmfObject | undefined): FileMetadata {
  const rest: AmfObject = {};
  // Room left after the name, array head, the two numbers and the end marker, and the array itself.
  const room = { bytes: FLV_MAX_DATA_SIZE - 64, containers: DEFAULT_LIMITS.maxAmfCollection - 1 };
  for (const [k, v] of Object.entries(meta ?? {})) {
    const keyBytes = Buffer.byteLength(k, 'utf8');
    if (k === 'duration' || k === 'filesize' || k === '' || keyBytes > 0xffff) continue;
    const size = measureAmf0(v, { bytes: room.bytes - 2 - keyBytes, containers: room.containers });
    if (size === undefined) continue;
    room.bytes -= 2 + keyBytes + size.bytes;
    room.containers -= size.containers;
    setOwn(rest, k, v);
  }
  // Encode the other properties with the AMF module, then keep only their entries
  // (and the end marker) so the two patchable fields can sit at known offsets.
  const encoded = encodeAmf0(ecmaArray(rest));
  let entries: Buffer;
  if (encoded[0] === AMF0_ECMA_ARRAY) entries = encoded.subarray(5);
  else if (encoded[0] === AMF0_OBJECT) entries = encoded.subarray(1);
  else throw new Error(`buildMetadataForFile: unexpected AMF0 marker ${String(encoded[0])} for an ECMA array`);

  const name = amf0String(ON_METADATA);
  const arrayHead = Buffer.allocUnsafe(5);
  arrayHead[0] = AMF0_ECMA_ARRAY;
  arrayHead.writeUInt32BE(Object.keys(rest).length + 2, 1);
  const duration = numberEntry('duration', finiteNumber(meta?.['duration']));
  const filesize = numberEntry('filesize', finiteNumber(meta?.['filesize']));

  const durationOffset = name.length + arrayHead.length + duration.length - 8;
  const filesizeOffset = name.length + arrayHead.length + duration.length + filesize.length - 8;
  const payload = Buffer.concat([name, arrayHead, duration, filesize, entries]);
  return { payload, durationOffset, filesizeOffset };
}
