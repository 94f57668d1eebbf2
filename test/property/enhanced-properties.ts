/**
 * Enhanced RTMP and the HEVC/AV1/VP9 configuration parsers: build → parse
 * round trips (every packet type, ModEx, each multitrack type), agreement of
 * the cheap header peeks (parseVideoTagHeader, isVideoKeyframe, ...) with the
 * whole-message parser, and totality on random and mutated bytes (typed
 * errors only, bounded output).
 */
import fc from 'fast-check';
import { MediaFormatError } from '../../src/errors.js';
import { parseAudioTagHeader } from '../../src/media/audio-tag.js';
import { parseAv1CodecConfig } from '../../src/media/av1.js';
import {
  AUDIO_FOURCCS,
  buildExAudioMessage,
  buildExVideoMessage,
  MAX_TRACKS,
  parseExAudioMessage,
  parseExVideoMessage,
  singleTrack,
  VIDEO_FOURCCS,
  type ExAudioInit,
  type ExTrack,
  type ExVideoInit,
} from '../../src/media/enhanced.js';
import { buildColorInfoMetadata, buildMultichannelConfig, parseMultichannelConfig, parseVideoMetadata, type ColorInfo } from '../../src/media/enhanced-metadata.js';
import { parseHevcDecoderConfig } from '../../src/media/hevc.js';
import { isAudioSequenceHeader, isVideoKeyframe, isVideoSequenceHeader, PacketType } from '../../src/media/packet.js';
import { selectTrack } from '../../src/media/track-select.js';
import { parseVideoTagHeader } from '../../src/media/video-tag.js';
import { parseVp9FrameHeader, parseVpCodecConfig } from '../../src/media/vp9.js';
import { AV1_RECORDS, HEVC_RECORDS, VP9_FRAMES, VPC_RECORDS } from '../helpers/codec-vectors.js';
import { bytes, check, guarded, mutated, prop, type NamedProperty } from './harness.js';

const CTS = new Set(['avc1', 'hvc1', 'vvc1']);

/** The tracks of a message to build: distinct ids, one FourCC unless ManyTracksManyCodecs. */
function tracksFor(fourccs: readonly string[], multi: number | undefined, video: boolean): fc.Arbitrary<ExTrack[]> {
  const count = multi === undefined || multi === 0 ? 1 : 4;
  return fc
    .tuple(
      fc.uniqueArray(fc.nat({ max: 255 }), { minLength: 1, maxLength: count }),
      fc.constantFrom(...fourccs),
      fc.array(fc.record({ fourcc: fc.constantFrom(...fourccs), data: bytes(40), cts: video ? fc.integer({ min: -0x800000, max: 0x7fffff }) : fc.constant(0) }), { minLength: count, maxLength: count }),
    )
    .map(([ids, shared, parts]) =>
      ids.map((id, i) => ({
        trackId: multi === undefined ? 0 : id,
        fourcc: multi === 2 ? parts[i]!.fourcc : shared,
        compositionTime: parts[i]!.cts,
        data: parts[i]!.data,
      })),
    );
}

const multitrackType = fc.constantFrom(undefined, 0, 1, 2);
const nano = fc.option(fc.nat({ max: 999_999 }), { nil: undefined });
const extraModEx = fc.array(fc.record({ type: fc.integer({ min: 1, max: 15 }), data: bytes(300, 1) }), { maxLength: 2 });

const videoInit: fc.Arbitrary<ExVideoInit> = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, 1, 2, 3, 4, 5), multitrackType, nano, extraModEx)
  .chain(([frameType, packetType, multi, timestampOffsetNano, modEx]) =>
    tracksFor(VIDEO_FOURCCS, multi, true).map((tracks) => {
      const init: ExVideoInit = { frameType, packetType, tracks, modEx };
      if (multi !== undefined) init.multitrackType = multi;
      if (timestampOffsetNano !== undefined) init.timestampOffsetNano = timestampOffsetNano;
      return init;
    }),
  );

const audioInit: fc.Arbitrary<ExAudioInit> = fc
  .tuple(fc.constantFrom(0, 1, 2, 4), multitrackType, nano, extraModEx)
  .chain(([packetType, multi, timestampOffsetNano, modEx]) =>
    tracksFor(AUDIO_FOURCCS, multi, false).map((tracks) => {
      const init: ExAudioInit = { packetType, tracks, modEx };
      if (multi !== undefined) init.multitrackType = multi;
      if (timestampOffsetNano !== undefined) init.timestampOffsetNano = timestampOffsetNano;
      return init;
    }),
  );

/** What the parser must give back for a built track. */
function expectedTracks(init: ExAudioInit, video: boolean): string {
  return JSON.stringify(
    init.tracks.map((t) => ({
      trackId: t.trackId ?? 0,
      fourcc: t.fourcc,
      compositionTime: video && init.packetType === 1 && CTS.has(t.fourcc) ? (t.compositionTime ?? 0) : 0,
      data: Buffer.from(t.data).toString('hex'),
    })),
  );
}

