/**
 * Pure helpers for running ffmpeg: a quote-aware argument splitter (so users
 * can pass `--ffmpeg-args '-f v4l2 -framerate 30'` without us ever running a
 * shell), a bounded tail of ffmpeg's stderr, and the argument arrays for each
 * way the toolkit uses ffmpeg. No processes are spawned here (see ffmpeg.ts).
 */
import { UsageError } from '../errors.js';

/**
 * Splits `text` into arguments the way a POSIX shell splits words, without
 * any expansion: blanks separate words; '...' keeps everything literally;
 * "..." keeps everything but lets a backslash escape `"`, `\`, `$` and a
 * backquote; outside quotes a backslash keeps the next character. `''` is an
 * empty argument. `option` names the option in the error for an unclosed
 * quote or a trailing backslash.
 */
export function splitArgs(text: string, option: string): string[] {
  const args: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) args.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new UsageError(`${option}: unclosed ' quote at character ${i + 1} of '${text}'`);
      word += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      for (;;) {
        const d = text[j];
        if (d === undefined) throw new UsageError(`${option}: unclosed " quote at character ${i + 1} of '${text}'`);
        if (d === '"') break;
        const next = text[j + 1];
        if (d === '\\' && next !== undefined && '"\\$`'.includes(next)) {
          word += next;
          j += 2;
        } else {
          word += d;
          j++;
        }
      }
      i = j + 1;
    } else if (c === '\\') {
      const next = text[i + 1];
      if (next === undefined) throw new UsageError(`${option}: trailing backslash in '${text}'`);
      // A backslash-newline joins lines, as in a shell.
      if (next !== '\n') word += next;
      i += 2;
    } else {
      word += c;
      i++;
    }
  }
  if (inWord) args.push(word);
  return args;
}

/**
 * The last `maxBytes` (about) of a child's stderr, for error messages.
 * ffmpeg can print for hours; only the end is kept. Carriage returns
 * (progress lines) count as line ends.
 */
export class StderrTail {
  private text = '';
  private readonly max: number;

  constructor(maxBytes: number) {
    this.max = maxBytes;
  }

  push(chunk: string | Buffer): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (this.text.length > this.max) {
      const cut = this.text.slice(this.text.length - this.max);
      // Drop the partial first line unless the tail is one huge line.
      const nl = cut.search(/[\r\n]/);
      this.text = nl >= 0 && nl < cut.length - 1 ? cut.slice(nl + 1) : cut;
    }
  }

  /** The last `n` non-blank lines, trimmed, oldest first. */
  lines(n: number): string[] {
    if (n <= 0) return [];
    return this.text
      .split(/\r\n|\r|\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
      .slice(-n);
  }

  /** Everything kept. */
  toString(): string {
    return this.text;
  }
}

/** Options common to every ffmpeg we start: quiet but for errors, never reading the terminal. */
export function ffmpegGlobalArgs(loglevel = 'error'): string[] {
  return ['-hide_banner', '-nostdin', '-nostats', '-loglevel', loglevel];
}

/** ffmpeg output options that write FLV to stdout without trying to seek back. */
export const FLV_TO_STDOUT = ['-flvflags', 'no_duration_filesize', '-f', 'flv', 'pipe:1'] as const;

/** H.264 + AAC encoding settings (test pattern and --transcode). */
export interface EncodeSettings {
  /** x264 preset, e.g. veryfast. */
  preset: string;
  /** Keyframe interval: a number of frames, or seconds. */
  gop: { frames: number } | { seconds: number };
  /** ffmpeg bitrate syntax, e.g. 2500k. */
  videoBitrate: string;
  audioBitrate: string;
  /** Output frame rate; unchanged from the input when absent. */
  fps?: number;
  /** Output size; unchanged from the input when absent. */
  size?: { width: number; height: number };
  /** Audio sample rate; unchanged when absent. */
  sampleRate?: number;
  /** x264 `-tune zerolatency` (no B-frames, no look-ahead): for live sources. */
  zeroLatency?: boolean;
}

/** `-t` for a media duration in ms; nothing (until the input ends) when absent. */
function durationArgs(ms: number | undefined): string[] {
  return ms === undefined ? [] : ['-t', (ms / 1000).toFixed(3).replace(/\.?0+$/, '')];
}

/** The first video and the first audio stream of the first input, either optional. */
const FIRST_AV = ['-map', '0:v:0?', '-map', '0:a:0?'] as const;

