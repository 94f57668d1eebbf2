/** Errors of the codec configuration parsers, shared so each names its structure the same way. */
import type { ShortReadError } from '../bytes/byte-reader.js';
import type { BitReadError } from '../bytes/bit-reader.js';
import { MediaFormatError } from '../errors.js';

/** The ByteReader error for a read past the end of `structure`. */
export const shortRead =
  (structure: string): ShortReadError =>
  (field, needed, offset, available) =>
    new MediaFormatError(structure, `truncated ${field}: needed ${needed} bytes at offset ${offset}, ${available} left`);

/** The BitReader error for `structure`. */
export const bitError =
  (structure: string): BitReadError =>
  (message) =>
    new MediaFormatError(structure, message);

/** Throws unless `v` is within [0, max]: values past the spec's range mean a corrupt structure. */
export function bounded(structure: string, v: number, max: number, field: string): number {
  if (v > max) throw new MediaFormatError(structure, `${field} ${v} is out of range 0..${max}`);
  return v;
}
