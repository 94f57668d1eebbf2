/**
 * The man page and `--help` tell the same story as the code: every option a
 * subcommand's --help lists is in the man page (in that command's section or
 * the common options), and so are every exit code, error code and
 * environment variable the program uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { repoRoot, rtmpCli } from '../helpers/peers.js';

/** The man page as plain text: roff escapes for '-' removed. */
async function manText(): Promise<string> {
  return (await readFile(path.join(repoRoot, 'man', 'rtmp.1'), 'utf8')).replace(/\\-/g, '-');
}

/** The text of the `.SH <title>` section (up to the next `.SH`), or ''. */
function section(man: string, title: string): string {
  const start = man.indexOf(`\n.SH ${title}\n`);
  if (start < 0) return '';
  const end = man.indexOf('\n.SH ', start + 1);
  return man.slice(start, end < 0 ? undefined : end);
}

/** Long options listed in the Options part of `rtmp <args> --help`. */
async function helpOptions(args: string[]): Promise<string[]> {
  const r = await rtmpCli([...args, '--help'], { timeoutMs: 15_000 });
  assert.equal(r.code, 0, r.stderr);
  const text = r.stdout.toString();
  const options = text.slice(text.indexOf('Options:'), text.includes('\nCommands:') ? text.indexOf('\nCommands:') : undefined);
  const names = new Set<string>();
  for (const line of options.split('\n')) {
    const m = /^\s+(?:-\w, )?(--[a-z0-9-]+)/.exec(line);
    if (m && m[1] !== '--help') names.add(m[1]!);
  }
  return [...names];
}

/** Every command and nested command `rtmp --help` leads to, as argument lists. */
async function commands(): Promise<string[][]> {
  const out: string[][] = [];
  const list = async (prefix: string[]): Promise<void> => {
    const r = await rtmpCli([...prefix, '--help'], { timeoutMs: 15_000 });
    const text = r.stdout.toString();
    const at = text.indexOf('\nCommands:');
    if (at < 0) return;
    for (const line of text.slice(at).split('\n').slice(1)) {
      const m = /^ {2}([a-z][a-z-]*)\b/.exec(line);
      if (!m || m[1] === 'help') continue;
      out.push([...prefix, m[1]!]);
      await list([...prefix, m[1]!]);
    }
  };
  await list([]);
  return out;
}

test('every option in --help is documented in the man page, in its command section or the common options', async () => {
  const man = await manText();
  const common = section(man, 'COMMON OPTIONS');
  assert.ok(common.length > 0, 'the man page has a COMMON OPTIONS section');
  const cmds = await commands();
  assert.ok(cmds.length >= 6, `found only ${cmds.length} commands in --help`);
  const missing: string[] = [];
  for (const cmd of cmds) {
    // `flv check` is documented in the COMMANDS section next to its command; the others have their own section.
    const own = section(man, `${cmd[0]!.toUpperCase()} OPTIONS`) || section(man, 'COMMANDS');
    for (const option of await helpOptions(cmd)) {
      const pattern = new RegExp(`${option.replace(/-/g, '\\-')}(?![a-z0-9-])`);
      if (!pattern.test(own) && !pattern.test(common)) missing.push(`rtmp ${cmd.join(' ')} ${option}`);
    }
  }
  assert.deepEqual(missing, [], `options missing from man/rtmp.1:\n${missing.join('\n')}`);
});

test('the man page lists every exit code, error code and environment variable', async () => {
  const man = await manText();
  const exitStatus = section(man, 'EXIT STATUS');
  for (const [name, code] of Object.entries(ExitCode)) {
    assert.match(exitStatus, new RegExp(`^\\.B ${code}$`, 'm'), `exit code ${code} (${name}) is not in EXIT STATUS`);
  }
  const errors = section(man, 'ERRORS');
  const errorCodes = new Set((await readFile(path.join(repoRoot, 'src', 'errors.ts'), 'utf8')).match(/RTMP_ERR_[A-Z_]+/g));
  assert.ok(errorCodes.size >= 10);
  for (const code of errorCodes) assert.ok(errors.includes(code), `${code} is not in ERRORS`);

  const environment = section(man, 'ENVIRONMENT');
  const used = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.ts')) for (const m of (await readFile(p, 'utf8')).matchAll(/process\.env\[?['.]?([A-Z][A-Z0-9_]*)/g)) used.add(m[1]!);
    }
  };
  await walk(path.join(repoRoot, 'src'));
  assert.ok(used.has('RTMP_STREAM_KEY'));
  for (const name of used) assert.match(environment, new RegExp(`^\\.B ${name}$`, 'm'), `${name} is not in ENVIRONMENT`);
});
