/**
 * `npm run fuzz`: the property tests of test/property, run for much longer.
 *
 *   npm run fuzz -- [--minutes N | --runs N] [--seed S] [--only PREFIX]
 *                   [--path P] [--verbose]
 *
 * With --minutes (default 2) the properties take turns in short time slices
 * until the time is up; with --runs each property gets N cases. The seed is
 * random unless given, and printed first: `--seed S` with the same options
 * replays the same cases, and `--only NAME --seed S --path P` replays one
 * failure straight to its shrunk counterexample. Exit code 1 if any property failed.
 */
import fc from 'fast-check';
import { properties, type NamedProperty } from '../property/properties.js';

interface Options {
  minutes: number | undefined;
  runs: number | undefined;
  seed: number;
  only: string | undefined;
  path: string | undefined;
  verbose: boolean;
}

function usage(message: string): never {
  process.stderr.write(`fuzz: ${message}\nusage: npm run fuzz -- [--minutes N | --runs N] [--seed S] [--only PREFIX] [--path P] [--verbose]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { minutes: undefined, runs: undefined, seed: Math.floor(Math.random() * 0x7fffffff), only: undefined, path: undefined, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const num = (): number => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) usage(`${a} needs a non-negative number`);
      return v;
    };
    if (a === '--minutes') opts.minutes = num();
    else if (a === '--runs') opts.runs = Math.floor(num());
    else if (a === '--seed') opts.seed = Math.floor(num());
    else if (a === '--only') opts.only = value();
    else if (a === '--path') opts.path = value();
    else if (a === '--verbose') opts.verbose = true;
    else if (a === '--help' || a === '-h') usage('help');
    else usage(`unknown option ${a}`);
  }
  if (opts.minutes !== undefined && opts.runs !== undefined) usage('give --minutes or --runs, not both');
  if (opts.minutes === undefined && opts.runs === undefined) opts.minutes = 2;
  return opts;
}

/** What one property did over the whole fuzz session. */
interface Tally {
  prop: NamedProperty;
  cases: number;
  ms: number;
  failure: string | undefined;
}

/** Runs one batch; returns the cases tried and a report of the failure, if any. */
function batch(t: Tally, seed: number, numRuns: number, timeMs: number | undefined, path: string | undefined): void {
  const t0 = performance.now();
  const details = fc.check(t.prop.make(), {
    seed,
    numRuns,
    ...(path !== undefined ? { path } : {}),
    ...(timeMs !== undefined ? { plugins: [fc.interruptAfterTimeLimit(timeMs)] } : {}),
    includeErrorInReport: true,
  });
  t.ms += performance.now() - t0;
  t.cases += details.numRuns;
  if (details.failed) {
    const err = details.errorInstance;
    const message = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
    const example = details.counterexample === null ? '(none)' : fc.stringify(details.counterexample);
    t.failure = [
      `property ${t.prop.name} failed after ${details.numRuns} cases`,
      `  seed ${details.seed}, path ${details.counterexamplePath ?? '(none)'}`,
      `  replay: npm run fuzz -- --only ${t.prop.name} --seed ${details.seed} --path ${details.counterexamplePath ?? ''} --runs 1`,
      `  error: ${message}`,
      `  counterexample (shrunk ${details.numShrinks} times): ${example.length > 2000 ? `${example.slice(0, 2000)}...` : example}`,
    ].join('\n');
  }
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  // An exact name selects that property alone (so a replay runs only the failing one); otherwise a prefix.
  const exact = properties.filter((p) => p.name === opts.only);
  const selected = exact.length > 0 ? exact : properties.filter((p) => opts.only === undefined || p.name.startsWith(opts.only));
  if (selected.length === 0) usage(`no property matches ${opts.only}`);
  const tallies: Tally[] = selected.map((prop) => ({ prop, cases: 0, ms: 0, failure: undefined }));
  const mode = opts.runs !== undefined ? `${opts.runs} runs per property` : `${opts.minutes} minute(s)`;
  process.stdout.write(`fuzz: seed ${opts.seed}, ${selected.length} properties, ${mode}\n`);
  const started = performance.now();

  if (opts.runs !== undefined) {
    for (const [i, t] of tallies.entries()) {
      batch(t, opts.seed + i, opts.runs, undefined, opts.path);
      if (opts.verbose) process.stdout.write(`  ${t.prop.name}: ${t.cases} cases\n`);
    }
  } else {
    // Round robin in slices, each slice with its own seed derived from the session seed.
    const deadline = started + opts.minutes! * 60_000;
    const sliceMs = Math.max(200, Math.min(5000, (opts.minutes! * 60_000) / (tallies.length * 4)));
    for (let round = 0; performance.now() < deadline; round++) {
      const live = tallies.filter((t) => t.failure === undefined);
      if (live.length === 0) break;
      for (const t of live) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        batch(t, (opts.seed + round * 7919 + tallies.indexOf(t)) | 0, 1_000_000_000, Math.min(sliceMs, left), undefined);
        if (t.failure) process.stdout.write(`\n${t.failure}\n\n`);
      }
      if (opts.verbose) process.stdout.write(`  round ${round}: ${tallies.reduce((n, t) => n + t.cases, 0)} cases\n`);
    }
  }

  const seconds = (performance.now() - started) / 1000;
  const total = tallies.reduce((n, t) => n + t.cases, 0);
  const width = Math.max(...tallies.map((t) => t.prop.name.length));
  process.stdout.write(`\n${'property'.padEnd(width)}  ${'cases'.padStart(10)}  ${'seconds'.padStart(8)}  result\n`);
  for (const t of tallies) {
    process.stdout.write(
      `${t.prop.name.padEnd(width)}  ${String(t.cases).padStart(10)}  ${(t.ms / 1000).toFixed(1).padStart(8)}  ${t.failure ? 'FAILED' : 'ok'}\n`,
    );
  }
  const failed = tallies.filter((t) => t.failure !== undefined);
  process.stdout.write(`${'total'.padEnd(width)}  ${String(total).padStart(10)}  ${seconds.toFixed(1).padStart(8)}  ${failed.length} failed (seed ${opts.seed})\n`);
  for (const t of failed) process.stdout.write(`\n${t.failure}\n`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

main();
