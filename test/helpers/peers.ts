/**
 * Real-peer harness for the interop tests and the benchmark: a throwaway
 * nginx-rtmp server, ffmpeg/ffprobe/rtmpdump wrappers, media comparison by
 * packet hashes, and a runner for our own CLI.
 *
 * Every child is spawned with an argument array (never a shell), every wait
 * has a deadline, servers listen on 127.0.0.1 only, and every child process
 * and temp directory is cleaned up when the test process exits.
 * Set RTMP_TEST_KEEP_TMP=1 to keep temp directories for a post-mortem.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import type { Readable } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

/** Repository root, resolved from this file's compiled location dist/test/helpers/peers.js. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The sample every interop test uses (RTMP_TEST_SAMPLE overrides it). */
export const sampleFlv = process.env['RTMP_TEST_SAMPLE'] ?? path.join(repoRoot, 'test', 'fixtures', 'sample.flv');

const STDERR_TAIL_CHARS = 64 * 1024;
const DEFAULT_RUN_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------
// Cleanup of children and temp directories, even when a test crashes.

const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHooksInstalled = false;

function cleanupSync(): void {
  for (const child of liveChildren) {
    if (!hasExited(child)) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  liveChildren.clear();
  if (process.env['RTMP_TEST_KEEP_TMP'] !== '1') {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  }
  tempDirs.clear();
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', cleanupSync);
  // A signal's default action skips 'exit' handlers. Only take over a signal
  // nobody else handles, clean up, then re-raise it so the default still applies.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    if (process.listenerCount(signal) > 0) continue;
    process.once(signal, () => {
      cleanupSync();
      process.kill(process.pid, signal);
    });
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true if `promise` settles within `ms`, false otherwise; never rejects. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A fresh directory under os.tmpdir(), removed when the process exits. */
export async function tempDir(prefix: string): Promise<string> {
  installExitHooks();
  const dir = await mkdtemp(path.join(os.tmpdir(), `rtmp-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read a free port'))));
    });
  });
}

// ---------------------------------------------------------------------------
// Generic process running.

export interface RunOptions {
  /** Kill the child (SIGTERM, then SIGKILL 2 s later) after this long. Default 60 s. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed. Without it stdin is closed at once. */
  input?: Buffer | string;
  /** Environment for the child; replaces process.env entirely when given to run(). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface RunResult {
  /** Exit code, or 128 + signal number when the child died of a signal. */
  code: number;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: Buffer;
  /** The last 64 KiB of stderr. */
  stderr: string;
}

interface Launched {
  child: ChildProcess;
  done: Promise<RunResult>;
}

interface LaunchOptions extends RunOptions {
  keepStdinOpen?: boolean;
  /** The child's stdin is this pipe (another child's stdout), as after `|` in a shell. */
  stdinFrom?: Readable;
  /** Leave stdout unread, to be handed to another child with `stdinFrom`. */
  passStdout?: boolean;
  /** Do not keep the event loop alive for this child (a forgotten server must not hang the test run). */
  unref?: boolean;
}

function launch(cmd: string, args: readonly string[], opts: LaunchOptions): Launched {
  installExitHooks();
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: [opts.stdinFrom ?? 'pipe', 'pipe', 'pipe'],
  });
  liveChildren.add(child);
  if (opts.unref) {
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as net.Socket | null)?.unref();
  }
  const stdout: Buffer[] = [];
  let stderr = '';
  let timedOut = false;
  if (!opts.passStdout) child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_TAIL_CHARS);
  });
  // A child that exits before reading its stdin makes our writes fail with EPIPE.
  child.stdin?.on('error', () => undefined);
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    setTimeout(() => {
      if (!hasExited(child)) child.kill('SIGKILL');
    }, 2000).unref();
  }, opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS);
  if (opts.unref) timer.unref();
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      reject(new Error(`cannot run ${cmd}: ${err.message}`, { cause: err }));
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      const signalNumber = signal ? (os.constants.signals[signal] ?? 0) : 0;
      resolve({
        code: exitCode ?? 128 + signalNumber,
        signal,
        timedOut,
        stdout: Buffer.concat(stdout),
        stderr,
      });
    });
  });
  // Mark as handled so an un-awaited failure does not crash the test process.
  done.catch(() => undefined);
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  else if (!opts.keepStdinOpen) child.stdin?.end();
  return { child, done };
}

/** Run a command to completion (argument array, no shell). Never rejects on a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return launch(cmd, args, opts).done;
}

/** Like run(), but throws with the stderr tail unless the command exits 0 in time. */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const result = await run(cmd, args, opts);
  if (result.code !== 0 || result.timedOut) {
    const why = result.timedOut ? `timed out after ${opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS} ms` : `exited ${result.code}`;
    throw new Error(`${cmd} ${args.join(' ')} ${why}\n${tail(result.stderr, 20)}`);
  }
  return result;
}

/** A long-running child: `done` settles when it exits; `stop()` asks it to end, then insists. */
export interface ChildHandle {
  pid: number | undefined;
  done: Promise<RunResult>;
  /** Graceful stop: `stopInput` on stdin (if any), SIGINT, SIGINT again, SIGKILL — 1.5 s apart. Safe to call twice. */
  stop(): Promise<RunResult>;
  /** True once the child's stderr so far matches `re`; false after `ms` or if it exits first. */
  waitForStderr(re: RegExp, ms: number): Promise<boolean>;
}

/** Start a command in the background. It is killed after `timeoutMs` (default 60 s) regardless. */
export function startProcess(
  cmd: string,
  args: readonly string[],
  opts: RunOptions & { stopInput?: string; unref?: boolean; stdinFrom?: Readable; passStdout?: boolean } = {},
): ChildHandle & { stdout: Readable | null } {
  const { child, done } = launch(cmd, args, { ...opts, keepStdinOpen: opts.input === undefined });
  let stopping: Promise<RunResult> | undefined;
  const steps: Array<() => void> = [];
  if (opts.stopInput !== undefined) {
    const text = opts.stopInput;
    steps.push(() => child.stdin?.write(text));
  }
  // ffmpeg needs a second SIGINT to abort a read that is blocked on the network.
  steps.push(
    () => child.kill('SIGINT'),
    () => child.kill('SIGINT'),
    () => child.kill('SIGKILL'),
  );
  const stop = (): Promise<RunResult> => {
    stopping ??= (async () => {
      for (const step of steps) {
        if (hasExited(child)) break;
        step();
        if (await settlesWithin(done, 1500)) break;
      }
      return done;
    })();
    return stopping;
  };
  let seen = '';
  child.stderr?.on('data', (text: string) => {
    seen = (seen + text).slice(-STDERR_TAIL_CHARS);
  });
  const waitForStderr = async (re: RegExp, ms: number): Promise<boolean> => {
    for (const end = Date.now() + ms; Date.now() < end && !hasExited(child); ) {
      if (re.test(seen)) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return re.test(seen);
  };
  return { pid: child.pid, done, stop, stdout: child.stdout, waitForStderr };
}

/** Wait up to `ms` for a background child to exit by itself, then stop() it. `forced` tells which happened. */
export async function waitForExit(handle: ChildHandle, ms: number): Promise<RunResult & { forced: boolean }> {
  const exited = await settlesWithin(handle.done, ms);
  const result = exited ? await handle.done : await handle.stop();
  return { ...result, forced: !exited };
}

/** The last `lines` lines of a text. */
export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------------------
// Finding the peers.

export type PeerName = 'nginx' | 'ffmpeg' | 'ffprobe' | 'rtmpdump';

const APT_PACKAGES: Record<PeerName, string> = {
  nginx: 'nginx libnginx-mod-rtmp',
  ffmpeg: 'ffmpeg',
  ffprobe: 'ffmpeg',
  rtmpdump: 'rtmpdump',
};

const EXTRA_BIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

const RTMP_MODULE_CANDIDATES = [
  '/usr/lib/nginx/modules/ngx_rtmp_module.so', // Debian, Ubuntu
  '/usr/lib64/nginx/modules/ngx_rtmp_module.so', // Fedora, RHEL
  '/usr/local/lib/nginx/modules/ngx_rtmp_module.so',
  '/usr/local/nginx/modules/ngx_rtmp_module.so',
];

/** Absolute path of an executable on PATH (plus the sbin directories), or undefined. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_BIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export interface NginxInstall {
  bin: string;
  /** The dynamic RTMP module to `load_module`, or null when it is compiled in. */
  module: string | null;
}

let nginxInstall: NginxInstall | null | undefined;

/**
 * nginx plus its RTMP module. RTMP_TEST_NGINX and RTMP_TEST_NGINX_RTMP_MODULE
 * override the search.
 */
export function findNginx(): NginxInstall | null {
  if (nginxInstall !== undefined) return nginxInstall;
  nginxInstall = null;
  const bin = process.env['RTMP_TEST_NGINX'] ?? findBinary('nginx');
  if (bin === undefined) return null;
  const candidates = [process.env['RTMP_TEST_NGINX_RTMP_MODULE'], ...RTMP_MODULE_CANDIDATES];
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    try {
      accessSync(candidate, fsConstants.R_OK);
      nginxInstall = { bin, module: candidate };
      return nginxInstall;
    } catch {
      // keep looking
    }
  }
  // Some builds link the module statically (`--add-module=.../nginx-rtmp-module`).
  const version = spawnSync(bin, ['-V'], { encoding: 'utf8', timeout: 5000 });
  if (/--add-module=\S*rtmp/.test(`${version.stderr ?? ''}${version.stdout ?? ''}`)) {
    nginxInstall = { bin, module: null };
  }
  return nginxInstall;
}

/** Whether a peer is installed (for nginx: with the RTMP module). */
export function peerAvailable(name: PeerName): boolean {
  return name === 'nginx' ? findNginx() !== null : findBinary(name) !== undefined;
}

/**
 * Gate an interop test on a real peer. Missing peer: the test is skipped with
 * the install command, except with CI=true, where it throws so the test fails.
 */
export function requirePeer(t: TestContext, name: PeerName): boolean {
  if (peerAvailable(name)) return true;
  const what = name === 'nginx' ? 'nginx with the RTMP module' : name;
  const message = `${what} not installed: apt-get install ${APT_PACKAGES[name]}`;
  if (process.env['CI'] === 'true') throw new Error(`${message} (peers are mandatory when CI=true)`);
  t.skip(message);
  return false;
}

function peerBin(name: PeerName): string {
  if (name === 'nginx') {
    const install = findNginx();
    if (install === null) throw new Error('nginx with the RTMP module is not installed');
    return install.bin;
  }
  return findBinary(name) ?? name;
}

// ---------------------------------------------------------------------------
// nginx-rtmp.

export interface NginxOptions {
  /** Messages queued per client before nginx-rtmp drops some. Default 8192 (nginx's 256 loses packets on fast VOD reads). */
  outQueue?: number;
  /** Directory served by `application vod`. Default: `<dir>/vod`, created empty. */
  vodDir?: string;
  /** Extra `application name { ... }` blocks inside the server block. */
  extraApps?: string;
  /** Body of `application live`. Default `live on; record off; publish_notify on;`. */
  liveDirectives?: string;
  /** How long to wait for the port to accept connections. Default 5 s. */
  startTimeoutMs?: number;
}

export interface NginxServer {
  port: number;
  /** rtmp://127.0.0.1:<port>/<app>/<stream> */
  url(app: string, stream: string): string;
  /** The server's private directory: nginx.conf, error.log, nginx.pid. */
  dir: string;
  vodDir: string;
  pid: number | undefined;
  /** The whole error log (info level: connect/publish/play lines appear here). */
  log(): Promise<string>;
  /** Wait until `count` lines of the error log match `pattern`; returns the last match. */
  waitForLog(pattern: RegExp, opts?: { timeoutMs?: number; count?: number }): Promise<string>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once nginx has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/** Directive values are written verbatim; refuse anything that could end the directive. */
function confValue(value: string): string {
  if (/[\s;{}"'#\\]/.test(value)) throw new Error(`unsupported character in nginx.conf value: ${value}`);
  return value;
}

function nginxConf(dir: string, port: number, install: NginxInstall, vodDir: string, opts: NginxOptions): string {
  const live = opts.liveDirectives ?? 'live on; record off; publish_notify on;';
  return `# Generated by test/helpers/peers.ts; everything nginx writes stays in ${dir}.
${install.module ? `load_module ${confValue(install.module)};` : ''}
daemon off;
master_process off;
worker_processes 1;
pid ${confValue(path.join(dir, 'nginx.pid'))};
error_log ${confValue(path.join(dir, 'error.log'))} info;
events { worker_connections 1024; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    chunk_size 4096;
    # Messages a slow client may have queued before nginx-rtmp starts dropping.
    out_queue ${opts.outQueue ?? 8192};
    # Incoming message size cap; 1080p keyframes can pass the 1M default.
    max_message 16M;
    # publish_notify: players get NetStream.Play.UnpublishNotify when the
    # publisher leaves (by default only a StreamEOF user control, which ffmpeg
    # ignores, so an ffmpeg reader would wait forever).
    application live { ${live} }
    application vod { play ${confValue(vodDir)}; }
${opts.extraApps ?? ''}
  }
}
`;
}

function canConnect(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** Waits until 127.0.0.1:`port` accepts TCP; false when it still does not after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port, 250))) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** Start a private nginx-rtmp on a free loopback port with `live` and `vod` applications. */
export async function startNginx(opts: NginxOptions = {}): Promise<NginxServer> {
  const install = findNginx();
  if (install === null) throw new Error('nginx with the RTMP module is not installed: apt-get install nginx libnginx-mod-rtmp');
  const dir = await tempDir('nginx');
  const vodDir = opts.vodDir ?? path.join(dir, 'vod');
  await mkdir(vodDir, { recursive: true });
  const errorLog = path.join(dir, 'error.log');
  const confPath = path.join(dir, 'nginx.conf');
  const startTimeoutMs = opts.startTimeoutMs ?? 5000;

  // freePort() can race with another process grabbing the port; retry on EADDRINUSE.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    await writeFile(confPath, nginxConf(dir, port, install, vodDir, opts));
    await writeFile(errorLog, '');
    const handle = startProcess(install.bin, ['-c', confPath, '-p', `${dir}/`, '-e', errorLog], {
      timeoutMs: 24 * 3600 * 1000,
      unref: true,
    });
    const readLog = (): Promise<string> => readFile(errorLog, 'utf8').catch(() => '');
    const stopNginx = async (): Promise<void> => {
      // nginx ends on the first SIGTERM; the handle's ladder covers a stuck one.
      if (handle.pid !== undefined) {
        try {
          process.kill(handle.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      if (!(await settlesWithin(handle.done, 5000))) await handle.stop();
      else await handle.done.catch(() => undefined);
    };

    const deadline = Date.now() + startTimeoutMs;
    let up = false;
    let exited = false;
    handle.done.then(
      () => (exited = true),
      () => (exited = true),
    );
    while (!up && !exited && Date.now() < deadline) {
      up = await canConnect(port, 250);
      if (!up) await sleep(25);
    }
    if (up) {
      let stopping: Promise<void> | undefined;
      return {
        port,
        url: (app, stream) => `rtmp://127.0.0.1:${port}/${app}/${stream}`,
        dir,
        vodDir,
        pid: handle.pid,
        log: readLog,
        async waitForLog(pattern, waitOpts = {}) {
          const until = Date.now() + (waitOpts.timeoutMs ?? 5000);
          const want = waitOpts.count ?? 1;
          for (;;) {
            const matches = (await readLog()).split('\n').filter((line) => pattern.test(line));
            const last = matches[matches.length - 1];
            if (matches.length >= want && last !== undefined) return last;
            if (Date.now() > until) {
              throw new Error(`nginx log never matched ${pattern} ${want}x; log tail:\n${tail(await readLog(), 15)}`);
            }
            await sleep(25);
          }
        },
        stop: () => (stopping ??= stopNginx()),
      };
    }
    await stopNginx();
    const result = await handle.done.catch(() => undefined);
    const logText = await readLog();
    if (/Address already in use/.test(logText) && attempt < 3) continue;
    const why = exited ? `exited with code ${result?.code}` : `did not accept connections within ${startTimeoutMs} ms`;
    throw new Error(`nginx ${why} (conf ${confPath}); error log tail:\n${tail(logText, 15)}\n${tail(result?.stderr ?? '', 5)}`);
  }
}

