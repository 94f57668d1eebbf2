/**
 * `rtmp probe <url|file.flv>`: is the ingest up, what is this stream, is it
 * healthy. Collects a report (pipeline/probe*.ts), then renders it as text on
 * stdout or prints it as one JSON document; diagnostics go to stderr. A
 * failed probe still shows what it learned before the error line.
 */
import type { Command } from 'commander';
import { CheckFailedError, UsageError, isRtmpError } from '../errors.js';
import { probeFile } from '../pipeline/probe.js';
import { EXPECT_KINDS, evaluateExpectations, parseExpectations } from '../pipeline/probe-checks.js';
import { probeNetwork } from '../pipeline/probe-network.js';
import type { ProbeOutcome, ProbeReport } from '../pipeline/probe-report.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { addCommonOptions, parseDuration, setupCommon, type CommonRaw } from './options.js';
import { PLAIN_COLORS, renderProbeReport, type ReportColors } from './probe-render.js';
import type { Reporter } from './ui.js';
import type { RunContext } from './main.js';

interface ProbeRaw extends CommonRaw {
  duration: string;
  json?: boolean;
  publish?: boolean;
  expect?: string[];
  gapThreshold: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** A URL has a scheme; anything else is a file path. */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

export function registerProbe(program: Command, ctx: RunContext): void {
  const cmd = program
    .command('probe')
    .description('report on an RTMP server and stream (steps, server, media, health), or on a media file')
    .argument('<target>', 'rtmp://host[:port]/app[/instance]/stream, or an FLV, MP4, MOV, MKV or WebM file (- for FLV on stdin)')
    .option('--duration <duration>', 'media time to measure, e.g. 5s; 0 = until the stream or file ends', '5s')
    .option('--json', 'print the report as one JSON document on stdout (schema rtmp-toolkit/probe@1)')
    .option('--publish', "check that the server accepts a publish on the URL's stream key, then unpublish without sending media")
    .option('--expect <check>', 'a check for CI, repeatable or comma-separated; exit 8 when one fails (see below)', collect)
    .option('--gap-threshold <duration>', 'a timestamp step within a track longer than this is a gap', '1s');
  addCommonOptions(cmd)
    .addHelpText('after', `\nChecks (--expect):\n${EXPECT_KINDS.map(([k, d]) => `  ${k.padEnd(34)}${d}`).join('\n')}\n`)
    .action((target: string, raw: ProbeRaw) =>
      ctx.run({ quiet: (raw.quiet ?? false) || (raw.json ?? false), verbose: raw.verbose ?? false }, (rep) => probeCommand(target, raw, rep, ctx)),
    );
}

async function probeCommand(target: string, raw: ProbeRaw, reporter: Reporter, ctx: RunContext): Promise<number> {
  const durationMs = parseDuration(raw.duration, '--duration');
  const gapThresholdMs = parseDuration(raw.gapThreshold, '--gap-threshold');
  if (gapThresholdMs <= 0) throw new UsageError('--gap-threshold must be greater than zero');
  const expectations = parseExpectations(raw.expect ?? []);
  const analyzer = { gapThresholdMs };
  let outcome: ProbeOutcome;
  if (URL_LIKE.test(target)) {
    const { url, shownUrl, client } = setupCommon(target, raw, reporter);
    if (raw.publish && expectations.length > 0) throw new UsageError('--expect checks measure media, and --publish sends and receives none');
    outcome = await probeNetwork({
      mode: raw.publish ? 'publish' : 'play',
      url,
      shownUrl,
      client,
      durationMs,
      analyzer,
      signal: ctx.signal,
      onStep: (text) => reporter.step(text),
    });
  } else {
    if (raw.publish) throw new UsageError(`--publish needs an rtmp:// URL, not the file '${target}'`);
    reporter.step(`reading ${target === '-' ? 'stdin' : target}`);
    outcome = await probeFile(target, { durationMs, analyzer, signal: ctx.signal });
  }
  reporter.stepDone();
  const { report } = outcome;
  report.checks = evaluateExpectations(expectations, report);
  const failure = outcome.error ?? checkFailure(report);
  if (failure !== undefined) setError(report, failure);

  if (raw.json) {
    process.stdout.write(`${reporter.redact(JSON.stringify(report, null, 2))}\n`);
  } else if (!reporter.quiet) {
    process.stdout.write(reporter.redact(renderProbeReport(report, await stdoutColors())));
  }
  if (failure !== undefined) throw failure;
  return ExitCode.Ok;
}

/** A CheckFailedError listing every failed check with its reason, or undefined when all held. */
function checkFailure(report: ProbeReport): CheckFailedError | undefined {
  const failed = report.checks.filter((c) => !c.ok);
  if (failed.length === 0) return undefined;
  const list = failed.map((c) => `${c.expect} (${c.message})`).join('; ');
  return new CheckFailedError(
    failed.map((c) => c.expect),
    `${failed.length} of ${report.checks.length} check${report.checks.length === 1 ? '' : 's'} failed: ${list}`,
  );
}

/** Fills the report's error field, with the exit code the one error boundary will use. */
function setError(report: ProbeReport, e: unknown): void {
  const step = report.error?.step ?? null;
  if (isRtmpError(e)) report.error = { code: e.code, message: e.message, step, exitCode: exitCodeFor(e.code) };
  else report.error = { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), step, exitCode: ExitCode.Internal };
}

/** Colours for the text report: only on a terminal, and never with NO_COLOR or TERM=dumb. */
async function stdoutColors(): Promise<ReportColors> {
  if (!process.stdout.isTTY || (process.env['NO_COLOR'] ?? '') !== '' || process.env['TERM'] === 'dumb') return PLAIN_COLORS;
  const { Chalk } = await import('chalk');
  const chalk = new Chalk({ level: 1 });
  return { green: (s) => chalk.green(s), yellow: (s) => chalk.yellow(s), red: (s) => chalk.red(s), dim: (s) => chalk.dim(s), bold: (s) => chalk.bold(s) };
}
