/**
 * Where recorded media goes: the one interface the writers share, the output
 * formats and how a path picks one. The container writers (mediabunny) load
 * only when a container is asked for.
 */
import { UsageError } from '../errors.js';
import type { MediaPacket } from '../media/packet.js';
import type { ContainerCapabilities } from './container-tracks.js';

/** A destination for media packets: FlvFileSink, ContainerSink, FastStartSink. */
export interface MediaSink {
  /** Takes one packet; resolves when more may be written (backpressure). */
  write(packet: MediaPacket): Promise<void>;
  /** Finishes the output so it is a complete file. Safe to call twice. */
  close(): Promise<unknown>;
}

export const OUTPUT_FORMATS = ['flv', 'mp4', 'mov', 'mkv', 'webm'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export type ContainerFormat = Exclude<OutputFormat, 'flv'>;

const EXTENSIONS: Record<string, ContainerFormat> = { '.mp4': 'mp4', '.m4v': 'mp4', '.mov': 'mov', '.mkv': 'mkv', '.webm': 'webm' };

/** The format for an output path: by extension; FLV for anything else and for stdout ('-'). */
export function formatOfPath(path: string): OutputFormat {
  if (path === '-') return 'flv';
  const dot = path.lastIndexOf('.');
  return (dot > path.lastIndexOf('/') && EXTENSIONS[path.slice(dot).toLowerCase()]) || 'flv';
}

/** Validates `--format`. */
export function parseFormatOption(value: string): OutputFormat {
  const v = value.toLowerCase();
  if ((OUTPUT_FORMATS as readonly string[]).includes(v)) return v as OutputFormat;
  throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}, not '${value}'`);
}

const ALL_VIDEO = ['h264', 'hevc', 'av1', 'vp9', 'vp8'];
const ALL_AUDIO = ['aac', 'opus', 'mp3', 'ac3', 'flac'];
const REFUSAL = 'rtmp writes H.264, HEVC, AV1, VP9 and VP8 video and AAC, Opus, MP3, AC-3 and FLAC audio into containers; record to .flv instead';

/**
 * What each container takes from us (ids as in media/codec-names.ts): what
 * mediabunny's muxer holds and the FLV side can feed it without re-encoding.
 */
export const CONTAINER_CAPABILITIES: Record<ContainerFormat, ContainerCapabilities> = {
  mp4: { name: 'MP4', video: ALL_VIDEO, audio: ALL_AUDIO, refusal: REFUSAL },
  mov: { name: 'MOV', video: ALL_VIDEO, audio: ALL_AUDIO, refusal: REFUSAL },
  mkv: { name: 'Matroska', video: ALL_VIDEO, audio: ALL_AUDIO, refusal: REFUSAL },
  // WebM allows VP8/VP9/AV1 and Opus/Vorbis only (FLV has no Vorbis).
  webm: { name: 'WebM', video: ['vp8', 'vp9', 'av1'], audio: ['opus'], refusal: 'WebM holds only VP8, VP9 or AV1 video and Opus audio; use .mkv or .mp4 (or .flv)' },
};

/** How an MP4/MOV is laid out. */
export type IsobmffLayout =
  /** moof/mdat fragments as media arrives: bounded memory, playable up to the last whole fragment if cut short. */
  | 'fragmented'
  /** moov first, in space reserved from packet counts known in advance (see ContainerSinkOptions.packetCounts). */
  | 'faststart';

/** Options for a container output. */
export interface ContainerSinkOptions {
  format: ContainerFormat;
  /** Overwrite an existing file. */
  force?: boolean;
  /** MP4/MOV only; default 'fragmented'. */
  layout?: IsobmffLayout;
  /** Upper bounds of the packets each track will get; required for layout 'faststart'. */
  packetCounts?: { video: number; audio: number };
  /** Called for each tolerated problem (a late track, a changed sequence header). */
  onWarning?: (message: string) => void;
}

/** Options for openMediaSink. */
export interface MediaSinkOptions {
  format: OutputFormat;
  force?: boolean;
  /**
   * MP4/MOV: record to `<output>.rec.flv` first and write a moov-first MP4
   * from it on close (instead of a fragmented MP4).
   */
  fastStart?: boolean;
  onWarning?: (message: string) => void;
}

/**
 * Checks an output's options before anything connects: FLV only on stdout,
 * `--faststart` only for MP4/MOV. Whether the codecs fit the container is
 * known only once the stream says (container-tracks.ts). Throws UsageError.
 */
export function checkSinkOptions(output: string, opts: Pick<MediaSinkOptions, 'format' | 'fastStart'>): void {
  if (output === '-' && opts.format !== 'flv') throw new UsageError(`-o - writes FLV to stdout; --format ${opts.format} needs a file name`);
  if (opts.fastStart && opts.format !== 'mp4' && opts.format !== 'mov') {
    throw new UsageError(`--faststart is for MP4 and MOV output, not ${opts.format.toUpperCase()}`);
  }
}

/** Opens the writer for `output` in the given format. */
export async function openMediaSink(output: string, opts: MediaSinkOptions): Promise<MediaSink> {
  checkSinkOptions(output, opts);
  const force = opts.force ?? false;
  if (opts.format === 'flv') {
    const { FlvFileSink } = await import('./flv-file-sink.js');
    return FlvFileSink.open(output, { force });
  }
  const sinkOpts: ContainerSinkOptions = { format: opts.format, force };
  if (opts.onWarning) sinkOpts.onWarning = opts.onWarning;
  if (opts.fastStart) {
    const { FastStartSink } = await import('./flv-convert.js');
    return FastStartSink.open(output, sinkOpts);
  }
  const { ContainerSink } = await import('./container-sink.js');
  return ContainerSink.open(output, sinkOpts);
}
