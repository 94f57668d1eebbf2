/**
 * MP4, MOV, Matroska and WebM input: the file is demuxed in process with
 * mediabunny and each frame becomes an FLV tag body — no ffmpeg, no
 * re-encoding. Reads are ranged (mediabunny's cache is bounded), so the file
 * is never loaded whole.
 *
 * Output matches what `ffmpeg -i in.mp4 -c copy -f flv` writes: onMetaData,
 * the sequence headers at 0, then audio and video interleaved by decode time,
 * with the timeline shifted so the first frame's decode time is 0 and
 * CompositionTime = pts − dts, each rounded to ms on its own. HEVC, AV1, VP9
 * and Opus go the same way as Enhanced RTMP messages (media/packetizers.ts).
 */
import { stat } from 'node:fs/promises';
import { debuglog } from 'node:util';
import type { EncodedPacket, EncodedPacketSink, Input, InputTrack } from 'mediabunny';
import { AbortedError, ContainerError, isRtmpError, UnsupportedCodecError } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { DecodeTimeline, ticksToMs } from '../media/decode-order.js';
import { PacketType, type MediaPacket } from '../media/packet.js';
import { AUDIO_PACKETIZERS, supportedCodecsHint, VIDEO_PACKETIZERS, type TrackConfig, type TrackPacketizer } from '../media/packetizers.js';
import { ts32 } from '../media/timestamp.js';
import { buildMetadataForFile } from '../flv/script-data.js';
import { describeIoError } from './flv-file-source.js';
import { checkIsobmffTables } from './isobmff-guard.js';

const debug = debuglog('rtmp');

/** Container formats we publish from (mediabunny's format names). */
const PUBLISHABLE_FORMATS = new Set(['MP4', 'QuickTime File Format', 'Matroska', 'WebM']);

/** How far the media may end before the duration the header declares without the file counting as truncated. */
const TRUNCATION_SLACK_MS = 1000;

/** Frames analysed for the onMetaData frame rate (mediabunny snaps it to the rate the timestamps were rounded from). */
const FRAME_RATE_SAMPLE = 120;

let mediabunny: Promise<typeof import('mediabunny')> | undefined;

/**
 * Loads mediabunny on first use (it is large) and turns its console output
 * off: it prints diagnostics, some with stack traces, where our errors are one
 * line. They stay visible with NODE_DEBUG=rtmp. (Its log level is global.)
 */
function loadMediabunny(): Promise<typeof import('mediabunny')> {
  mediabunny ??= import('mediabunny').then((mb) => {
    mb.Logging.level = mb.LogLevel.Silent;
    for (const level of ['error', 'warn'] as const) mb.Logging.on(level, (args) => debug('mediabunny %s: %s', level, args.map(String).join(' ')));
    return mb;
  });
  return mediabunny;
}

export interface ContainerSourceOptions {
  /** Stops reading; the generator then throws AbortedError. */
  signal?: AbortSignal | undefined;
}

/** One frame ready to send, with its decode time in ms before the timeline shift. */
interface TimedPacket {
  dtsMs: number;
  type: PacketType.Audio | PacketType.Video;
  payload: Buffer;
}

/** A track we publish and how its frames become tag bodies. */
interface PublishedTrack {
  kind: 'video' | 'audio';
  track: InputTrack;
  packetizer: TrackPacketizer;
  /** Ticks to subtract from every timestamp: Matroska's CodecDelay, which our demuxer leaves in. */
  delayTicks: number;
}

/**
 * Yields the media packets of an MP4/MOV/MKV/WebM file: onMetaData, the
 * sequence headers, then every frame of the primary video and audio tracks
 * by decode time. Throws ContainerError (naming the file) for an
 * unrecognised or corrupt file, UnsupportedCodecError for a codec that has
 * no packetizer yet, IoError when the file cannot be read, AbortedError when
 * `signal` aborts.
 */
