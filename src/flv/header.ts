/**
 * The FLV file header (Adobe FLV spec v10, annex E.2):
 *
 *   Signature   UI8 x 3   'F' 'L' 'V'
 *   Version     UI8       1
 *   Flags       UI8       UB[5] reserved, UB[1] audio (0x04), UB[1] reserved, UB[1] video (0x01)
 *   DataOffset  UI32      size of this header; 9 for version 1, larger values leave room for
 *                         future header fields that readers skip
 *
 * The body that follows starts with PreviousTagSize0 (UI32, always 0).
 */
import { FlvFormatError } from '../errors.js';

/** Size of the version 1 header, and the smallest legal DataOffset. */
export const FLV_HEADER_SIZE = 9;

/** Size of each PreviousTagSize back-pointer. */
export const PREVIOUS_TAG_SIZE_BYTES = 4;

/** TypeFlagsAudio bit of the flags byte. */
export const FLV_FLAG_AUDIO = 0x04;

/** TypeFlagsVideo bit of the flags byte. */
export const FLV_FLAG_VIDEO = 0x01;

const SIGNATURE = [0x46, 0x4c, 0x56]; // 'F' 'L' 'V'

/** What a header says about the file. */
export interface FlvHeader {
  version: number;
  hasAudio: boolean;
  hasVideo: boolean;
  /** Offset of the body (PreviousTagSize0); at least 9. */
  dataOffset: number;
}

/** Which kinds of media the file announces. */
export interface FlvHeaderFlags {
  audio: boolean;
  video: boolean;
}

/** Encodes the 9-byte version 1 header (without PreviousTagSize0). */
export function encodeFlvFileHeader(flags: FlvHeaderFlags): Buffer {
  const out = Buffer.alloc(FLV_HEADER_SIZE);
  out[0] = SIGNATURE[0]!;
  out[1] = SIGNATURE[1]!;
  out[2] = SIGNATURE[2]!;
  out[3] = 1;
  out[4] = (flags.audio ? FLV_FLAG_AUDIO : 0) | (flags.video ? FLV_FLAG_VIDEO : 0);
  out.writeUInt32BE(FLV_HEADER_SIZE, 5);
  return out;
}

/**
 * True when `prefix` (possibly shorter than three bytes) agrees with the
 * 'FLV' signature so far. Lets an incremental reader reject non-FLV input
 * as soon as the first wrong byte arrives, and explain short input well.
 */
export function matchesFlvSignature(prefix: Buffer): boolean {
  const n = Math.min(prefix.length, SIGNATURE.length);
  for (let i = 0; i < n; i++) if (prefix[i] !== SIGNATURE[i]) return false;
  return true;
}

/**
 * Parses the first 9 bytes of a file. Throws FlvFormatError (with the byte
 * offset of the bad field) for a wrong signature, an unsupported version or
 * a DataOffset smaller than the header itself. Reserved flag bits are ignored,
 * as every known reader does.
 */
export function parseFlvFileHeader(buf: Buffer): FlvHeader {
  if (buf.length === 0) throw new FlvFormatError('the input is empty, not an FLV file', 0);
  if (!matchesFlvSignature(buf)) throw notFlv();
  if (buf.length < FLV_HEADER_SIZE) {
    throw new FlvFormatError(
      `input ended after ${buf.length} bytes, inside the ${FLV_HEADER_SIZE}-byte FLV header`,
      buf.length,
    );
  }
  const version = buf[3]!;
  if (version !== 1) throw new FlvFormatError(`unsupported FLV version ${version} (only version 1 exists)`, 3);
  const flags = buf[4]!;
  const dataOffset = buf.readUInt32BE(5);
  if (dataOffset < FLV_HEADER_SIZE) {
    throw new FlvFormatError(`FLV header DataOffset ${dataOffset} is smaller than the ${FLV_HEADER_SIZE}-byte header`, 5);
  }
  return {
    version,
    hasAudio: (flags & FLV_FLAG_AUDIO) !== 0,
    hasVideo: (flags & FLV_FLAG_VIDEO) !== 0,
    dataOffset,
  };
}

/** The error for input that does not start with 'FLV'. */
export function notFlv(): FlvFormatError {
  return new FlvFormatError("the input is not an FLV file (it does not start with the signature 'FLV')", 0);
}
