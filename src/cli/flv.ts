/**
 * `rtmp flv check <file>` and `rtmp flv fix <file>`: is this recording whole,
 * and make it whole again after a crash or SIGKILL. The work is in
 * pipeline/flv-check.ts; this file renders the verdict and picks exit codes.
 */
import type { Command } from 'commander';
import type { FlvCheckResult, FlvCheckProblem } from '../flv/check.js';
import { checkFlvFile, fixFlvFile } from '../pipeline/flv-check.js';
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
    .description('check and repair FLV files (e.g. a recording cut short by a crash)')
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
    .option('-v, --verbose', 'stack traces on errors')
    .option('-q, --quiet', 'print nothing but the error line')
    .addHelpText('after', EXIT_HELP)
    .action((file: string, raw: FixRaw) => ctx.run(raw, (rep) => fixCommand(file, raw, rep)));
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
