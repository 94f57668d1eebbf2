/**
 * The one reporter for everything people read: plain lines, warnings, the
 * --verbose trace, a spinner or a progress bar. It writes to stderr only
 * (stdout may carry media or JSON), is silent with --quiet, shows no
 * animation when stderr is not a TTY, and redacts secrets in every line.
 */
import type { ChalkInstance } from 'chalk';
import type { SingleBar } from 'cli-progress';
import type { Ora } from 'ora';
import { redactSecrets } from '../rtmp/url.js';

/** Spinner, progress-bar and colour modules, loaded only when a terminal will show them (they cost ~70 ms of start-up). */
let animations: { ora: typeof import('ora').default; cliProgress: typeof import('cli-progress'); Chalk: typeof import('chalk').Chalk } | undefined;

/** The few colours we use; plain text unless chalk was loaded for a colour terminal. */
interface Colors {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  dim(s: string): string;
}
const plain: Colors = { green: (s) => s, yellow: (s) => s, red: (s) => s, dim: (s) => s };

/** True when stderr is a terminal that shows animations (not CI, not TERM=dumb). */
export function stderrIsInteractive(): boolean {
  // A terminal that reports no width (some ptys under CI runners) would make ora redraw for ever.
  const columns = process.stderr.columns ?? 0;
  return Boolean(process.stderr.isTTY) && columns > 0 && process.env['TERM'] !== 'dumb' && process.env['CI'] !== 'true';
}

/** Loads ora and cli-progress; call before creating a Reporter that should animate. */
export async function loadAnimations(): Promise<void> {
  if (animations) return;
  const [oraModule, cliProgress, chalk] = await Promise.all([import('ora'), import('cli-progress'), import('chalk')]);
  animations = { ora: oraModule.default, cliProgress: cliProgress.default ?? cliProgress, Chalk: chalk.Chalk };
}

/** Secrets at least this long are hidden wherever they appear; shorter ones only when quoted. */
const MIN_FREE_TEXT_SECRET = 6;

export interface ReporterOptions {
  quiet?: boolean;
  verbose?: boolean;
  /** Secrets (stream key, password) to hide in every printed line. */
  secrets?: string[];
  stream?: NodeJS.WriteStream;
  /** --json: progress and results go to `jsonStream` (default stdout) as NDJSON events; no animations, no info lines. */
  json?: boolean;
  jsonStream?: NodeJS.WritableStream;
}

export interface ProgressHandle {
  update(value: number, fields: Record<string, string>): void;
  stop(): void;
}

export class Reporter {
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly json: boolean;
  private readonly out: NodeJS.WriteStream;
  private readonly jsonOut: NodeJS.WritableStream;
  private lastProgressEvent = 0;
  private secrets: string[];
  private readonly color: Colors | ChalkInstance;
  readonly interactive: boolean;
  private spinner: Ora | undefined;
  private bar: SingleBar | undefined;

  constructor(opts: ReporterOptions = {}) {
    this.quiet = opts.quiet ?? false;
    this.verbose = opts.verbose ?? false;
    this.json = opts.json ?? false;
    this.out = opts.stream ?? process.stderr;
    this.jsonOut = opts.jsonStream ?? process.stdout;
    this.secrets = (opts.secrets ?? []).filter((s) => s.length > 0);
    const tty = Boolean(this.out.isTTY);
    const noColor = process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '';
    this.color = tty && !noColor && animations ? new animations.Chalk({ level: 1 }) : plain;
    this.interactive = tty && !this.quiet && !this.json && animations !== undefined && process.env['TERM'] !== 'dumb' && process.env['CI'] !== 'true';
  }

  /** Adds secrets learned later (e.g. after parsing the URL). */
  addSecrets(...s: string[]): void {
    this.secrets.push(...s.filter((x) => x.length > 0));
  }

  /**
   * Hides every secret in `text`. A short secret (under 6 characters) would
   * also match inside ordinary words, so only its quoted form — as in the
   * --verbose command trace — is hidden; URLs are redacted by structure
   * (redactUrl) before they get here.
   */
  redact(text: string): string {
    if (this.secrets.length === 0) return text;
    const long = this.secrets.filter((x) => x.length >= MIN_FREE_TEXT_SECRET);
    let out = long.length ? redactSecrets(text, long) : text;
    for (const x of this.secrets) {
      if (x.length < MIN_FREE_TEXT_SECRET) out = out.split(`'${x}'`).join("'****'").split(`"${x}"`).join('"****"');
    }
    return out;
  }

