/**
 * ffmpeg as just another FLV endpoint: a source whose stdout (`-f flv
 * pipe:1`) goes through the same FLV reader that reads files, and a sink
 * whose stdin gets the FLV the file writer would write. Argument arrays
 * only (execa, never a shell); a bounded tail of ffmpeg's stderr goes into
 * FfmpegError; an AbortSignal, an early stop or a failure on our side kills
 * the child and waits for it, so no ffmpeg outlives the command.
 */
import { access } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { AbortedError, FfmpegError, isRtmpError } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import type { MediaSink } from './media-sink.js';
import type { MediaPacket } from '../media/packet.js';
import { StderrTail } from './ffmpeg-args.js';
import { FlvFileSink } from './flv-file-sink.js';
import { readFlvStream, type FlvSourceOptions } from './flv-file-source.js';

/** The binary run when no path is given: `ffmpeg` on PATH. */
export const DEFAULT_FFMPEG = 'ffmpeg';
/** The one line printed when ffmpeg is not installed. */
export const FFMPEG_NOT_FOUND = 'ffmpeg not found on PATH; install it (e.g. apt-get install ffmpeg) or pass --ffmpeg <path>';
/** How long ffmpeg gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;
/** Lines of ffmpeg's stderr quoted in an FfmpegError message: an error often spans several (the cause, then its consequences). */
const QUOTED_LINES = 4;
const MAX_QUOTED_CHARS = 600;

/** How to start ffmpeg. */
export interface FfmpegSpawnOptions {
  /** The ffmpeg binary (`--ffmpeg`); `ffmpeg` on PATH by default. */
  ffmpegPath?: string;
  /** Kills ffmpeg (SIGTERM, then SIGKILL) when aborted. */
  signal?: AbortSignal;
  stdin?: 'pipe' | 'ignore' | 'inherit';
  stdout?: 'pipe' | 'ignore' | 'inherit';
  /** Each stderr chunk as it arrives (e.g. for --verbose). */
  onStderr?: (text: string) => void;
}

/** A running ffmpeg: its pipes, its stderr tail, and how it ended. */
export class FfmpegProcess {
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly tail = new StderrTail(DEFAULT_LIMITS.maxFfmpegStderrTail);
  private readonly child: ResultPromise;
  private readonly result: Promise<FfmpegError | undefined>;

  constructor(args: readonly string[], opts: FfmpegSpawnOptions = {}) {
    const path = opts.ffmpegPath ?? DEFAULT_FFMPEG;
    this.child = execa(path, args, {
      stdin: opts.stdin ?? 'ignore',
      stdout: opts.stdout ?? 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      // Its own process group: a Ctrl-C on the terminal reaches us only, and we
      // end ffmpeg in order (a sink gets end of input and finishes its file).
      detached: true,
      forceKillAfterDelay: KILL_GRACE_MS,
      ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    });
    this.stdin = this.child.stdin;
    this.stdout = this.child.stdout;
    // A child that exits before reading its stdin makes writes fail with EPIPE; the outcome says why.
    this.stdin?.on('error', () => undefined);
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (text: string) => {
      this.tail.push(text);
      opts.onStderr?.(text);
    });
    this.result = this.child.then((r) => {
      if (!r.failed) return undefined;
      const lines = quoteStderr(this.tail.lines(QUOTED_LINES));
      const stderr = this.tail.toString();
      if (r.code === 'ENOENT') {
        const message = opts.ffmpegPath === undefined ? FFMPEG_NOT_FOUND : `ffmpeg not found at '${path}' (--ffmpeg)`;
        return new FfmpegError(message, undefined, stderr, { cause: r.cause });
      }
      if (r.code === 'EACCES') return new FfmpegError(`cannot run ffmpeg '${path}': permission denied`, undefined, stderr, { cause: r.cause });
      if (r.signal !== undefined) {
        return new FfmpegError(`ffmpeg was killed by ${r.signal}${lines ? `: ${lines}` : ''}`, undefined, stderr, { signal: r.signal });
      }
      if (r.exitCode !== undefined) {
        return new FfmpegError(`ffmpeg exited with status ${r.exitCode}${lines ? `: ${lines}` : ''}`, r.exitCode, stderr);
      }
      return new FfmpegError(`ffmpeg failed: ${r.shortMessage ?? 'unknown error'}`, undefined, stderr, { cause: r.cause });
    });
  }

  /** Waits for ffmpeg to exit: undefined when it succeeded, the FfmpegError otherwise. Never rejects. */
  outcome(): Promise<FfmpegError | undefined> {
    return this.result;
  }

  /** True once ffmpeg has exited (or never started). */
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined;
  }

  /** Ends ffmpeg (SIGTERM, SIGKILL after a grace period) and waits until it is gone. */
  async stop(): Promise<void> {
    if (!this.exited) this.child.kill('SIGTERM');
    await this.result;
  }
}

/**
 * ffmpeg's last error lines as one line: `[flv @ 0x55d0c1a2b3c0]` becomes
 * `[flv]`, lines are joined with ` | `, the whole is capped.
 */
export function quoteStderr(lines: readonly string[]): string {
  const text = lines.map((l) => l.replace(/^\[(\w+) @ 0x[0-9a-f]+\]\s*/, '[$1] ')).join(' | ');
  return text.length > MAX_QUOTED_CHARS ? `…${text.slice(text.length - MAX_QUOTED_CHARS)}` : text;
}

