/**
 * The command-line program: commander setup and the one error boundary.
 * This is the only place that calls process.exit and maps errors to the
 * documented exit codes (cli/exit-codes.ts).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isRtmpError } from '../errors.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { Reporter, loadAnimations, stderrIsInteractive } from './ui.js';

/** What subcommands get: the abort signal raised by SIGINT/SIGTERM and the runner. */
export interface RunContext {
  signal: AbortSignal;
  run(raw: { quiet?: boolean; verbose?: boolean; json?: boolean }, body: (reporter: Reporter) => Promise<number>): Promise<void>;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

type Register = (program: Command, ctx: RunContext) => void;

/** Each subcommand's module, in the order `--help` lists them. */
const COMMANDS: Record<string, () => Promise<Register>> = {
  publish: async () => (await import('./publish.js')).registerPublish,
  play: async () => (await import('./play.js')).registerPlay,
  probe: async () => (await import('./probe.js')).registerProbe,
  relay: async () => (await import('./relay.js')).registerRelay,
  serve: async () => (await import('./serve.js')).registerServe,
  flv: async () => (await import('./flv.js')).registerFlv,
};

/**
 * Loads only the subcommand being run (its modules are most of the
 * start-up time); help, version and unknown commands load them all so
 * listings and suggestions stay complete.
 */
async function loadCommands(argv: string[]): Promise<Register[]> {
  const first = argv[0];
  if (argv.length === 1 && (first === '--version' || first === '-V')) return [];
  const one = first !== undefined ? COMMANDS[first] : undefined;
  if (one && !argv.includes('--help') && !argv.includes('-h')) return [await one()];
  return Promise.all(Object.values(COMMANDS).map((load) => load()));
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
      const reporter = new Reporter({ quiet: raw.quiet ?? false, verbose: raw.verbose ?? false, json: raw.json ?? false });
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
  for (const register of await loadCommands(argv)) register(program, ctx);
  program.addHelpText(
    'after',
    `
Exit codes:
  0 success              4 network failure      7 timeout
  1 internal error       5 protocol error       8 check failed (probe)
  2 usage error          6 refused by server    9 ffmpeg failed
  3 input/output error  10 relay incomplete    11 FLV needs repair
 12 authentication failed                     130 interrupted
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
    const exitCode = exitCodeFor(e.code);
    reporter.event('error', { code: e.code, exitCode, message: e.message });
    return exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  reporter.error(`internal error: ${err.message} (please report this; run with --verbose for details)`);
  if (reporter.verbose && err.stack) reporter.debug(err.stack);
  reporter.event('error', { code: 'RTMP_ERR_INTERNAL', exitCode: ExitCode.Internal, message: err.message });
  return ExitCode.Internal;
}