  private line(text: string): void {
    this.clearAnimation();
    this.out.write(`${this.redact(text)}\n`);
  }

  /** A line for people; with --json the events say it instead. */
  info(text: string): void {
    if (!this.quiet && !this.json) this.line(text);
  }

  success(text: string): void {
    if (!this.quiet && !this.json) this.line(this.color.green(text));
  }

  /** A warning on stderr, and a `warning` event with --json. */
  warn(text: string): void {
    if (!this.quiet) this.line(this.color.yellow(`warning: ${text}`));
    this.event('warning', { message: text });
  }

  /**
   * One NDJSON event on stdout with --json (a no-op otherwise): `time`,
   * `type`, then `fields`. Every string in it is redacted.
   */
  event(type: string, fields: object = {}): void {
    if (!this.json) return;
    const redact = (v: unknown): unknown =>
      typeof v === 'string' ? this.redact(v) : Array.isArray(v) ? v.map(redact) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x)])) : v;
    this.jsonOut.write(`${JSON.stringify({ time: new Date().toISOString(), type, ...(redact(fields) as object) })}\n`);
  }

  /** A `progress` event, at most one a second (the first at once). */
  progressEvent(fields: object): void {
    if (!this.json) return;
    const now = performance.now();
    if (now - this.lastProgressEvent >= 1000) {
      this.lastProgressEvent = now;
      this.event('progress', fields);
    }
  }

  /** The one error line; printed even with --quiet. */
  error(text: string): void {
    this.stopAll();
    this.out.write(`${this.color.red('error:')} ${this.redact(text)}\n`);
  }

  /** Verbose detail (stack traces, message trace). */
  debug(text: string): void {
    if (this.verbose) this.line(this.color.dim(text));
  }

  /** A spinner for a step on a TTY; a no-op otherwise. */
  step(text: string): void {
    if (!this.interactive || !animations) return;
    this.bar?.stop();
    this.bar = undefined;
    const t = this.redact(text);
    if (this.spinner) this.spinner.text = t;
    else this.spinner = animations.ora({ text: t, stream: this.out }).start();
  }

  stepDone(text?: string): void {
    if (!this.spinner) return;
    if (text) this.spinner.succeed(this.redact(text));
    else this.spinner.stop();
    this.spinner = undefined;
  }

  /** A progress bar on a TTY (total 0 = unknown). */
  progress(total: number, format: string): ProgressHandle {
    if (!this.interactive || !animations) return { update() {}, stop() {} };
    this.stepDone();
    const { cliProgress } = animations;
    const bar = new cliProgress.SingleBar(
      { format, stream: this.out, hideCursor: true, clearOnComplete: true, barsize: 30, etaBuffer: 50, fps: 5 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, {});
    this.bar = bar;
    return {
      update: (value, fields) => bar.update(value, fields),
      stop: () => {
        bar.stop();
        if (this.bar === bar) this.bar = undefined;
      },
    };
  }

  /** Several status lines updated in place on a TTY (one per relay destination); a no-op otherwise. */
  board(count: number, format: string): { update(i: number, fields: Record<string, string>): void; stop(): void } {
    if (!this.interactive || !animations) return { update() {}, stop() {} };
    this.stepDone();
    const multi = new animations.cliProgress.MultiBar({ format, stream: this.out, hideCursor: true, clearOnComplete: false, fps: 4, autopadding: true });
    const bars = Array.from({ length: count }, () => multi.create(1, 0, {}));
    return {
      update: (i, fields) => bars[i]?.update(0, fields),
      stop: () => multi.stop(),
    };
  }

  private clearAnimation(): void {
    if (this.spinner) this.spinner.clear();
  }

  stopAll(): void {
    this.spinner?.stop();
    this.spinner = undefined;
    this.bar?.stop();
    this.bar = undefined;
  }
}

/** 1234567 → "1.2 MB". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** Bits per second → "2.5 Mbit/s". */
export function formatBitrate(bps: number): string {
  if (!Number.isFinite(bps) || bps <= 0) return '0 kbit/s';
  if (bps < 1e6) return `${(bps / 1e3).toFixed(0)} kbit/s`;
  return `${(bps / 1e6).toFixed(2)} Mbit/s`;
}

/** Milliseconds → "1:02.5" / "5.0 s". */
export function formatMs(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, '0')}`;
}
