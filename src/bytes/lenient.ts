import { ByteReader } from './byte-reader.js';

/** Thrown only inside `readLeniently` to unwind a read that ran past the end. */
class ShortInput extends Error {}
const shortInput = (): Error => new ShortInput('short input');

/**
 * Runs a parser over `data` and returns undefined, instead of throwing, when
 * the data is too short: for peeking at headers of untrusted payloads where
 * "not enough bytes" just means "not recognised". Other errors propagate.
 */
export function readLeniently<T>(data: Buffer, parse: (r: ByteReader) => T): T | undefined {
  try {
    return parse(new ByteReader(data, shortInput));
  } catch (err) {
    if (err instanceof ShortInput) return undefined;
    throw err;
  }
}
