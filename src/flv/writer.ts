/**
 * Pure FLV encoders. A tag is returned as three buffers (header, payload,
 * PreviousTagSize) so that the payload, which is the RTMP message body, is
 * written as-is and never copied; the I/O layer decides how to batch them.
 */
import type { MediaPacket } from '../media/packet.js';
import { type FlvHeaderFlags, encodeFlvFileHeader, FLV_HEADER_SIZE } from './header.js';
import { FLV_TAG_HEADER_SIZE, encodeFlvTagHeader, encodePreviousTagSize, writeFlvTagHeader } from './tag.js';

/** Length of `encodeFlvHeader()`'s output: the 9-byte header and PreviousTagSize0. */
export const FLV_FILE_PREAMBLE_SIZE = FLV_HEADER_SIZE + 4;

/** Bytes a tag adds around its payload: the 11-byte header and the 4-byte PreviousTagSize. */
export const FLV_TAG_OVERHEAD = FLV_TAG_HEADER_SIZE + 4;

/** The start of every FLV file: the 9-byte header followed by PreviousTagSize0 (0). */
export function encodeFlvHeader(flags: FlvHeaderFlags): Buffer {
  const out = Buffer.alloc(FLV_FILE_PREAMBLE_SIZE);
  encodeFlvFileHeader(flags).copy(out, 0);
  return out;
}

/**
 * Encodes one tag as `[header, payload, previousTagSize]`. The payload is
 * the packet's own buffer, untouched. The timestamp is written as 32 bits
 * (lower 24 bits plus the extended byte); values outside [0, 2^32) are
 * reduced modulo 2^32. Throws LimitError for payloads over 16 MiB - 1.
 */
export function encodeFlvTag(packet: MediaPacket): [Buffer, Buffer, Buffer] {
  const header = encodeFlvTagHeader(packet.type, packet.payload.length, packet.timestamp);
  return [header, packet.payload, encodePreviousTagSize(packet.payload.length)];
}

/**
 * Writes a whole tag (header, a copy of the payload, PreviousTagSize) into
 * `target` at `at` and returns the offset after it. For batching small
 * tags into one buffer; the caller guarantees `FLV_TAG_OVERHEAD + payload`
 * bytes of room.
 */
export function writeFlvTagInto(target: Buffer, at: number, packet: MediaPacket): number {
  const size = packet.payload.length;
  writeFlvTagHeader(target, at, packet.type, size, packet.timestamp);
  let pos = at + FLV_TAG_HEADER_SIZE;
  pos += packet.payload.copy(target, pos);
  target.writeUInt32BE(FLV_TAG_HEADER_SIZE + size, pos);
  return pos + 4;
}
