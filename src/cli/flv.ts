/**
 * `rtmp flv check <file>` and `rtmp flv fix <file>`: is this recording whole,
 * and make it whole again after a crash or SIGKILL. The work is in
 * pipeline/flv-check.ts; this file renders the verdict and picks exit codes.
 * `rtmp flv convert <in.flv> <out>` remuxes into MP4/MOV/MKV
 * (pipeline/flv-convert.ts).
 */
import type { Command } from 'commander';
import type { FlvCheckResult, FlvCheckProblem } from '../flv/check.js';
import { IoError, UsageError } from '../errors.js';
import { checkFlvFile, fixFlvFile, type FlvFixOutcome } from '../pipeline/flv-check.js';
import { checkSinkOptions, formatOfPath, parseFormatOption } from '../pipeline/media-sink.js';
import { ExitCode } from './exit-codes.js';
import { formatBytes, formatMs, type Reporter } from './ui.js';
import type { RunContext } from './main.js';

interface CheckRaw {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

interface FixRaw {
  output?: string;
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

interface ConvertRaw {
  force?: boolean;
  json?: boolean;
  format?: string;
  fragmented?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** The `schema` of `flv check --json`. */
export const FLV_CHECK_SCHEMA = 'rtmp-toolkit/flv-check@1';

const EXIT_HELP = `
Exit codes:
  0   the file is ok (check), or was repaired or needed nothing (fix)
  3   not an FLV file, unreadable, or the -o output exists without --force
  11  check: the file needs repair (repairable) or is damaged mid-file;
      fix: the file is damaged, or its metadata can only be rebuilt with -o
`;

export function registerFlv(program: Command, ctx: RunContext): void {
  const flv = program
    .command('flv')
    .description('check and repair FLV files (e.g. a recording cut short by a crash), convert them to MP4, MOV or MKV')
    .addHelpText('after', EXIT_HELP);
  flv
    .command('check')
    .description('report on the structure of an FLV file: ok, repairable (stale metadata, partial last tag) or damaged')
    .argument('<file>', 'FLV file')
    .option('--json', `print the result as one JSON document on stdout (schema ${FLV_CHECK_SCHEMA})`)
    .option('-v, --verbose', 'stack traces on errors')
    .option('-q, --quiet', 'print nothing but the error line')
    .addHelpText('after', EXIT_HELP)
    .action((file: string, raw: CheckRaw) =>
      ctx.run({ quiet: (raw.quiet ?? false) || (raw.json ?? false), verbose: raw.verbose ?? false }, (rep) => checkCommand(file, raw, rep)),
    );
  flv
    .command('fix')
    .description('repair an FLV file in place (truncate a partial last tag, patch onMetaData duration and filesize), or write a repaired copy')
    .argument('<file>', 'FLV file')
    .option('-o, --output <file>', 'write a repaired copy (header, rebuilt metadata, every whole tag) instead of changing <file>')
    .option('-y, --force', 'overwrite the -o file if it exists')
    .option('--json', 'NDJSON events on stdout: warnings, then one done event (file, action, exitCode, ...) or an error event')
    .option('-v, --verbose', 'stack traces on errors')
    .option('-q, --quiet', 'print nothing but the error line')
    .addHelpText('after', EXIT_HELP)
    .action((file: string, raw: FixRaw) => ctx.run(raw, (rep) => fixCommand(file, raw, rep)));
  flv
    .command('convert')
    .description('remux an FLV file into MP4, MOV, Matroska or WebM (no re-encoding); MP4/MOV are finalized with the moov first')
    .argument('<input>', 'FLV file, or - for stdin')
    .argument('<output>', 'file to write: .mp4, .m4v, .mov, .mkv, .webm')
    .option('--format <name>', 'output format whatever the extension: mp4, mov, mkv, webm')
    .option('--fragmented', 'MP4/MOV: write a fragmented MP4 in one pass instead of reading the input twice for a moov-first file')
    .option('-y, --force', 'overwrite the output file if it exists')
    .option('--json', 'NDJSON events on stdout: warnings, then one done event (output, format, durationMs, video, audio, bytes) or an error event')
    .option('-v, --verbose', 'stack traces on errors')
    .option('-q, --quiet', 'print nothing but the error line')
    .addHelpText('after', CONVERT_HELP)
    .action((input: string, output: string, raw: ConvertRaw) => ctx.run(raw, (rep) => convertCommand(input, output, raw, rep, ctx)));
}

const CONVERT_HELP = `
A moov-first MP4/MOV needs its sample tables before the media: the input is
read twice (a first pass counts the packets) so memory stays small; stdin
cannot be read twice, so it needs --fragmented. Matroska is written in one pass.

MP4, MOV and MKV take H.264, HEVC, AV1, VP9, VP8 video and AAC, Opus, MP3,
AC-3, FLAC audio (legacy FLV and Enhanced RTMP); WebM takes AV1, VP9, VP8 and
Opus.
Of a multitrack stream, track 0 is written.

Exit codes:
  0   converted
  2   bad options (unknown --format, FLV as output format, stdin without
      --fragmented)
  3   the input is unreadable or not FLV, the output exists without --force,
      a codec the container cannot hold (e.g. H.264 into WebM, VP6; the error
      names codec and container), or no audio or video in the input
`;

async function convertCommand(input: string, output: string, raw: ConvertRaw, reporter: Reporter, ctx: RunContext): Promise<number> {
  const format = raw.format !== undefined ? parseFormatOption(raw.format) : formatOfPath(output);
  if (format === 'flv') throw new UsageError(`cannot tell the container from '${output}'; name it .mp4, .mov, .mkv or .webm, or pass --format`);
  checkSinkOptions(output, { format });
  const fragmented = raw.fragmented ?? false;
  if (fragmented && format !== 'mp4' && format !== 'mov') throw new UsageError(`--fragmented is for MP4 and MOV output, not ${format.toUpperCase()}`);
  const isobmff = format === 'mp4' || format === 'mov';
  if (input === '-' && isobmff && !fragmented) throw new UsageError('a moov-first MP4 reads its input twice; stdin needs --fragmented');
  const { convertFlv } = await import('../pipeline/flv-convert.js');
  const summary = await convertFlv(input, output, {
    format,
    force: raw.force ?? false,
    layout: fragmented ? 'fragmented' : 'faststart',
    signal: ctx.signal,
    onWarning: (m) => reporter.warn(m),
    onInputWarning: (m, offset) => reporter.warn(`${input}: ${m} (byte offset ${offset})`),
  });
  if (!summary.written) throw new IoError(`${input === '-' ? 'stdin' : input} holds no audio or video to convert; ${output} was not written`);
  reporter.event('done', { input, output, format, durationMs: summary.durationMs, video: summary.video, audio: summary.audio, bytes: summary.bytes });
  reporter.success(
    `wrote ${output}: ${format.toUpperCase()}, ${formatMs(summary.durationMs)}, ${summary.video} video and ${summary.audio} audio samples, ${formatBytes(summary.bytes)}`,
  );
  return ExitCode.Ok;
}

async function checkCommand(file: string, raw: CheckRaw, reporter: Reporter): Promise<number> {
  const result = await checkFlvFile(file);
  if (raw.json) process.stdout.write(`${JSON.stringify({ schema: FLV_CHECK_SCHEMA, file, ...result }, null, 2)}\n`);
  else if (!reporter.quiet) process.stdout.write(renderCheck(file, result));
  if (result.state === 'ok') return ExitCode.Ok;
  reporter.error(verdictLine(file, result));
  return ExitCode.FlvNeedsRepair;
}

async function fixCommand(file: string, raw: FixRaw, reporter: Reporter): Promise<number> {
  const opts = raw.output !== undefined ? { output: raw.output, force: raw.force ?? false } : {};
  const outcome = await fixFlvFile(file, opts);
  const { before: _before, ...details } = outcome; // the full check result is `flv check --json`'s job
  const exitCode = await reportFix(file, outcome, reporter);
  reporter.event('done', { file, ...details, exitCode });
  return exitCode;
}

/** The lines for a fix outcome, and its exit code. */
async function reportFix(file: string, outcome: FlvFixOutcome, reporter: Reporter): Promise<number> {
  const { before } = outcome;
  switch (outcome.action) {
    case 'none':
      reporter.success(`${file}: nothing to repair`);
      return ExitCode.Ok;
    case 'refused-damaged':
      reporter.error(`${file} is damaged: ${before.damage?.message ?? worst(before)?.message ?? 'broken structure'}; not modified`);
      return ExitCode.FlvNeedsRepair;
    case 'needs-output': {
      const why = before.metadata === null ? 'has no onMetaData tag' : 'has no numeric onMetaData duration/filesize to patch in place';
      reporter.error(`${file} ${why}; use -o <copy.flv> to write a repaired copy (not modified)`);
      return ExitCode.FlvNeedsRepair;
    }
    case 'in-place': {
      const after = await checkFlvFile(file);
      const done = [
        outcome.truncatedBytes > 0 ? `cut a ${formatBytes(outcome.truncatedBytes)} partial tail at byte offset ${before.tail.lastTagEnd}` : '',
        before.tail.partial && outcome.truncatedBytes <= 0 ? `wrote the last PreviousTagSize at byte offset ${before.tail.lastTagEnd}` : '',
        outcome.patchedMetadata ? `set duration ${formatMs(after.durationMs)} and filesize ${after.size} in onMetaData` : '',
      ].filter((s) => s !== '');
      if (after.state !== 'ok') {
        reporter.error(`${file} is still ${after.state} after repair: ${verdictLine(file, after)}`);
        return ExitCode.FlvNeedsRepair;
      }
      reporter.success(`repaired ${file}: ${done.join('; ')}`);
      return ExitCode.Ok;
    }
    case 'copy':
      reporter.success(
        `wrote ${outcome.output}: ${formatMs(outcome.durationMs)}, ${formatBytes(outcome.bytes)}, ${before.tags.audio + before.tags.video + before.tags.data} whole tags` +
          (before.tags.unknown > 0 ? ` (${before.tags.unknown} unknown tags left out)` : ''),
      );
      return ExitCode.Ok;
    default: {
      const never: never = outcome;
      return never;
    }
  }
}

/** The most severe problem, first in the file among equals. */
function worst(r: FlvCheckResult): FlvCheckProblem | undefined {
  return (
    r.problems.find((p) => p.severity === 'damaged') ??
    r.problems.find((p) => p.kind === 'partial-tail') ??
    r.problems.find((p) => p.severity === 'repairable')
  );
}

/** The one stderr line for a file that is not ok. */
function verdictLine(file: string, r: FlvCheckResult): string {
  const p = worst(r);
  const more = r.problems.filter((x) => x.severity !== 'warning').length - 1;
  const detail = p ? `${p.message}${p.message.includes('byte offset') ? '' : ` (byte offset ${p.offset})`}` : r.state;
  const hint = r.state === 'repairable' ? `; run 'rtmp flv fix ${file}'` : '';
  return `${file} is ${r.state}: ${detail}${more > 0 ? ` (+${more} more)` : ''}${hint}`;
}

/** The readable report on stdout. */
export function renderCheck(file: string, r: FlvCheckResult): string {
  const lines: string[] = [`${file}: ${r.state}`];
  const row = (k: string, v: string): void => {
    lines.push(`  ${k.padEnd(15)}${v}`);
  };
  const flags = [r.header.hasAudio ? 'audio' : '', r.header.hasVideo ? 'video' : ''].filter((s) => s !== '').join('+') || 'no media flags';
  row('header', `FLV 1, ${flags}, DataOffset ${r.header.dataOffset}`);
  row('size', `${r.size} bytes${r.tail.partial ? `; whole tags end at ${r.tail.lastTagEnd}` : ''}`);
  row('tags', `${r.tags.video} video, ${r.tags.audio} audio, ${r.tags.data} script data${r.tags.unknown ? `, ${r.tags.unknown} unknown (types ${r.unknownTypes.join(', ')})` : ''}`);
  const span = (t: FlvCheckResult['audio']): string => (t.firstMs === null ? 'none' : `${t.firstMs}–${t.lastMs} ms`);
  row('media', `duration ${formatMs(r.durationMs)} (video ${span(r.video)}, audio ${span(r.audio)})`);
  if (r.metadata) {
    const m = r.metadata;
    const field = (v: number | null, agrees: boolean): string => (v === null ? 'absent' : `${v}${agrees ? '' : ' (stale)'}`);
    row('onMetaData', `at ${m.offset}: duration ${field(m.duration, m.durationAgrees)}, filesize ${field(m.filesize, m.filesizeAgrees)}`);
  } else {
    row('onMetaData', 'none');
  }
  const pts = r.previousTagSize;
  row('back-pointers', pts.mismatches === 0 ? 'every PreviousTagSize agrees' : `${pts.mismatches} wrong PreviousTagSize, first at ${pts.firstOffset}`);
  row('tail', r.tail.partial ? `${r.tail.partial.what}: ${r.tail.partial.bytes} bytes at ${r.tail.partial.offset}` : 'ends after a whole tag');
  if (r.damage) row('damage', r.damage.message);
  const listed = r.problems.filter((p) => p.kind !== 'partial-tail');
  if (listed.length > 0) {
    lines.push('  problems:');
    for (const p of listed) lines.push(`    ${p.severity.padEnd(10)} ${p.message}`);
  }
  return `${lines.join('\n')}\n`;
}