// ---------------------------------------------------------------------------
// ffprobe / ffmpeg.

/** One packet as ffprobe reports it (timestamps in the stream's time base; FLV: milliseconds). */
export interface ProbedPacket {
  codecType: 'video' | 'audio';
  streamIndex: number;
  /** Presentation time in seconds, when ffprobe reported one. */
  ptsTime?: number;
  dts: number;
  pts: number;
  duration: number;
  size: number;
  /** ffprobe's flags: `K_` keyframe, `__` other, `_D` discard. */
  flags: string;
  /** MD5 of the packet payload, hex. */
  hash: string;
}

interface FfprobePacket {
  codec_type?: string;
  stream_index?: number;
  pts?: number;
  pts_time?: string;
  dts?: number;
  duration?: number;
  size?: string;
  flags?: string;
  data_hash?: string;
}

/** Every audio and video packet of `input` in file order, with an MD5 of each payload. */
export async function probePackets(
  input: string,
  opts: { timeoutMs?: number; extraArgs?: string[] } = {},
): Promise<ProbedPacket[]> {
  const args = ['-v', 'error', ...(opts.extraArgs ?? []), '-show_packets', '-show_data_hash', 'MD5', '-of', 'json', input];
  const { stdout } = await runOk(peerBin('ffprobe'), args, { timeoutMs: opts.timeoutMs ?? 60_000 });
  const parsed = JSON.parse(stdout.toString('utf8')) as { packets?: FfprobePacket[] };
  const packets: ProbedPacket[] = [];
  for (const raw of parsed.packets ?? []) {
    if (raw.codec_type !== 'video' && raw.codec_type !== 'audio') continue;
    const dts = raw.dts ?? raw.pts ?? Number.NaN;
    const packet: ProbedPacket = {
      codecType: raw.codec_type,
      streamIndex: raw.stream_index ?? -1,
      dts,
      pts: raw.pts ?? dts,
      duration: raw.duration ?? 0,
      size: Number(raw.size ?? 0),
      flags: raw.flags ?? '',
      hash: (raw.data_hash ?? '').replace(/^MD5:/, ''),
    };
    if (raw.pts_time !== undefined) packet.ptsTime = Number(raw.pts_time);
    packets.push(packet);
  }
  return packets;
}

