/**
 * The ffmpeg options of `rtmp publish` (--test-pattern, --transcode,
 * --ffmpeg-args) and `rtmp play` (--ffmpeg-output), validated once, up front,
 * into packet sources and sinks. publish.ts and play.ts only ask these
 * functions; the argument arrays are built in pipeline/ffmpeg-args.ts.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { MediaPacket } from '../media/packet.js';
import { parseRtmpUrl } from '../rtmp/url.js';
import { inputArgs, outputArgs, splitArgs, testPatternArgs, type EncodeSettings } from '../pipeline/ffmpeg-args.js';
import type { FfmpegFlvSink, FfmpegSpawnOptions } from '../pipeline/ffmpeg.js';
import type { FlvSourceOptions } from '../pipeline/flv-file-source.js';
import { parseDuration, parseIntOption } from './options.js';
import type { Reporter } from './ui.js';

/** Raw values of publish's ffmpeg options. */
export interface FfmpegPublishRaw {
  testPattern?: boolean;
  transcode?: boolean;
  ffmpegArgs?: string;
  ffmpeg?: string;
  size?: string;
  fps?: string;
  videoBitrate?: string;
  audioBitrate?: string;
  preset?: string;
  gop?: string;
  duration?: string;
  verbose?: boolean;
  showKey?: boolean;
}

const DEFAULT_SIZE = '1280x720';
const DEFAULT_FPS = '30';

/** Adds --test-pattern, --transcode, --ffmpeg-args and their encoding options to publish. */
export function addFfmpegPublishOptions(cmd: Command): Command {
  return cmd
    .option('--test-pattern', 'publish an ffmpeg test pattern (clock, frame counter, 1 kHz beep) instead of an input')
    .option('--transcode', 'read the input with ffmpeg and re-encode it to H.264/AAC')
    .option('--ffmpeg-args <args>', "extra ffmpeg input options, split like a shell would (e.g. '-f v4l2'); ffmpeg reads the input (codec copy unless --transcode)")
    .option('--ffmpeg <path>', 'the ffmpeg binary (default: ffmpeg on PATH)')
    .option('--size <WxH>', `picture size of --test-pattern (default ${DEFAULT_SIZE}) or --transcode (default: as the input)`)
    .option('--fps <n>', `frame rate of --test-pattern (default ${DEFAULT_FPS}) or --transcode (default: as the input)`)
    .option('--video-bitrate <rate>', 'H.264 bitrate for --test-pattern/--transcode', '2500k')
    .option('--audio-bitrate <rate>', 'AAC bitrate for --test-pattern/--transcode', '128k')
    .option('--preset <name>', 'x264 preset for --test-pattern/--transcode', 'veryfast')
    .option('--gop <d|frames>', 'keyframe interval for --test-pattern/--transcode: a duration (2s) or a number of frames', '2s')
    .option('--duration <d>', 'with ffmpeg: stop after this much media (default: until the input ends or Ctrl-C)');
}

/**
 * Sorts publish's operands: `<input> <url>`, or `--test-pattern <url>`.
 * With --test-pattern the input is returned as the label `test pattern`.
 */
export function publishOperands(a: string | undefined, b: string | undefined, raw: FfmpegPublishRaw): [input: string, url: string] {
  const given = [a, b].filter((x): x is string => x !== undefined);
  if (raw.testPattern) {
    if (raw.transcode || raw.ffmpegArgs !== undefined) throw new UsageError('--test-pattern makes its own input: it does not go with --transcode or --ffmpeg-args');
    if (given.length !== 1) throw new UsageError('usage: rtmp publish --test-pattern <url> (no input with --test-pattern)');
    return ['test pattern', given[0]!];
  }
  if (given.length !== 2) throw new UsageError('usage: rtmp publish <input> <url>, or rtmp publish --test-pattern <url>');
  return [given[0]!, given[1]!];
}

