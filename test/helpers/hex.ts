/**
 * Test vectors as annotated hex: `//` starts a comment that runs to the end
 * of the line, whitespace is ignored, and the parts are concatenated:
 *
 *   hex('02 0007 636f6e6e656374 // string "connect"',
 *       '00 3ff0000000000000    // number 1')
 *
 * Throws on an odd digit count or a character that is not a hex digit, so
 * a typo in a vector fails loudly instead of shifting every later byte.
 */
export function hex(...parts: string[]): Buffer {
  const digits = parts
    .join('\n')
    .split('\n')
    .map((line) => {
      const c = line.indexOf('//');
      return c === -1 ? line : line.slice(0, c);
    })
    .join('')
    .replace(/\s+/g, '');
  if (!/^[0-9a-fA-F]*$/.test(digits)) throw new Error(`hex(): not a hex digit in ${JSON.stringify(digits)}`);
  if (digits.length % 2 !== 0) throw new Error(`hex(): odd number of hex digits (${digits.length})`);
  return Buffer.from(digits, 'hex');
}

/** The UTF-8 bytes of `s` as hex digits, handy for building annotated vectors. */
export function utf8hex(s: string): string {
  return Buffer.from(s, 'utf8').toString('hex');
}