/** Options of an ffmpeg FLV source. */
export interface FfmpegSourceOptions extends FlvSourceOptions, Omit<FfmpegSpawnOptions, 'stdout' | 'signal'> {}

/**
 * Yields the packets of the FLV ffmpeg writes to stdout (`args` must end in
 * `-f flv pipe:1`). When ffmpeg fails, the FfmpegError (status and last
 * stderr lines) is thrown after the packets it made; it takes precedence over
 * what the FLV reader thought of the truncated output. Stopping early (the
 * consumer's `return()`, a failure downstream) or aborting kills ffmpeg, and
 * the generator finishes only once it has exited.
 */
export async function* ffmpegFlvPackets(args: readonly string[], opts: FfmpegSourceOptions = {}): AsyncGenerator<MediaPacket> {
  if (opts.signal?.aborted) throw new AbortedError();
  const proc = new FfmpegProcess(args, { ...opts, stdout: 'pipe' });
  let finished = false;
  try {
    try {
      yield* readFlvStream(proc.stdout!, opts, 'ffmpeg output');
    } catch (e) {
      if (opts.signal?.aborted) throw new AbortedError();
      throw (await proc.outcome()) ?? e;
    }
    const failure = await proc.outcome();
    if (failure) throw opts.signal?.aborted ? new AbortedError() : failure;
    finished = true;
  } finally {
    if (!finished) await proc.stop();
  }
}

/** What play writes packets to: a file (FLV or a container) or an ffmpeg. */
export interface PacketSink extends MediaSink {
  /** Resolves when the sink wants no more packets (an ffmpeg that finished by itself, e.g. `-t 10`). */
  readonly done?: Promise<void>;
}

/**
 * FLV into ffmpeg's stdin (`args` read `-f flv -i pipe:0`); ffmpeg's stdout
 * is ours, so `-f mpegts -` works. close() ends ffmpeg's input and waits for
 * it to finish its output; a failed ffmpeg surfaces as FfmpegError from the
 * next write() or from close(). An ffmpeg that exits with status 0 before
 * its input ends has what it wanted: `done` resolves and later packets are
 * dropped.
 */
export class FfmpegFlvSink implements PacketSink {
  readonly done: Promise<void>;
  private readonly proc: FfmpegProcess;
  private readonly flv: FlvFileSink;
  private closing: Promise<void> | undefined;
  private finished = false;

  constructor(args: readonly string[], opts: Omit<FfmpegSpawnOptions, 'stdin' | 'stdout' | 'signal'> = {}) {
    this.proc = new FfmpegProcess(args, { ...opts, stdin: 'pipe', stdout: 'inherit' });
    this.flv = FlvFileSink.toStream(this.proc.stdin!, 'ffmpeg input');
    this.done = new Promise((resolve) => {
      void this.proc.outcome().then((failure) => {
        if (failure || this.closing) return;
        this.finished = true;
        resolve();
      });
    });
  }

  async write(packet: MediaPacket): Promise<void> {
    if (this.finished) return;
    try {
      await this.flv.write(packet);
    } catch (e) {
      const failure = await this.explain(e);
      if (failure) throw failure;
    }
  }

  /** Flushes, ends ffmpeg's input, waits for it to exit. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.flv.close();
      } catch (e) {
        const failure = await this.explain(e);
        if (failure) throw failure;
      } finally {
        this.proc.stdin?.end();
      }
      const failure = await this.proc.outcome();
      if (failure) throw failure;
    })();
    return this.closing;
  }

  /**
   * A write error is usually ffmpeg having exited: its own error says why,
   * and after a successful exit there is nothing to report (undefined).
   */
  private async explain(e: unknown): Promise<unknown> {
    // The broken pipe is often noticed before the exit: give ffmpeg a moment, then end it.
    const exited = await Promise.race([this.proc.outcome().then(() => true), sleep(KILL_GRACE_MS).then(() => false)]);
    if (!exited) await this.proc.stop();
    const failure = await this.proc.outcome();
    if (failure) return failure;
    return exited && isRtmpError(e) ? undefined : e;
  }
}

/** True when this ffmpeg has the named filter (e.g. drawtext, which needs libfreetype). */
export async function ffmpegHasFilter(name: string, opts: Pick<FfmpegSpawnOptions, 'ffmpegPath' | 'signal'> = {}): Promise<boolean> {
  const proc = new FfmpegProcess(['-hide_banner', '-filters'], { ...opts, stdout: 'pipe' });
  let listing = '';
  try {
    proc.stdout!.setEncoding('utf8');
    for await (const text of proc.stdout!) listing += text as string;
  } catch {
    // a spawn failure: the outcome says which
  }
  const failure = await proc.outcome();
  if (failure) throw failure;
  return new RegExp(`^\\s*\\S+\\s+${name}\\s`, 'm').test(listing);
}

/** Fonts drawtext can use, Debian/Ubuntu first (fonts-dejavu-core), then Fedora and others. */
const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu-sans-mono-fonts/DejaVuSansMono.ttf',
  '/usr/share/fonts/dejavu/DejaVuSansMono.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf',
  '/usr/share/fonts/truetype/freefont/FreeMono.ttf',
  '/usr/share/fonts/TTF/DejaVuSansMono.ttf',
  '/System/Library/Fonts/Menlo.ttc',
];

/** The first readable font of the candidates, or undefined. */
export async function findFont(candidates: readonly string[] = FONT_CANDIDATES): Promise<string | undefined> {
  for (const f of candidates) {
    if (await access(f).then(() => true, () => false)) return f;
  }
  return undefined;
}