/** What ffprobe says of each stream of a file. */
export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  /** e.g. `25/1`. */
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
}

/** The streams of `input` (ffprobe -show_streams). */
export async function probeStreams(input: string, opts: { timeoutMs?: number } = {}): Promise<ProbedStream[]> {
  const args = ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height,r_frame_rate,sample_rate,channels', '-of', 'json', input];
  const { stdout } = await runOk(peerBin('ffprobe'), args, { timeoutMs: opts.timeoutMs ?? 30_000 });
  return (JSON.parse(stdout.toString('utf8')) as { streams?: ProbedStream[] }).streams ?? [];
}

/** Audio and video packet counts (cheaper than probePackets: no hashing). */
export async function countPackets(input: string, opts: { timeoutMs?: number } = {}): Promise<{ video: number; audio: number }> {
  const args = ['-v', 'error', '-show_entries', 'packet=codec_type', '-of', 'csv=p=0', input];
  const { stdout } = await runOk(peerBin('ffprobe'), args, { timeoutMs: opts.timeoutMs ?? 120_000 });
  const counts = { video: 0, audio: 0 };
  for (const line of stdout.toString('utf8').split('\n')) {
    const type = line.trim();
    if (type === 'video' || type === 'audio') counts[type]++;
  }
  return counts;
}