/** How publish gets its packets when ffmpeg is involved. */
export interface FfmpegInput {
  /** Starts ffmpeg (again, for each --loop pass) and yields what it makes. */
  open(opts: Pick<FlvSourceOptions, 'onWarning' | 'signal'>): AsyncGenerator<MediaPacket>;
  /** Whether the input operand names a local file to check before connecting. */
  readsFile: boolean;
  /** --duration in ms, for the progress bar (ffmpeg's FLV on a pipe has no duration). */
  durationMs?: number;
}

/**
 * The ffmpeg source for publish's options, or undefined when the input is
 * plain FLV read by us. Validates every option before anything starts.
 */
export async function ffmpegPublishInput(input: string, raw: FfmpegPublishRaw, reporter: Reporter, signal: AbortSignal): Promise<FfmpegInput | undefined> {
  const usesFfmpeg = raw.testPattern || raw.transcode || raw.ffmpegArgs !== undefined;
  if (!usesFfmpeg) {
    const stray = raw.duration !== undefined ? '--duration' : raw.size !== undefined ? '--size' : raw.fps !== undefined ? '--fps' : undefined;
    if (stray) throw new UsageError(`${stray} needs ffmpeg: use it with --test-pattern, --transcode or --ffmpeg-args`);
    return undefined;
  }
  // ffmpeg's messages may quote an RTMP input URL: its key is a secret too.
  if (/^rtmps?:\/\//i.test(input) && !raw.showKey) {
    try {
      const source = parseRtmpUrl(input);
      reporter.addSecrets(source.stream, source.password ?? '');
    } catch {
      // not ours to judge: ffmpeg reports what it cannot open
    }
  }
  // execa is loaded only when ffmpeg is used: it is most of a plain publish's start-up otherwise.
  const { ffmpegFlvPackets, ffmpegHasFilter, findFont } = await import('../pipeline/ffmpeg.js');
  const spawn: Omit<FfmpegSpawnOptions, 'signal'> = {};
  if (raw.ffmpeg !== undefined) spawn.ffmpegPath = raw.ffmpeg;
  if (raw.verbose) spawn.onStderr = (text) => reporter.debug(`ffmpeg: ${text.trimEnd()}`);
  const encode = encodeSettings(raw);
  const durationMs = raw.duration !== undefined ? parseDuration(raw.duration, '--duration') : undefined;
  if (durationMs !== undefined && durationMs <= 0) throw new UsageError('--duration must be greater than zero');
  let args: string[];
  if (raw.testPattern) {
    const size = encode.size ?? parseSize(DEFAULT_SIZE);
    const fps = encode.fps ?? Number(DEFAULT_FPS);
    // drawtext needs an ffmpeg built with libfreetype and a font; testsrc2 has its own clock without it.
    const fontFile = (await ffmpegHasFilter('drawtext', { ...spawn, signal })) ? await findFont() : undefined;
    if (fontFile === undefined) reporter.debug('test pattern without the drawtext timecode (no drawtext filter or no font)');
    args = testPatternArgs({ ...encode, size, fps, sampleRate: 48000, zeroLatency: true, ...(fontFile !== undefined ? { fontFile } : {}), ...(durationMs !== undefined ? { durationMs } : {}) });
  } else {
    const extra = raw.ffmpegArgs !== undefined ? splitArgs(raw.ffmpegArgs, '--ffmpeg-args') : [];
    args = inputArgs({ inputArgs: extra, input, ...(raw.transcode ? { encode } : {}), ...(durationMs !== undefined ? { durationMs } : {}) });
  }
  reporter.debug(`ffmpeg ${args.join(' ')}`);
  return {
    // A URL (rtmp://, srt://, https://…) or anything --ffmpeg-args describes is ffmpeg's to open.
    readsFile: !raw.testPattern && raw.ffmpegArgs === undefined && !/^[a-z][a-z0-9+.-]*:/i.test(input),
    ...(durationMs !== undefined ? { durationMs } : {}),
    open: (opts) => ffmpegFlvPackets(args, { ...spawn, ...opts, stdin: input === '-' && !raw.testPattern ? 'inherit' : 'ignore' }),
  };
}