/** Output options that encode video to H.264 (yuv420p) and audio to AAC, for FLV. */
export function h264AacArgs(e: EncodeSettings): string[] {
  const args = ['-c:v', 'libx264', '-preset', e.preset];
  if (e.zeroLatency) args.push('-tune', 'zerolatency');
  args.push('-pix_fmt', 'yuv420p');
  if (e.size) args.push('-s', `${e.size.width}x${e.size.height}`);
  if (e.fps !== undefined) args.push('-r', String(e.fps));
  // A fixed GOP: keyframes exactly every N frames (or seconds), none at scene cuts.
  const frames = 'frames' in e.gop ? e.gop.frames : e.fps !== undefined ? Math.max(1, Math.round(e.gop.seconds * e.fps)) : undefined;
  if (frames !== undefined) args.push('-g', String(frames), '-keyint_min', String(frames), '-sc_threshold', '0');
  else if ('seconds' in e.gop) args.push('-force_key_frames', `expr:gte(t,n_forced*${e.gop.seconds})`, '-sc_threshold', '0');
  const bufsize = doubleBitrate(e.videoBitrate);
  args.push('-b:v', e.videoBitrate, '-maxrate', e.videoBitrate, ...(bufsize ? ['-bufsize', bufsize] : []));
  args.push('-c:a', 'aac', '-b:a', e.audioBitrate);
  if (e.sampleRate !== undefined) args.push('-ar', String(e.sampleRate));
  return args;
}

/** Settings of the lavfi test pattern. */
export interface TestPatternSettings extends EncodeSettings {
  size: { width: number; height: number };
  fps: number;
  /** Media time to produce, ms; until stopped when absent. */
  durationMs?: number;
  /**
   * A TrueType font for drawtext's timecode overlay (a path without filtergraph
   * special characters); the plain pattern, which has its own clock, without it.
   */
  fontFile?: string;
}

/**
 * `rtmp publish --test-pattern`: testsrc2 (colour bars, a moving pattern,
 * its own time and frame counter) with, when a font is available, a large
 * drawtext line with the media time, frame number and wall-clock time (to
 * read latency off a player), and a 1 kHz tone beeping once a second.
 */
export function testPatternArgs(s: TestPatternSettings): string[] {
  const { width, height } = s.size;
  let video = `testsrc2=size=${width}x${height}:rate=${s.fps}`;
  if (s.fontFile !== undefined) {
    const fontSize = Math.max(12, Math.round(height / 18));
    video +=
      `,drawtext=fontfile=${s.fontFile}:fontsize=${fontSize}:fontcolor=white` +
      `:box=1:boxcolor=black@0.6:boxborderw=${Math.round(fontSize / 4)}:x=(w-tw)/2:y=h-th-${fontSize}` +
      `:text='%{pts\\:hms}  frame %{n}  %{localtime}'`;
  }
  return [
    ...ffmpegGlobalArgs(),
    '-f', 'lavfi', '-i', video,
    '-f', 'lavfi', '-i', `sine=frequency=1000:beep_factor=4:sample_rate=${s.sampleRate ?? 48000}`,
    '-map', '0:v', '-map', '1:a',
    ...h264AacArgs(s),
    '-ac', '2',
    ...durationArgs(s.durationMs),
    ...FLV_TO_STDOUT,
  ];
}

/** How ffmpeg reads a user's input for `publish --transcode` / `--ffmpeg-args`. */
export interface InputSettings {
  /** Input options placed before `-i` (from --ffmpeg-args). */
  inputArgs: string[];
  /** The input: a file, `-` (stdin), a URL, a device, a lavfi graph. */
  input: string;
  /** Re-encode to H.264/AAC; codec copy when absent. */
  encode?: EncodeSettings;
  /** Media time to send, ms; until the input ends when absent. */
  durationMs?: number;
}

/** ffmpeg reading the input and writing FLV to stdout (codec copy unless `encode`). */
export function inputArgs(s: InputSettings): string[] {
  const output = [...FIRST_AV, ...(s.encode ? h264AacArgs(s.encode) : ['-c', 'copy']), ...durationArgs(s.durationMs)];
  return [...ffmpegGlobalArgs(), ...s.inputArgs, '-i', s.input === '-' ? 'pipe:0' : s.input, ...output, ...FLV_TO_STDOUT];
}

/** `rtmp play --ffmpeg-output`: ffmpeg reads FLV on stdin; the user's arguments say what it makes of it. */
export function outputArgs(userArgs: string[]): string[] {
  return [...ffmpegGlobalArgs(), '-f', 'flv', '-i', 'pipe:0', ...userArgs];
}

/** "2500k" → "5000k" (for -bufsize); undefined when the rate is not a plain number with an optional k/M. */
function doubleBitrate(rate: string): string | undefined {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(rate);
  if (!m) return undefined;
  return `${Number(m[1]) * 2}${m[2]}`;
}