/**
 * ffmpeg's framemd5 lines (comments dropped): one per frame with stream,
 * timestamps, size and MD5. Decodes by default; `copy: true` hashes packets.
 */
export async function framemd5(input: string, opts: { copy?: boolean; timeoutMs?: number } = {}): Promise<string[]> {
  return (await framemd5Lines(input, opts)).filter((line) => !line.startsWith('#'));
}

async function framemd5Lines(input: string, opts: { copy?: boolean; timeoutMs?: number }): Promise<string[]> {
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-i', input, '-map', '0', ...(opts.copy ? ['-c', 'copy'] : []), '-f', 'framemd5', '-'];
  const { stdout } = await runOk(peerBin('ffmpeg'), args, { timeoutMs: opts.timeoutMs ?? 60_000 });
  return stdout
    .toString('utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** One decoded frame: presentation time in ms (from framemd5's per-stream time base), size and MD5. */
export interface DecodedFrame {
  ptsMs: number;
  size: number;
  hash: string;
}

/**
 * The decoded frames of `input` by media type, via `ffmpeg -f framemd5`, with
 * timestamps in ms so files with different time bases (FLV 1/1000, MP4
 * 1/57600) compare.
 */
export async function decodedFrames(input: string, opts: { timeoutMs?: number } = {}): Promise<{ video: DecodedFrame[]; audio: DecodedFrame[] }> {
  const tb = new Map<string, number>();
  const type = new Map<string, string>();
  const out = { video: [] as DecodedFrame[], audio: [] as DecodedFrame[] };
  for (const line of await framemd5Lines(input, opts)) {
    const header = /^#(tb|media_type) (\d+): (.+)$/.exec(line);
    if (header) {
      const [, key, stream, value] = header as unknown as [string, string, string, string];
      if (key === 'tb') {
        const [num, den] = value.split('/').map(Number) as [number, number];
        tb.set(stream, (1000 * num) / den);
      } else {
        type.set(stream, value);
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const [stream = '', , pts = '', , size = '', hash = ''] = line.split(',').map((f) => f.trim());
    const kind = type.get(stream);
    if (kind !== 'video' && kind !== 'audio') continue;
    out[kind].push({ ptsMs: Number(pts) * (tb.get(stream) ?? Number.NaN), size: Number(size), hash });
  }
  return out;
}

export interface FfmpegPublishOptions {
  /** `-re`: read the input at its native rate, like a live encoder. Default false. */
  realtime?: boolean;
  timeoutMs?: number;
  /** Extra output options, placed before `-f flv <url>`. */
  extraArgs?: string[];
}

/** `ffmpeg [-re] -i <file> -c copy -f flv <url>` to completion. */
export function ffmpegPublish(file: string, url: string, opts: FfmpegPublishOptions = {}): Promise<RunResult> {
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-v', 'error',
    ...(opts.realtime ? ['-re'] : []),
    '-i', file, '-c', 'copy', ...(opts.extraArgs ?? []), '-f', 'flv', url,
  ];
  return run(peerBin('ffmpeg'), args, { timeoutMs: opts.timeoutMs ?? 60_000 });
}

/** `ffmpeg -i <input> -c copy -f flv <out>` to completion (e.g. a VOD download through RTMP). */
export function ffmpegCopy(input: string, out: string, opts: { timeoutMs?: number; inputArgs?: string[] } = {}): Promise<RunResult> {
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-v', 'error', '-y',
    ...(opts.inputArgs ?? []), '-i', input, '-map', '0', '-c', 'copy', '-f', 'flv', out,
  ];
  return run(peerBin('ffmpeg'), args, { timeoutMs: opts.timeoutMs ?? 60_000 });
}

export interface FfmpegRecordOptions {
  /** Stop after this much media (`-t`). */
  durationSec?: number;
  /** Hard deadline; default 60 s. */
  timeoutMs?: number;
  /** Keep the stream's own timestamps instead of shifting them to start at 0. Default true. */
  copyts?: boolean;
  extraArgs?: string[];
}

/**
 * Start `ffmpeg -i <url> -c copy -f flv <out>` in the background. Each packet
 * is flushed to the file as it is written, so the recording is complete up to
 * the last packet even if ffmpeg has to be interrupted.
 */
export function ffmpegRecord(url: string, out: string, opts: FfmpegRecordOptions = {}): ChildHandle {
  const args = [
    '-hide_banner', '-nostats', '-v', 'error', '-y',
    ...(opts.copyts === false ? [] : ['-copyts']),
    '-i', url, '-map', '0', '-c', 'copy',
    ...(opts.durationSec !== undefined ? ['-t', String(opts.durationSec)] : []),
    ...(opts.extraArgs ?? []),
    '-flush_packets', '1', '-f', 'flv', out,
  ];
  return startProcess(peerBin('ffmpeg'), args, { timeoutMs: opts.timeoutMs ?? 60_000, stopInput: 'q' });
}

/** `ffmpeg -hide_banner -nostdin -nostats -v error -y ...args` to completion; throws with its stderr unless it exits 0. */
export function runFfmpeg(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  return runOk(peerBin('ffmpeg'), ['-hide_banner', '-nostdin', '-nostats', '-v', 'error', '-y', ...args], { timeoutMs: opts.timeoutMs ?? 60_000 });
}

export interface GenFlvOptions {
  seconds: number;
  /** WxH, default 640x360. */
  size?: string;
  fps?: number;
  /** e.g. '1M', default '1M'. */
  videoBitrate?: string;
  /** Keyframe interval in frames; default 2 s worth. */
  gop?: number;
  audioBitrate?: string;
  /** x264 preset, default veryfast. */
  preset?: string;
  /** AAC sample rate, default 44100. */
  sampleRate?: number;
  /** Extra libx264 settings (`-x264-params`), e.g. `bframes=2`. */
  x264Params?: string;
  /** ffmpeg muxer, default flv (mp4, mov, matroska: the same streams in another container). */
  format?: string;
  timeoutMs?: number;
}

/** Generate an H.264 (with B-frames) + AAC file (FLV unless `format` says otherwise) from lavfi testsrc2 and a beeping sine. */
export async function genFlv(out: string, opts: GenFlvOptions): Promise<void> {
  const fps = opts.fps ?? 25;
  const videoBitrate = opts.videoBitrate ?? '1M';
  const partial = `${out}.part`;
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${opts.size ?? '640x360'}:rate=${fps}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=${opts.sampleRate ?? 44100}`,
    '-map', '0:v', '-map', '1:a', '-t', String(opts.seconds),
    '-c:v', 'libx264', '-preset', opts.preset ?? 'veryfast', ...(opts.x264Params ? ['-x264-params', opts.x264Params] : []), '-pix_fmt', 'yuv420p',
    '-g', String(opts.gop ?? fps * 2), '-b:v', videoBitrate, '-maxrate', videoBitrate, '-bufsize', videoBitrate,
    '-c:a', 'aac', '-b:a', opts.audioBitrate ?? '128k',
    '-f', opts.format ?? 'flv', partial,
  ];
  await runOk(peerBin('ffmpeg'), args, { timeoutMs: opts.timeoutMs ?? 600_000 });
  await rename(partial, out);
}

/** Encode `frames` frames of lavfi testsrc2 at `size` with `codecArgs` (e.g. `['-c:v', 'libx265']`) into `out` (container from its extension). */
export async function genVideo(out: string, opts: { size: string; frames: number; codecArgs: readonly string[]; audioArgs?: readonly string[]; timeoutMs?: number }): Promise<void> {
  // With audioArgs, as long a 48 kHz sine as the video (10 fps) is encoded too; -t rather
  // than -frames:v, which would end the file (and the audio) at the last video frame.
  const seconds = String(opts.frames / 10);
  const audio = opts.audioArgs ? ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, ...opts.audioArgs, '-t', seconds] : ['-frames:v', String(opts.frames)];
  const args = [
    '-hide_banner', '-nostdin', '-nostats', '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${opts.size}:rate=10`, ...audio,
    ...opts.codecArgs, '-fflags', '+bitexact', '-map_metadata', '-1', out,
  ];
  await runOk(peerBin('ffmpeg'), args, { timeoutMs: opts.timeoutMs ?? 60_000 });
}

