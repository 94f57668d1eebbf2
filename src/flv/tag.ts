/**
 * The 11-byte FLV tag header (Adobe FLV spec v10, annex E.4.1):
 *
 *   byte 0      UB[2] reserved, UB[1] Filter, UB[5] TagType (8 audio, 9 video, 18 script data)
 *   bytes 1-3   UI24  DataSize: body length, not counting these 11 bytes
 *   bytes 4-6   UI24  Timestamp: lower 24 bits of the time in milliseconds
 *   byte 7      UI8   TimestampExtended: upper 8 bits of the time
 *   bytes 8-10  UI24  StreamID: always 0
 *
 * Each tag is followed by a UI32 PreviousTagSize equal to 11 + DataSize.
 */
import { FlvFormatError, LimitError } from '../errors.js';
import { ts32 } from '../media/timestamp.js';

/** Size of a tag header. */
export const FLV_TAG_HEADER_SIZE = 11;

/** Largest body a 24-bit DataSize can describe. */
export const FLV_MAX_DATA_SIZE = 0xffffff;

/** The Filter bit: the body is encrypted or otherwise needs pre-processing (annex F). */
export const FLV_TAG_FILTER_BIT = 0x20;

/** A parsed tag header. `type` is the raw 5-bit TagType, known or not. */
export interface FlvTagHeader {
  type: number;
  dataSize: number;
  /** Unsigned 32-bit milliseconds: Timestamp | TimestampExtended << 24. */
  timestamp: number;
  streamId: number;
}

/**
 * Writes a tag header into `target` at `at` (the caller guarantees 11 bytes
 * of room). The timestamp is reduced modulo 2^32 and split into its lower
 * 24 bits and the extended upper byte. Throws LimitError if `dataSize` does
 * not fit the 24-bit field.
 */
export function writeFlvTagHeader(target: Buffer, at: number, type: number, dataSize: number, timestamp: number): void {
  if (dataSize > FLV_MAX_DATA_SIZE) throw new LimitError('maxFlvTagSize', dataSize, FLV_MAX_DATA_SIZE, 'FLV tag body');
  const ts = ts32(timestamp);
  target[at] = type & 0x1f;
  target.writeUIntBE(dataSize, at + 1, 3);
  target.writeUIntBE(ts & 0xffffff, at + 4, 3);
  target[at + 7] = ts >>> 24;
  target[at + 8] = 0;
  target[at + 9] = 0;
  target[at + 10] = 0;
}

/** Encodes a tag header as a new 11-byte buffer. */
export function encodeFlvTagHeader(type: number, dataSize: number, timestamp: number): Buffer {
  const out = Buffer.allocUnsafe(FLV_TAG_HEADER_SIZE);
  writeFlvTagHeader(out, 0, type, dataSize, timestamp);
  return out;
}

/**
 * Parses the 11 bytes at the start of `buf`. `fileOffset` is where the tag
 * starts in the file, used only for error messages. Filtered (encrypted)
 * tags are refused: their body is not the media the rest of the toolkit
 * expects. The two reserved bits are ignored, as ffmpeg does.
 */
export function parseFlvTagHeader(buf: Buffer, fileOffset = 0): FlvTagHeader {
  if (buf.length < FLV_TAG_HEADER_SIZE) {
    throw new FlvFormatError(`truncated tag header: ${buf.length} of ${FLV_TAG_HEADER_SIZE} bytes`, fileOffset);
  }
  const b0 = buf[0]!;
  if (b0 & FLV_TAG_FILTER_BIT) {
    throw new FlvFormatError('encrypted/filtered tags are not supported', fileOffset);
  }
  const low = buf.readUIntBE(4, 3);
  const high = buf[7]!;
  return {
    type: b0 & 0x1f,
    dataSize: buf.readUIntBE(1, 3),
    timestamp: (high * 0x100_0000 + low) >>> 0,
    streamId: buf.readUIntBE(8, 3),
  };
}

/** Encodes a PreviousTagSize back-pointer for a body of `dataSize` bytes. */
export function encodePreviousTagSize(dataSize: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(FLV_TAG_HEADER_SIZE + dataSize, 0);
  return out;
}
