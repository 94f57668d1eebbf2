/**
 * FLV into MP4/MOV/Matroska without re-encoding: `rtmp flv convert`, and the
 * second half of `rtmp play --faststart`.
 *
 * A moov-first ("fast start") MP4 needs its sample tables before the media,
 * which a stream cannot give. Rather than holding the media in memory, the
 * FLV is read twice: a first pass counts the packets of each track, so the
 * muxer can reserve room for the moov at the start of the file; the second
 * pass writes the samples after it. Memory stays bounded by one FLV tag plus
 * the sample tables.
 */
import { unlink } from 'node:fs/promises';
import { IoError } from '../errors.js';
import { PacketType, type MediaPacket } from '../media/packet.js';
import { ContainerSink, type ContainerSinkSummary } from './container-sink.js';
import { FlvFileSink } from './flv-file-sink.js';
import { readFlvPackets } from './flv-file-source.js';
import type { ContainerSinkOptions, MediaSink } from './media-sink.js';

/** Options for convertFlv. */
export interface ConvertOptions extends ContainerSinkOptions {
  signal?: AbortSignal;
  /** Tolerated problems in the FLV input (bad PreviousTagSize, truncated end), with the byte offset. */
  onInputWarning?: (message: string, offset: number) => void;
}

/** Counts the audio and video tags of an FLV file (an upper bound of the samples each track gets). */
export async function countFlvPackets(input: string, signal?: AbortSignal): Promise<{ video: number; audio: number }> {
  const counts = { video: 0, audio: 0 };
  for await (const p of readFlvPackets(input, signal ? { signal, onWarning: () => undefined } : { onWarning: () => undefined })) {
    if (p.type === PacketType.Video) counts.video++;
    else if (p.type === PacketType.Audio) counts.audio++;
  }
  return counts;
}

/**
 * Remuxes an FLV file into a container file. For MP4/MOV with layout
 * 'faststart' (the default here) the input is read twice (see above).
 * Throws IoError for a codec the container cannot hold (no output is left
 * when that is found before the first sample), and whatever reading the FLV throws.
 */
export async function convertFlv(input: string, output: string, opts: ConvertOptions): Promise<ContainerSinkSummary> {
  const isobmff = opts.format === 'mp4' || opts.format === 'mov';
  const sinkOpts: ContainerSinkOptions = { ...opts, layout: isobmff ? (opts.layout ?? 'faststart') : 'fragmented' };
  if (sinkOpts.layout === 'faststart' && isobmff) sinkOpts.packetCounts = await countFlvPackets(input, opts.signal);
  const sink = await ContainerSink.open(output, sinkOpts);
  const readOpts = { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onInputWarning ? { onWarning: opts.onInputWarning } : {}) };
  try {
    for await (const p of readFlvPackets(input, readOpts)) await sink.write(p);
  } catch (err) {
    // What was written stays a playable file (a sink that never started leaves none).
    await sink.close().catch(() => undefined);
    throw err;
  }
  return sink.close();
}

/**
 * `play --faststart`: records to `<output>.rec.flv` (which survives a crash
 * and can be converted later), then on close converts it into a moov-first
 * MP4/MOV and removes it.
 */
export class FastStartSink implements MediaSink {
  private readonly flv: FlvFileSink;
  private readonly output: string;
  private readonly opts: ContainerSinkOptions;
  private closing: Promise<ContainerSinkSummary> | undefined;

  private constructor(flv: FlvFileSink, output: string, opts: ContainerSinkOptions) {
    this.flv = flv;
    this.output = output;
    this.opts = opts;
  }

  /** The temporary recording next to `output`. */
  static tempPath(output: string): string {
    return `${output}.rec.flv`;
  }

  static async open(output: string, opts: ContainerSinkOptions): Promise<FastStartSink> {
    const flv = await FlvFileSink.open(FastStartSink.tempPath(output), { force: opts.force ?? false });
    return new FastStartSink(flv, output, opts);
  }

  write(packet: MediaPacket): Promise<void> {
    return this.flv.write(packet);
  }

  close(): Promise<ContainerSinkSummary> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<ContainerSinkSummary> {
    const temp = this.flv.path;
    await this.flv.close();
    let summary: ContainerSinkSummary;
    try {
      summary = await convertFlv(temp, this.output, { ...this.opts, layout: 'faststart' });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new IoError(`${why}; the recording is kept in '${temp}'`, { cause: err });
    }
    await unlink(temp).catch(() => undefined);
    return summary;
  }
}
