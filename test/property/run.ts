/**
 * Runs named properties as node:test cases with the seed from FC_SEED
 * (default 42) and each property's small run count, so `npm test` stays fast
 * and a failure is reproducible from the printed seed and path.
 */
import { it } from 'node:test';
import fc from 'fast-check';
import { RUNS_SCALE, SEED, type NamedProperty } from './harness.js';

/** One `it()` per property. */
export function runProperties(list: NamedProperty[]): void {
  for (const p of list) {
    const numRuns = Math.max(1, Math.round(p.runs * RUNS_SCALE));
    it(`${p.name} (${numRuns} runs, seed ${SEED})`, () => {
      fc.assert(p.make(), { seed: SEED, numRuns, includeErrorInReport: true });
    });
  }
}
