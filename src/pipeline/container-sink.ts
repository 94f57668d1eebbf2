/**
 * MediaPackets into MP4, MOV, Matroska or WebM, muxed by mediabunny without
 * re-encoding: each coded frame's bytes go into the container as they are
 * (FLV's AVC/HEVC NALUs are already length-prefixed like MP4 samples, AV1
 * frames are OBUs as in MP4, VP8/VP9 frames, AAC, Opus and MP3 frames are
 * raw). container-tracks.ts decides the tracks and the timing; this file
 * owns the file and the muxer.
 *
 * The file is written at explicit positions through a handle we open (so
 * --force keeps its meaning), one write at a time: mediabunny waits for each,
 * which is the backpressure. Memory: a fragmented MP4 holds one fragment
 * (from one keyframe to the next after at least 1 s); Matroska one cluster
 * plus its cue index; the moov-first layout only the sample tables.
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { WritableStream } from 'node:stream/web';
import {
  EncodedAudioPacketSource,
  EncodedPacket,
  EncodedVideoPacketSource,
  MkvOutputFormat,
  MovOutputFormat,
  Mp4OutputFormat,
  Output,
  StreamTarget,
  WebMOutputFormat,
  type OutputFormat as MuxerFormat,
  type StreamTargetChunk,
} from 'mediabunny';
import { IoError, isRtmpError } from '../errors.js';
import type { MediaPacket } from '../media/packet.js';
import { TrackPlanner, type AudioTrackConfig, type ContainerSample, type PlanStep, type VideoTrackConfig } from './container-tracks.js';
import { describeIoError } from './flv-file-source.js';
import { Fmp4DecodeShift } from './fmp4-decode-shift.js';
import { CONTAINER_CAPABILITIES, type ContainerSinkOptions, type MediaSink } from './media-sink.js';

/** What close() reports. */
export interface ContainerSinkSummary {
  /** Size of the file written. */
  bytes: number;
  /** Samples written per track. */
  video: number;
  audio: number;
  /** Last minus first decode time (ms) over all samples. */
  durationMs: number;
  /** False when no media arrived: then no file is left behind. */
  written: boolean;
}

/** Writes MediaPackets into a container file. */
export class ContainerSink implements MediaSink {
  readonly path: string;
  private readonly handle: FileHandle;
  private readonly opts: ContainerSinkOptions;
  private readonly planner: TrackPlanner;
  private output: Output | undefined;
  private videoSource: EncodedVideoPacketSource | undefined;
  private audioSource: EncodedAudioPacketSource | undefined;
  private videoMeta: VideoTrackConfig | undefined;
  private audioMeta: AudioTrackConfig | undefined;
  private bytes = 0;
  private counts = { video: 0, audio: 0 };
  private lastDts = 0;
  private error: unknown;
  private closing: Promise<ContainerSinkSummary> | undefined;

  private constructor(path: string, handle: FileHandle, opts: ContainerSinkOptions) {
    this.path = path;
    this.handle = handle;
    this.opts = opts;
    this.planner = new TrackPlanner(CONTAINER_CAPABILITIES[opts.format]);
  }