/** What ffprobe says about the first video stream of `file`. */
export interface ProbedVideoStream {
  codec_name: string;
  profile?: string;
  level?: number;
  width: number;
  height: number;
  pix_fmt: string;
}

/** `ffprobe -show_streams` of the first video stream. */
export async function ffprobeVideoStream(file: string): Promise<ProbedVideoStream> {
  const args = ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,profile,level,width,height,pix_fmt', '-of', 'json', file];
  const { stdout } = await runOk(peerBin('ffprobe'), args, { timeoutMs: 30_000 });
  const stream = (JSON.parse(stdout.toString('utf8')) as { streams?: ProbedVideoStream[] }).streams?.[0];
  if (stream === undefined) throw new Error(`ffprobe found no video stream in ${file}`);
  return stream;
}

// ---------------------------------------------------------------------------
// Comparing media.

export interface CompareOptions {
  /**
   * 'exact': `b` must hold the same packets as `a`, track by track.
   * 'run': each track of `b` must be a contiguous run of `a`'s track (a live
   * join can miss the start and a stop can miss the end). Default 'exact'.
   */
  mode?: 'exact' | 'run';
  /** 'absolute' compares dts/pts as is; 'relative' to each track's first compared packet. Default 'absolute'. */
  timestamps?: 'absolute' | 'relative' | 'ignore';
}

