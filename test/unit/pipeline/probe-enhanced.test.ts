import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildColorInfoMetadata } from '../../../src/media/enhanced-metadata.js';
import {
  buildAudioCodedFrames,
  buildAudioSequenceStart,
  buildExVideoMessage,
  buildVideoCodedFrames,
  buildVideoSequenceStart,
  type VideoFourCc,
} from '../../../src/media/enhanced.js';
import { PacketType, type MediaPacket } from '../../../src/media/packet.js';
import { ProbeAnalyzer, type MediaAnalysis } from '../../../src/pipeline/probe-analyzer.js';
import { validateProbeReport } from '../../../src/pipeline/probe-schema.js';
import { newReport } from '../../../src/pipeline/probe-report.js';
import { renderProbeReport } from '../../../src/cli/probe-render.js';
import { AV1_RECORDS, HEVC_RECORDS, VP9_FRAMES, VPC_RECORDS } from '../../helpers/codec-vectors.js';

const video = (timestamp: number, payload: Buffer): MediaPacket => ({ type: PacketType.Video, timestamp, payload });

function analyse(packets: MediaPacket[]): MediaAnalysis {
  const a = new ProbeAnalyzer();
  for (const p of packets) a.push(p);
  return a.result();
}

/** A sequence start and ten frames at 25 fps, the first a keyframe. */
function enhancedStream(fourcc: VideoFourCc, config: Buffer, frame: Buffer = Buffer.alloc(100)): MediaPacket[] {
  const out = [video(0, buildVideoSequenceStart(fourcc, config))];
  for (let i = 0; i < 10; i++) out.push(video(i * 40, buildVideoCodedFrames(fourcc, frame, 0, i === 0)));
  return out;
}

/** The analysis as a whole report: it must validate against the schema. */
function validReport(r: MediaAnalysis): void {
  const report = { ...newReport({ kind: 'file', target: 'x.flv', mode: 'file' }, 0), ...r };
  assert.deepEqual(validateProbeReport(JSON.parse(JSON.stringify(report))), []);
}

test('HEVC over Enhanced RTMP (hvc1) and legacy CodecID 12 report profile, level, size and format', () => {
  const enhanced = analyse(enhancedStream('hvc1', HEVC_RECORDS[0]!));
  const v = enhanced.tracks.video!;
  assert.equal(v.codec, 'hevc');
  assert.equal(v.fourcc, 'hvc1');
  assert.deepEqual([v.width, v.height], [200, 110]);
  assert.deepEqual(v.hevc, {
    profile: 'Main', profileIdc: 1, tier: 'Main', level: '1', levelIdc: 30, codecString: 'hvc1.1.6.L30.90',
    codedWidth: 200, codedHeight: 112, crop: { left: 0, right: 0, top: 0, bottom: 2 }, chromaFormat: '4:2:0', bitDepth: 8, bitDepthChroma: 8, nalLengthSize: 4,
  });
  assert.equal(enhanced.measurements.video?.frames, 10);
  assert.equal(enhanced.measurements.video?.keyframes, 1);
  assert.deepEqual(enhanced.problems, []);
  validReport(enhanced);

  const legacy = analyse([
    video(0, Buffer.concat([Buffer.from([0x1c, 0x00, 0, 0, 0]), HEVC_RECORDS[1]!])),
    video(0, Buffer.from([0x1c, 0x01, 0, 0, 0, 1, 2, 3])),
    video(40, Buffer.from([0x2c, 0x01, 0, 0, 0, 1, 2, 3])),
  ]);
  const lv = legacy.tracks.video!;
  assert.equal(lv.codecId, 12);
  assert.equal(lv.hevc?.profile, 'Rext');
  assert.equal(lv.hevc?.chromaFormat, '4:2:2');
  assert.equal(lv.hevc?.bitDepth, 10);
  assert.deepEqual([lv.width, lv.height], [176, 100]);
  assert.equal(legacy.measurements.video?.frames, 2);
});

test('AV1 and VP9: configuration records, and the VP9 size from the first key frame', () => {
  const av1 = analyse(enhancedStream('av01', AV1_RECORDS[1]!)).tracks.video!;
  assert.deepEqual([av1.codec, av1.width, av1.height], ['av1', 192, 108]);
  assert.deepEqual(av1.av1, { profile: 'Main', seqProfile: 0, level: '2.0', seqLevelIdx: 0, tier: 0, codecString: 'av01.0.00M.10', chromaFormat: '4:2:0', bitDepth: 10, sequenceHeader: true });

  const vp9 = analyse(enhancedStream('vp09', VPC_RECORDS[0]!, VP9_FRAMES[0]!));
  const v = vp9.tracks.video!;
  assert.deepEqual(v.vp, { profile: 0, level: '1', levelIdc: 10, codecString: 'vp09.00.10.08', chromaFormat: '4:2:0', bitDepth: 8, fullRange: false });
  assert.deepEqual([v.width, v.height], [200, 110]);
  validReport(vp9);
});