/** The encoding options, checked. */
function encodeSettings(raw: FfmpegPublishRaw): EncodeSettings {
  const settings: EncodeSettings = {
    preset: checkWord(raw.preset ?? 'veryfast', '--preset'),
    gop: parseGop(raw.gop ?? '2s'),
    videoBitrate: checkBitrate(raw.videoBitrate ?? '2500k', '--video-bitrate'),
    audioBitrate: checkBitrate(raw.audioBitrate ?? '128k', '--audio-bitrate'),
  };
  if (raw.size !== undefined) settings.size = parseSize(raw.size);
  if (raw.fps !== undefined) settings.fps = parseIntOption(raw.fps, '--fps', 1, 240);
  return settings;
}

/** "1280x720" → width and height (even numbers: yuv420p halves both for chroma). */
export function parseSize(text: string): { width: number; height: number } {
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(text.trim());
  const width = Number(m?.[1]);
  const height = Number(m?.[2]);
  if (!m || width < 16 || height < 16 || width > 8192 || height > 8192 || width % 2 !== 0 || height % 2 !== 0) {
    throw new UsageError(`--size must be WIDTHxHEIGHT with even numbers from 16 to 8192, e.g. 1280x720, not '${text}'`);
  }
  return { width, height };
}

/** "2s" → seconds; "60" → frames. */
export function parseGop(text: string): EncodeSettings['gop'] {
  if (/^\s*\d+\s*$/.test(text)) return { frames: parseIntOption(text, '--gop', 1, 100_000) };
  const ms = parseDuration(text, '--gop');
  if (ms <= 0) throw new UsageError('--gop must be greater than zero');
  return { seconds: ms / 1000 };
}

function checkBitrate(text: string, option: string): string {
  if (!/^\d+(\.\d+)?[kKmM]?$/.test(text)) throw new UsageError(`${option} must be a bitrate such as 2500k or 3M, not '${text}'`);
  return text;
}

function checkWord(text: string, option: string): string {
  if (!/^[a-z]+$/.test(text)) throw new UsageError(`${option} must be an x264 preset name such as veryfast, not '${text}'`);
  return text;
}

/** Raw values of play's ffmpeg options. */
export interface FfmpegPlayRaw {
  output?: string;
  ffmpegOutput?: string;
  ffmpeg?: string;
  verbose?: boolean;
}

/** Adds --ffmpeg-output and --ffmpeg to play. */
export function addFfmpegPlayOptions(cmd: Command): Command {
  return cmd
    .option('--ffmpeg-output <args>', "send the stream into ffmpeg -f flv -i pipe:0 <args> (e.g. '-c copy out.ts') instead of -o")
    .option('--ffmpeg <path>', 'the ffmpeg binary (default: ffmpeg on PATH)');
}

/**
 * Checks play's output choice (exactly one of -o and --ffmpeg-output) and
 * returns how to start the ffmpeg sink, or undefined for -o.
 */
export async function ffmpegPlayOutput(raw: FfmpegPlayRaw, reporter: Reporter): Promise<(() => FfmpegFlvSink) | undefined> {
  if (raw.ffmpegOutput === undefined) {
    if (raw.output === undefined) throw new UsageError("rtmp play needs -o <file.flv|-> or --ffmpeg-output '<ffmpeg output args>'");
    return undefined;
  }
  if (raw.output !== undefined) throw new UsageError('-o and --ffmpeg-output cannot be used together: choose one output');
  const user = splitArgs(raw.ffmpegOutput, '--ffmpeg-output');
  if (user.length === 0) throw new UsageError("--ffmpeg-output needs ffmpeg output arguments, e.g. '-c copy out.ts'");
  const args = outputArgs(user);
  const spawn: Omit<FfmpegSpawnOptions, 'signal' | 'stdin' | 'stdout'> = {};
  if (raw.ffmpeg !== undefined) spawn.ffmpegPath = raw.ffmpeg;
  if (raw.verbose) spawn.onStderr = (text) => reporter.debug(`ffmpeg: ${text.trimEnd()}`);
  reporter.debug(`ffmpeg ${args.join(' ')}`);
  const { FfmpegFlvSink } = await import('../pipeline/ffmpeg.js');
  return () => new FfmpegFlvSink(args, spawn);
}