export interface CompareResult {
  equal: boolean;
  /** Short, human: counts per track and the first differences. */
  report: string;
  /** For mode 'run': index in `a` where each track of `b` starts (-1 if not found). */
  offsets: { video: number; audio: number };
}

const TRACKS = ['video', 'audio'] as const;
const MAX_REPORTED_DIFFS = 5;

/** Where `run` occurs as a contiguous run of hashes in `track`, or -1. */
function findRun(track: readonly ProbedPacket[], runPackets: readonly ProbedPacket[]): number {
  const first = runPackets[0];
  if (first === undefined) return -1;
  // Identical payloads (e.g. repeated silent audio) can occur more than once; try each.
  for (let offset = 0; offset + runPackets.length <= track.length; offset++) {
    if (track[offset]?.hash !== first.hash) continue;
    if (runPackets.every((p, i) => track[offset + i]?.hash === p.hash)) return offset;
  }
  return -1;
}

/** Compare two packet lists by track: count, dts/pts and payload hash, in order. */
export function comparePackets(a: readonly ProbedPacket[], b: readonly ProbedPacket[], opts: CompareOptions = {}): CompareResult {
  const mode = opts.mode ?? 'exact';
  const timestamps = opts.timestamps ?? 'absolute';
  const lines: string[] = [];
  const diffs: string[] = [];
  const offsets = { video: 0, audio: 0 };
  const short = (hash: string): string => hash.slice(0, 8);

  for (const type of TRACKS) {
    const ta = a.filter((p) => p.codecType === type);
    const tb = b.filter((p) => p.codecType === type);
    let offset = 0;
    if (mode === 'run') {
      offset = tb.length === 0 ? (ta.length === 0 ? 0 : -1) : findRun(ta, tb);
      offsets[type] = offset;
      lines.push(`${type}: ${tb.length} of ${ta.length} packets, starting at #${offset}`);
      if (offset < 0) {
        diffs.push(tb.length === 0 ? `${type}: no packets received` : `${type}: received packets are not a contiguous run of the source (first hash ${short(tb[0]?.hash ?? '')})`);
        continue;
      }
    } else {
      lines.push(`${type}: ${ta.length} vs ${tb.length} packets`);
      if (ta.length !== tb.length) diffs.push(`${type}: packet count ${ta.length} != ${tb.length}`);
    }
    const baseA = ta[offset];
    const baseB = tb[0];
    const n = Math.min(ta.length - offset, tb.length);
    for (let i = 0; i < n && diffs.length < MAX_REPORTED_DIFFS; i++) {
      const pa = ta[offset + i];
      const pb = tb[i];
      if (pa === undefined || pb === undefined) break;
      const problems: string[] = [];
      if (pa.hash !== pb.hash) problems.push(`hash ${short(pa.hash)} != ${short(pb.hash)}`);
      if (timestamps !== 'ignore') {
        const shiftA = timestamps === 'relative' && baseA ? baseA.dts : 0;
        const shiftB = timestamps === 'relative' && baseB ? baseB.dts : 0;
        if (pa.dts - shiftA !== pb.dts - shiftB) problems.push(`dts ${pa.dts - shiftA} != ${pb.dts - shiftB}`);
        if (pa.pts - shiftA !== pb.pts - shiftB) problems.push(`pts ${pa.pts - shiftA} != ${pb.pts - shiftB}`);
      }
      if (problems.length > 0) diffs.push(`${type} #${offset + i}/#${i}: ${problems.join(', ')}`);
    }
  }
  const equal = diffs.length === 0;
  const report = [lines.join('; '), ...(equal ? [] : diffs.slice(0, MAX_REPORTED_DIFFS))].join('\n');
  return { equal, report, offsets };
}