export async function* readContainerPackets(path: string, opts: ContainerSourceOptions = {}): AsyncGenerator<MediaPacket> {
  if (opts.signal?.aborted) throw new AbortedError();
  const mb = await loadMediabunny();
  let fileSize: number;
  try {
    fileSize = (await stat(path)).size;
  } catch (e) {
    throw describeIoError('open', path, e);
  }
  // mediabunny trusts the counts in an MP4's sample tables: check them first.
  await checkIsobmffTables(path, fileSize);
  const input = new mb.Input({
    source: new mb.FilePathSource(path, { handleUnhandledError: (e) => debug('%s: background read failed: %s', path, String(e)) }),
    formats: mb.ALL_FORMATS,
  });
  try {
    const { tracks, metadata, declaredDuration, matroska } = await describeInput(path, input, fileSize);
    yield { type: PacketType.Data, timestamp: 0, payload: metadata };
    for (const t of tracks) {
      if (t.packetizer.sequenceHeader.length > 0) yield { type: t.kind === 'video' ? PacketType.Video : PacketType.Audio, timestamp: 0, payload: t.packetizer.sequenceHeader };
    }
    // Interleave by decode time: one head per track (ties go to the track stored first, as ffmpeg orders them).
    const iterators = tracks.map((t) => trackPackets(path, t, new mb.EncodedPacketSink(t.track)));
    const heads: Array<TimedPacket | undefined> = [];
    for (const it of iterators) heads.push(await next(path, it));
    let base: number | undefined;
    let lastMs = -Infinity;
    for (;;) {
      if (opts.signal?.aborted) throw new AbortedError();
      let pick = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h !== undefined && (pick < 0 || h.dtsMs < heads[pick]!.dtsMs)) pick = i;
      }
      if (pick < 0) break;
      const head = heads[pick]!;
      base ??= head.dtsMs;
      lastMs = Math.max(lastMs, head.dtsMs);
      // A damaged track can go back before the first frame: keep such frames at 0 rather than wrap.
      yield { type: head.type, timestamp: ts32(Math.max(0, head.dtsMs - base)), payload: head.payload };
      heads[pick] = await next(path, iterators[pick]!);
    }
    // A Matroska file cut short just ends; its header still says how long it was. (MP4 is checked against its index.)
    if (matroska && declaredDuration !== null && lastMs < declaredDuration * 1000 - TRUNCATION_SLACK_MS) {
      const end = Number.isFinite(lastMs) ? `its media ends at ${(lastMs / 1000).toFixed(3)} s` : 'it holds no frames';
      throw new ContainerError(path, `the file is truncated: ${end}, its header says ${declaredDuration.toFixed(3)} s`);
    }
  } finally {
    input.dispose();
  }
}

/** The next frame of a track, with mediabunny's failures turned into one line naming the file. */
async function next(path: string, it: AsyncGenerator<TimedPacket>): Promise<TimedPacket | undefined> {
  try {
    const r = await it.next();
    return r.done ? undefined : r.value;
  } catch (e) {
    throw asContainerError(path, 'cannot read the media data', e);
  }
}