test('frames before the sequence start and a broken record are reported', () => {
  const early = analyse(enhancedStream('av01', AV1_RECORDS[0]!).slice(1));
  assert.deepEqual(early.problems.map((p) => p.kind), ['missing-sequence-header']);
  assert.throws(() => analyse(enhancedStream('hvc1', HEVC_RECORDS[0]!.subarray(0, 30))), /HEVCDecoderConfigurationRecord/);
});

test('colorInfo metadata and Opus', () => {
  const info = { colorConfig: { bitDepth: 10, colorPrimaries: 9, transferCharacteristics: 16, matrixCoefficients: 9 } };
  const r = analyse([
    video(0, buildColorInfoMetadata('hvc1', info)),
    ...enhancedStream('hvc1', HEVC_RECORDS[0]!),
    { type: PacketType.Audio, timestamp: 0, payload: buildAudioSequenceStart('Opus', Buffer.from('4f707573486561640106380180bb00000000', 'hex').subarray(0, 18)) },
    { type: PacketType.Audio, timestamp: 0, payload: buildAudioSequenceStart('Opus', Buffer.from('4f70757348656164010238010000000000000000', 'hex')) },
    { type: PacketType.Audio, timestamp: 20, payload: buildAudioCodedFrames('Opus', Buffer.alloc(40)) },
  ]);
  assert.deepEqual(r.tracks.video?.colorInfo, info);
  assert.equal(r.measurements.video?.frames, 10, 'Metadata is not a frame');
  assert.equal(r.tracks.audio?.codec, 'opus');
  assert.equal(r.tracks.audio?.channels, 2);
  assert.equal(r.tracks.audio?.sampleRate, 48000);
  assert.equal(r.measurements.audio?.packets, 1);
  assert.deepEqual(r.problems.map((p) => p.kind), ['bad-header'], 'the 18-byte OpusHead is too short');
});

test('multitrack: tracks listed by id; track 0 is the main track', () => {
  const packets: MediaPacket[] = [
    // Track 0 as plain messages (as OBS sends the default track), tracks 1 and 2 in one ManyTracks message.
    video(0, buildVideoSequenceStart('hvc1', HEVC_RECORDS[0]!)),
    video(0, buildExVideoMessage({ frameType: 1, packetType: 0, multitrackType: 1, tracks: [{ trackId: 1, fourcc: 'hvc1', data: HEVC_RECORDS[1]! }, { trackId: 2, fourcc: 'hvc1', data: HEVC_RECORDS[0]! }] })),
  ];
  for (let i = 0; i < 5; i++) {
    packets.push(video(i * 40, buildVideoCodedFrames('hvc1', Buffer.alloc(50), 0, i === 0)));
    packets.push(video(i * 40, buildExVideoMessage({ frameType: i === 0 ? 1 : 2, packetType: 1, multitrackType: 1, tracks: [{ trackId: 1, fourcc: 'hvc1', data: Buffer.alloc(30) }, { trackId: 2, fourcc: 'hvc1', data: Buffer.alloc(20) }] })));
  }
  const r = analyse(packets);
  assert.equal(r.measurements.video?.frames, 5, 'only track 0 is measured as the main track');
  assert.deepEqual(
    r.tracks.multitrack.video.map((e) => [e.trackId, e.codec, e.frames, e.width, e.height, e.profile]),
    [
      [0, 'hevc', 5, 200, 110, 'Main'],
      [1, 'hevc', 5, 176, 100, 'Rext'],
      [2, 'hevc', 5, 200, 110, 'Main'],
    ],
  );
  assert.deepEqual(r.tracks.multitrack.audio, []);
  validReport(r);
  const text = renderProbeReport({ ...newReport({ kind: 'file', target: 'x.flv', mode: 'file' }, 0), ...r });
  assert.match(text, /track 1 +hevc 'hvc1', 176x100, Rext 1: 5 frames, \d+ bytes/);
  assert.match(text, /Video +H\.265\/HEVC +Main 1 \(hvc1\.1\.6\.L30\.90\)/);
});