// ---------------------------------------------------------------------------
// Our own CLI.

export const rtmpBin = path.join(repoRoot, 'bin', 'rtmp.js');

export interface RtmpCliOptions {
  /** Default 30 s. */
  timeoutMs?: number;
  input?: Buffer | string;
  /** Added to process.env. */
  env?: Record<string, string>;
}

/** Run `node bin/rtmp.js ...args` to completion; stdout raw (FLV with `-o -`), stderr as text. */
export function rtmpCli(args: readonly string[], opts: RtmpCliOptions = {}): Promise<RunResult> {
  const runOpts: RunOptions = { timeoutMs: opts.timeoutMs ?? 30_000, env: { ...process.env, ...opts.env }, cwd: repoRoot };
  if (opts.input !== undefined) runOpts.input = opts.input;
  return run(process.execPath, [rtmpBin, ...args], runOpts);
}

/** Start `node bin/rtmp.js ...args` in the background (e.g. a live `play` while something publishes). */
export function startRtmpCli(args: readonly string[], opts: Omit<RtmpCliOptions, 'input'> = {}): ChildHandle {
  return startProcess(process.execPath, [rtmpBin, ...args], {
    timeoutMs: opts.timeoutMs ?? 30_000,
    env: { ...process.env, ...opts.env },
    cwd: repoRoot,
  });
}

