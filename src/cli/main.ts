/**
 * The command-line program: commander setup and the one error boundary.
 * This is the only place that calls process.exit and maps errors to the
 * documented exit codes (cli/exit-codes.ts).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isRtmpError } from '../errors.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { registerFlv } from './flv.js';
import { registerPlay } from './play.js';
import { registerProbe } from './probe.js';
import { registerPublish } from './publish.js';
import { registerRelay } from './relay.js';
import { registerServe } from './serve.js';
import { Reporter, loadAnimations, stderrIsInteractive } from './ui.js';

/** What subcommands get: the abort signal raised by SIGINT/SIGTERM and the runner. */
export interface RunContext {
  signal: AbortSignal;
  run(raw: { quiet?: boolean; verbose?: boolean }, body: (reporter: Reporter) => Promise<number>): Promise<void>;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  let exitCode: number = ExitCode.Ok;
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const ctx: RunContext = {
    signal: controller.signal,
    async run(raw, body) {
      if (stderrIsInteractive()) await loadAnimations();
      const reporter = new Reporter({ quiet: raw.quiet ?? false, verbose: raw.verbose ?? false });
      try {
        exitCode = await body(reporter);
      } catch (e) {
        exitCode = report(e, reporter);
      } finally {
        reporter.stopAll();
      }
    },
  };

  const program = new Command()
    .name('rtmp')
    .description('RTMP client toolkit: publish, play, relay and probe RTMP streams, and a small server for tests')
    .version(version(), '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride();
  registerPublish(program, ctx);
  registerPlay(program, ctx);
  registerProbe(program, ctx);
  registerRelay(program, ctx);
  registerServe(program, ctx);
  registerFlv(program, ctx);
  program.addHelpText(
    'after',
    `
Exit codes:
  0 success              4 network failure      7 timeout
  1 internal error       5 protocol error       8 check failed (probe)
  2 usage error          6 refused by server    9 ffmpeg failed
  3 input/output error  10 relay incomplete    11 FLV needs repair
                                              130 interrupted
`,
  );

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; everything else commander rejects is a usage error.
      return e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    return report(e, new Reporter());
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return exitCode;
}

/** Prints the one error line (and the stack with --verbose) and picks the exit code. */
function report(e: unknown, reporter: Reporter): number {
  if (isRtmpError(e)) {
    reporter.error(e.message);
    if (reporter.verbose && e.stack) reporter.debug(e.stack);
    return exitCodeFor(e.code);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  reporter.error(`internal error: ${err.message} (please report this; run with --verbose for details)`);
  if (reporter.verbose && err.stack) reporter.debug(err.stack);
  return ExitCode.Internal;
}