function asContainerError(path: string, what: string, e: unknown): Error {
  if (isRtmpError(e)) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return describeIoError('read', path, e);
  return new ContainerError(path, `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** Recognises the file, picks the primary video and audio tracks, checks their codecs and builds onMetaData. */
async function describeInput(path: string, input: Input, fileSize: number): Promise<{ tracks: PublishedTrack[]; metadata: Buffer; declaredDuration: number | null; matroska: boolean }> {
  let formatName: string;
  try {
    formatName = (await input.getFormat()).name;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (typeof code === 'string') throw describeIoError('read', path, e);
    throw new ContainerError(path, 'not a recognisable MP4, MOV, Matroska, WebM or FLV file', { cause: e });
  }
  if (!PUBLISHABLE_FORMATS.has(formatName)) throw new ContainerError(path, `${formatName} input is not supported (MP4, MOV, Matroska, WebM or FLV)`);
  try {
    const video = await input.getPrimaryVideoTrack();
    const audio = await input.getPrimaryAudioTrack();
    const matroska = formatName === 'Matroska' || formatName === 'WebM';
    const tracks: PublishedTrack[] = [];
    for (const track of [video, audio]) if (track) tracks.push(await publishedTrack(path, track, matroska));
    if (tracks.length === 0) {
      const hint = formatName === 'MP4' || formatName === 'QuickTime File Format' ? ' (truncated? its index, the moov box, is missing)' : '';
      throw new ContainerError(path, `the file has no video or audio track${hint}`);
    }
    // Keep the container's track order: ffmpeg breaks decode-time ties by stream index.
    tracks.sort((a, b) => a.track.number - b.track.number);
    const meta: Record<string, number | string | boolean> = {};
    const declared = await input.getDurationFromMetadata();
    const declaredDuration = declared !== null && Number.isFinite(declared) && declared > 0 ? declared : null;
    const duration = declaredDuration ?? (await input.computeDuration());
    if (Number.isFinite(duration) && duration > 0) meta['duration'] = duration;
    if (video) {
      meta['width'] = video.codedWidth;
      meta['height'] = video.codedHeight;
      const rate = (await video.computeFrameRateMetrics({ targetPacketCount: FRAME_RATE_SAMPLE })).bestGuessFrameRate;
      if (Number.isFinite(rate) && rate > 0) meta['framerate'] = Math.round(rate * 1e6) / 1e6;
      meta['videocodecid'] = tracks.find((t) => t.kind === 'video')!.packetizer.metadataCodecId;
    }
    if (audio) {
      meta['audiosamplerate'] = audio.sampleRate;
      meta['audiosamplesize'] = 16;
      meta['stereo'] = audio.numberOfChannels === 2;
      meta['audiocodecid'] = tracks.find((t) => t.kind === 'audio')!.packetizer.metadataCodecId;
    }
    meta['encoder'] = 'rtmp-toolkit';
    meta['filesize'] = fileSize;
    return { tracks, metadata: buildMetadataForFile(meta).payload, declaredDuration, matroska };
  } catch (e) {
    throw asContainerError(path, 'cannot read the track headers', e);
  }
}

async function publishedTrack(path: string, track: InputTrack, matroska: boolean): Promise<PublishedTrack> {
  const kind = track.isVideoTrack() ? 'video' : 'audio';
  const codec = track.codec ?? 'unknown';
  const factory = (kind === 'video' ? VIDEO_PACKETIZERS : AUDIO_PACKETIZERS)[codec];
  if (!factory) throw new UnsupportedCodecError(path, kind, codec, supportedCodecsHint());
  const config = track.isVideoTrack() || track.isAudioTrack() ? await track.getDecoderConfig() : null;
  const d = config?.description;
  const description = d === undefined ? undefined : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d);
  const trackConfig: TrackConfig = { description, codec: config?.codec };
  if (track.isAudioTrack()) {
    trackConfig.sampleRate = track.sampleRate;
    trackConfig.channels = track.numberOfChannels;
  } else if (description === undefined) {
    // AV1 without an av1C: the first frame's sequence header describes the stream.
    trackConfig.firstFrame = (await new (await loadMediabunny()).EncodedPacketSink(track).getFirstPacket())?.data;
  }
  try {
    const packetizer = factory(trackConfig);
    return { kind, track, packetizer, delayTicks: matroska && codec === 'opus' ? opusCodecDelayTicks(description!, track.timeResolution) : 0 };
  } catch (e) {
    throw new ContainerError(path, `${kind} track (${codec}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * Opus in Matroska: block timestamps include the pre-skip, and the CodecDelay
 * element (which the Matroska codec mapping sets to the OpusHead's pre-skip)
 * must be subtracted from each (Matroska spec, CodecDelay). In track ticks,
 * rounded half away from zero as ffmpeg rescales it, so times match ffprobe's.
 */
function opusCodecDelayTicks(opusHead: Uint8Array, timescale: number): number {
  const preSkip = opusHead[10]! | (opusHead[11]! << 8);
  return Math.floor((2 * preSkip * timescale + OPUS_RATE) / (2 * OPUS_RATE));
}

/** Opus timestamps count 48 kHz samples whatever the input rate (RFC 7845 4). */
const OPUS_RATE = 48000;

/** A track's frames in decode order as tag bodies; video decode times are derived from the presentation times. */
async function* trackPackets(path: string, t: PublishedTrack, sink: EncodedPacketSink): AsyncGenerator<TimedPacket> {
  const timescale = t.track.timeResolution;
  const type = t.kind === 'video' ? PacketType.Video : PacketType.Audio;
  const toTicks = (seconds: number): number => Math.round(seconds * timescale) - t.delayTicks;
  const build = (p: EncodedPacket, ptsTicks: number, dtsTicks: number): TimedPacket => {
    // A tag body is at most 16 MiB − 1: refuse before allocating one.
    if (p.data.length + 5 > DEFAULT_LIMITS.maxFlvTagSize) {
      throw new ContainerError(path, `a ${t.kind} frame of ${p.data.length} bytes at ${p.timestamp.toFixed(3)} s does not fit an FLV tag`);
    }
    const dtsMs = ticksToMs(dtsTicks, timescale);
    return { dtsMs, type, payload: t.packetizer.frame(p.data, p.type === 'key', ticksToMs(ptsTicks, timescale) - dtsMs) };
  };
  let last: EncodedPacket | undefined;
  if (t.kind === 'audio') {
    for await (const p of sink.packets()) {
      last = p;
      if (p.data.length > 0) yield build(p, toTicks(p.timestamp), toTicks(p.timestamp));
    }
  } else {
    const timeline = new DecodeTimeline<EncodedPacket>(t.packetizer.reorderDelay);
    for await (const p of sink.packets()) {
      last = p;
      if (p.data.length === 0) continue;
      for (const r of timeline.push(p, toTicks(p.timestamp))) yield build(r.item, r.pts, r.dts);
    }
    for (const r of timeline.end()) yield build(r.item, r.pts, r.dts);
  }
  // The demuxer stops quietly where the data ends; the index still lists what is missing.
  const missing = last && (await sink.getNextPacket(last, { metadataOnly: true }));
  if (last && missing) {
    throw new ContainerError(path, `the file is truncated: the ${t.kind} track ends at ${last.timestamp.toFixed(3)} s, its index lists frames up to ${(await t.track.computeDuration()).toFixed(3)} s`);
  }
}