/**
 * `node bin/rtmp.js ...args | reader ...readerArgs` without a shell: the
 * reader's stdin is the same pipe as rtmp's stdout, and this process keeps
 * no end of it, so rtmp sees EPIPE when the reader goes away.
 */
export function startRtmpCliInto(
  args: readonly string[],
  reader: readonly [string, ...string[]],
  opts: Omit<RtmpCliOptions, 'input'> = {},
): { rtmp: ChildHandle; reader: ChildHandle } {
  const rtmp = startProcess(process.execPath, [rtmpBin, ...args], {
    timeoutMs: opts.timeoutMs ?? 30_000,
    env: { ...process.env, ...opts.env },
    cwd: repoRoot,
    passStdout: true,
  });
  const pipe = rtmp.stdout!;
  const [cmd, ...readerArgs] = reader;
  const consumer = startProcess(cmd, readerArgs, { timeoutMs: opts.timeoutMs ?? 30_000, stdinFrom: pipe });
  pipe.destroy();
  return { rtmp, reader: consumer };
}

/** Running processes whose command line contains `marker` (read with ps, without a shell). */
export function processesWith(marker: string): Array<{ pid: number; args: string }> {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8', timeout: 5000 });
  return (ps.stdout ?? '')
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[2]!.includes(marker) && !m[2]!.startsWith('ps '))
    .map((m) => ({ pid: Number(m[1]), args: m[2]! }));
}