function gotTracks(tracks: readonly ExTrack[]): string {
  return JSON.stringify(tracks.map((t) => ({ trackId: t.trackId, fourcc: t.fourcc, compositionTime: t.compositionTime, data: t.data.toString('hex') })));
}

const builtVideo = videoInit.map((i) => buildExVideoMessage(i));
const builtAudio = audioInit.map((i) => buildExAudioMessage(i));

/** Total on any bytes: typed errors only; tracks within bounds; data views inside the payload. */
function totalParse(name: string, parse: (b: Buffer) => { tracks: ExTrack[] }, payload: Buffer): void {
  const r = guarded(name, () => parse(payload));
  if (!r.ok) return check(r.error instanceof MediaFormatError, `${name} threw ${r.error.code}`);
  check(r.value.tracks.length <= MAX_TRACKS, `${r.value.tracks.length} tracks`);
  const total = r.value.tracks.reduce((n, t) => n + t.data.length, 0);
  check(total <= payload.length, `track data (${total} bytes) exceed the payload (${payload.length})`);
}

const colorInfo: fc.Arbitrary<ColorInfo> = fc.record(
  {
    colorConfig: fc.record({ bitDepth: fc.constantFrom(8, 10, 12), colorPrimaries: fc.nat({ max: 22 }), transferCharacteristics: fc.nat({ max: 18 }), matrixCoefficients: fc.nat({ max: 14 }) }, { requiredKeys: [] }),
    hdrCll: fc.record({ maxFall: fc.nat({ max: 10000 }), maxCLL: fc.nat({ max: 10000 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['colorConfig'] },
);

export const enhancedProperties: NamedProperty[] = [
  prop('enhanced.video-roundtrip', 300, [videoInit], (init) => {
    const payload = buildExVideoMessage(init);
    const m = parseExVideoMessage(payload);
    check(m.frameType === init.frameType && m.packetType === init.packetType, 'frame or packet type differs');
    check(m.multitrackType === init.multitrackType, `multitrackType ${m.multitrackType} vs ${init.multitrackType}`);
    check(gotTracks(m.tracks) === expectedTracks(init, true), 'tracks differ after a round trip');
    check(m.timestampOffsetNano === init.timestampOffsetNano, `nano offset ${m.timestampOffsetNano} vs ${init.timestampOffsetNano}`);
    check(m.modEx.length === (init.modEx?.length ?? 0) + (init.timestampOffsetNano === undefined ? 0 : 1), 'ModEx steps lost');
    // The cheap peeks agree with the whole parse.
    const peek = parseVideoTagHeader(payload);
    check(peek !== undefined && peek.packetType === m.packetType && peek.multitrackType === m.multitrackType, 'parseVideoTagHeader disagrees');
    check(isVideoSequenceHeader(payload) === (m.packetType === 0 || m.packetType === 5), 'isVideoSequenceHeader disagrees');
    check(isVideoKeyframe(payload) === (m.frameType === 1 && m.packetType !== 4), 'isVideoKeyframe disagrees');
  }),
  prop('enhanced.audio-roundtrip', 300, [audioInit], (init) => {
    const payload = buildExAudioMessage(init);
    const m = parseExAudioMessage(payload);
    check(m.packetType === init.packetType && m.multitrackType === init.multitrackType, 'packet or multitrack type differs');
    check(gotTracks(m.tracks) === expectedTracks(init, false), 'tracks differ after a round trip');
    check(m.timestampOffsetNano === init.timestampOffsetNano, 'nano offset differs');
    check(parseAudioTagHeader(payload)?.packetType === m.packetType, 'parseAudioTagHeader disagrees');
    check(isAudioSequenceHeader(payload) === (m.packetType === 0), 'isAudioSequenceHeader disagrees');
  }),
  prop('enhanced.single-track', 200, [videoInit, fc.nat({ max: 3 })], (init, pick) => {
    const m = parseExVideoMessage(buildExVideoMessage(init));
    const want = m.tracks[pick % m.tracks.length]!;
    const one = singleTrack(m, want.trackId);
    check(one !== undefined && one.multitrackType === undefined, 'singleTrack kept the multitrack wrapper');
    const again = parseExVideoMessage(buildExVideoMessage(one));
    check(gotTracks(again.tracks) === gotTracks([{ ...want, trackId: 0 }]), 'the selected track changed');
    check(again.frameType === m.frameType && again.packetType === m.packetType && again.timestampOffsetNano === m.timestampOffsetNano, 'header fields changed');
  }),
  prop('enhanced.video-random', 500, [fc.oneof(bytes(64).map((b) => Buffer.concat([Buffer.from([0x80 | (b[0] ?? 0)]), b])), mutated(builtVideo))], (payload) =>
    totalParse('parseExVideoMessage', parseExVideoMessage, payload),
  ),
  prop('enhanced.audio-random', 500, [fc.oneof(bytes(64).map((b) => Buffer.concat([Buffer.from([0x90 | ((b[0] ?? 0) & 0x0f)]), b])), mutated(builtAudio))], (payload) =>
    totalParse('parseExAudioMessage', parseExAudioMessage, payload),
  ),
  prop('enhanced.track-select', 300, [fc.oneof(mutated(builtVideo), builtVideo), fc.nat({ max: 4 })], (payload, trackId) => {
    const r = guarded('selectTrack', () => selectTrack({ type: PacketType.Video, timestamp: 0, payload }, { video: trackId }));
    check(r.ok, () => `selectTrack threw ${r.ok ? '' : r.error.code}`);
    if (r.value.kind !== 'keep' || r.value.packet.payload === payload) return;
    // A rewritten message is a plain message of the chosen track.
    const m = parseExVideoMessage(r.value.packet.payload);
    check(m.multitrackType === undefined && m.tracks.length === 1, 'the rewritten message is still multitrack');
  }),
  prop('enhanced.color-info', 200, [colorInfo], (info) => {
    const m = parseExVideoMessage(buildColorInfoMetadata('hvc1', info));
    const got = parseVideoMetadata(m.tracks[0]!.data).colorInfo;
    check(JSON.stringify(got) === JSON.stringify(info), 'colorInfo differs after a round trip');
  }),
  prop('enhanced.metadata-random', 300, [mutated(fc.constant(parseExVideoMessage(buildColorInfoMetadata('av01', { colorConfig: { bitDepth: 10 } })).tracks[0]!.data))], (data) => {
    const r = guarded('parseVideoMetadata', () => parseVideoMetadata(data));
    if (!r.ok) check(r.error.code === 'RTMP_ERR_MEDIA_FORMAT' || r.error.code === 'RTMP_ERR_AMF' || r.error.code === 'RTMP_ERR_LIMIT', `parseVideoMetadata threw ${r.error.code}`);
  }),
  prop('enhanced.multichannel', 300, [fc.oneof(bytes(12), fc.nat({ max: 255 }).map((n) => buildMultichannelConfig('Opus', { channelOrder: 2, channelCount: n, mapping: Array.from({ length: n }, (_, i) => i & 0xff) })).map((p) => parseExAudioMessage(p).tracks[0]!.data))], (data) => {
    const r = guarded('parseMultichannelConfig', () => parseMultichannelConfig(data));
    if (!r.ok) return check(r.error instanceof MediaFormatError, `parseMultichannelConfig threw ${r.error.code}`);
    if (r.value.mapping) check(r.value.mapping.length === r.value.channelCount, 'mapping length differs from channelCount');
  }),
  prop('hevc.decoder-config', 600, [fc.oneof(bytes(64), mutated(fc.constantFrom(...HEVC_RECORDS)), mutated(fc.constantFrom(...HEVC_RECORDS), 12))], (data) => {
    const r = guarded('parseHevcDecoderConfig', () => parseHevcDecoderConfig(data));
    if (!r.ok) return check(r.error instanceof MediaFormatError, `parseHevcDecoderConfig threw ${r.error.code}`);
    const s = r.value.spsInfo;
    check(s.width > 0 && s.height > 0 && s.width <= s.codedWidth && s.height <= s.codedHeight, `SPS gave ${s.width}x${s.height} of ${s.codedWidth}x${s.codedHeight}`);
    check(s.bitDepthLuma >= 8 && s.bitDepthLuma <= 16, `bit depth ${s.bitDepthLuma}`);
  }),
  prop('av1.codec-config', 600, [fc.oneof(bytes(40), mutated(fc.constantFrom(...AV1_RECORDS)), mutated(fc.constantFrom(...AV1_RECORDS), 8))], (data) => {
    const r = guarded('parseAv1CodecConfig', () => parseAv1CodecConfig(data));
    if (!r.ok) return check(r.error instanceof MediaFormatError, `parseAv1CodecConfig threw ${r.error.code}`);
    const s = r.value.sequenceHeader;
    if (s) check(s.width >= 1 && s.height >= 1 && [8, 10, 12].includes(s.bitDepth), `sequence header gave ${s.width}x${s.height} ${s.bitDepth}-bit`);
  }),
  prop('vp9.codec-config', 400, [fc.oneof(bytes(20), mutated(fc.constantFrom(...VPC_RECORDS)))], (data) => {
    const r = guarded('parseVpCodecConfig', () => parseVpCodecConfig(data));
    if (!r.ok) return check(r.error instanceof MediaFormatError, `parseVpCodecConfig threw ${r.error.code}`);
    check(r.value.profile <= 3 && [8, 10, 12].includes(r.value.bitDepth), 'out-of-range profile or bit depth accepted');
  }),
  prop('vp9.frame-header', 400, [fc.oneof(bytes(20), mutated(fc.constantFrom(...VP9_FRAMES)))], (data) => {
    const r = guarded('parseVp9FrameHeader', () => parseVp9FrameHeader(data));
    if (!r.ok) return check(r.error instanceof MediaFormatError, `parseVp9FrameHeader threw ${r.error.code}`);
    if (r.value) check(r.value.width >= 1 && r.value.height >= 1, 'empty frame size');
  }),
];
