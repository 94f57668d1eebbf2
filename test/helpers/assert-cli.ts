/**
 * The promise every failing command makes: exactly one line on stderr,
 * starting `error: `, saying what went wrong — no stack trace without
 * --verbose and no secret.
 */
import assert from 'node:assert/strict';

/** Checks `stderr` is one error line matching `re` (when given) and holding none of `secrets`; returns the line. */
export function assertOneErrorLine(stderr: string, re?: RegExp, secrets: readonly string[] = []): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${stderr}`);
  const line = lines[0]!;
  assert.match(line, /^error: /);
  if (re) assert.match(line, re);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace without --verbose');
  for (const s of secrets) assert.ok(!stderr.includes(s), 'a secret was printed');
  return line;
}