  /** Creates the file (refusing to replace one unless `force`). */
  static async open(path: string, opts: ContainerSinkOptions): Promise<ContainerSink> {
    if (opts.layout === 'faststart' && !opts.packetCounts) throw new Error('layout faststart needs packetCounts');
    let handle: FileHandle;
    try {
      handle = await open(path, opts.force ? 'w' : 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new IoError(`'${path}' exists; use --force to overwrite`, { cause: err });
      throw describeIoError('create', path, err);
    }
    return new ContainerSink(path, handle, opts);
  }

  async write(packet: MediaPacket): Promise<void> {
    if (this.error) throw this.error;
    if (this.closing) throw new IoError(`write to '${this.path}' after close`);
    try {
      await this.apply(this.planner.push(packet));
    } catch (err) {
      this.error = this.wrap(err);
      throw this.error;
    }
  }

  /** Finalizes the file (fragments flushed, moov/cues written). With no media at all, removes it. */
  close(): Promise<ContainerSinkSummary> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<ContainerSinkSummary> {
    let failure: unknown = this.error;
    try {
      if (!failure) await this.apply(this.planner.end());
      if (this.output && !failure) await this.output.finalize();
    } catch (err) {
      failure ??= this.wrap(err);
    }
    if (this.output && this.output.state !== 'finalized') await this.output.cancel().catch(() => undefined);
    await this.handle.close().catch((err: unknown) => {
      failure ??= describeIoError('write', this.path, err);
    });
    const written = this.output !== undefined;
    if (!written) await unlink(this.path).catch(() => undefined);
    if (failure) throw failure;
    return { bytes: this.bytes, video: this.counts.video, audio: this.counts.audio, durationMs: this.lastDts, written };
  }

  private async apply(steps: PlanStep[]): Promise<void> {
    for (const step of steps) {
      if (step.type === 'sample') await this.add(step.sample);
      else if (step.type === 'start') await this.start(step.video, step.audio);
      else this.opts.onWarning?.(step.message);
    }
  }

  private async start(video: VideoTrackConfig | undefined, audio: AudioTrackConfig | undefined): Promise<void> {
    const output = new Output({ format: this.muxerFormat(), target: new StreamTarget(this.positionalWriter()) });
    const counts = this.opts.packetCounts;
    // The decoder configuration up front also lets a track that gets no samples be written.
    if (video) {
      this.videoSource = new EncodedVideoPacketSource(video.codec);
      output.addVideoTrack(this.videoSource, { decoderConfig: videoDecoderConfig(video), ...(counts ? { maximumPacketCount: Math.max(1, counts.video) } : {}) });
      this.videoMeta = video;
    }
    if (audio) {
      this.audioSource = new EncodedAudioPacketSource(audio.codec);
      // AC-3: the muxer reads the dac3 box's fields from a first frame it is shown up front.
      const priming = audio.primingFrame ? { primingPacket: new EncodedPacket(audio.primingFrame, 'key', 0, audio.frameSeconds) } : {};
      output.addAudioTrack(this.audioSource, { decoderConfig: audioDecoderConfig(audio), ...priming, ...(counts ? { maximumPacketCount: Math.max(1, counts.audio) } : {}) });
      this.audioMeta = audio;
    }
    this.output = output;
    await output.start();
  }

  private muxerFormat(): MuxerFormat {
    const fastStart = this.opts.layout === 'faststart' ? 'reserve' : 'fragmented';
    switch (this.opts.format) {
      case 'mp4':
        return new Mp4OutputFormat({ fastStart });
      case 'mov':
        return new MovOutputFormat({ fastStart });
      case 'mkv':
        return new MkvOutputFormat();
      case 'webm':
        return new WebMOutputFormat();
      default: {
        const never: never = this.opts.format;
        return never;
      }
    }
  }

  private async add(s: ContainerSample): Promise<void> {
    const first = this.counts[s.kind] === 0;
    const packet = new EncodedPacket(s.data, s.key ? 'key' : 'delta', s.ptsMs / 1000, s.durationMs / 1000, s.dtsMs);
    if (s.kind === 'video') await this.videoSource!.add(packet, first ? { decoderConfig: videoDecoderConfig(this.videoMeta!) } : undefined);
    else await this.audioSource!.add(packet, first ? { decoderConfig: audioDecoderConfig(this.audioMeta!) } : undefined);
    this.counts[s.kind]++;
    if (s.dtsMs > this.lastDts) this.lastDts = s.dtsMs;
  }

  /** mediabunny's chunks, written where it says, in order (through the decode-time fix for fragmented MP4). */
  private positionalWriter(): WritableStream<StreamTargetChunk> {
    const shift = this.fragmentedIsobmff() ? new Fmp4DecodeShift() : undefined;
    return new WritableStream<StreamTargetChunk>({
      write: async (chunk) => {
        for (const part of shift ? shift.push(chunk.data, chunk.position) : [chunk]) await this.writeAt(part.data, part.position);
      },
      close: async () => {
        for (const part of shift?.flush() ?? []) await this.writeAt(part.data, part.position);
      },
    });
  }

  private fragmentedIsobmff(): boolean {
    return (this.opts.format === 'mp4' || this.opts.format === 'mov') && this.opts.layout !== 'faststart';
  }

  private async writeAt(data: Uint8Array, position: number): Promise<void> {
    try {
      let done = 0;
      while (done < data.byteLength) {
        const { bytesWritten } = await this.handle.write(data, done, data.byteLength - done, position + done);
        done += bytesWritten;
      }
    } catch (err) {
      throw describeIoError('write', this.path, err);
    }
    this.bytes = Math.max(this.bytes, position + data.byteLength);
  }

  /** Our errors pass; the muxer's become one line naming the file. */
  private wrap(err: unknown): unknown {
    if (isRtmpError(err)) return err;
    return new IoError(`cannot write '${this.path}': ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** WebCodecs-style decoder configurations, as mediabunny takes them. */
function videoDecoderConfig(c: VideoTrackConfig) {
  return { codec: c.codecString, codedWidth: c.width, codedHeight: c.height, ...(c.description ? { description: c.description } : {}) };
}

function audioDecoderConfig(c: AudioTrackConfig) {
  return { codec: c.codecString, numberOfChannels: c.channels, sampleRate: c.sampleRate, ...(c.description ? { description: c.description } : {}) };
}
