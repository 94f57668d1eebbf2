import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaFormatError } from '../../../src/errors.js';
import { PacketType, type MediaPacket } from '../../../src/media/packet.js';
import { parseMpegAudioHeader } from '../../../src/media/mp3.js';
import { ProbeAnalyzer, type MediaAnalysis } from '../../../src/pipeline/probe-analyzer.js';
import type { ProblemKind } from '../../../src/pipeline/probe-report.js';
import { hex } from '../../helpers/hex.js';
import { aacFrame, aacSequenceHeader, avcFrame, avcSequenceHeader, metadata, synthStream, type StreamSpec } from './probe-stream.js';

function analyse(packets: MediaPacket[], opts?: ConstructorParameters<typeof ProbeAnalyzer>[0]): MediaAnalysis {
  const a = new ProbeAnalyzer(opts);
  for (const p of packets) a.push(p);
  return a.result();
}

function kinds(r: MediaAnalysis): ProblemKind[] {
  return r.problems.map((p) => p.kind);
}

const stream = (spec: StreamSpec): MediaAnalysis => analyse(synthStream(spec));

test('fps, GOP, packet rate and bitrates of a clean 25 fps, GOP 50 stream', () => {
  const r = stream({ seconds: 6, fps: 25, gop: 50, videoBytes: 5000, keyBytes: 20000, audioBytes: 400 });
  const v = r.measurements.video!;
  assert.equal(v.frames, 150);
  assert.equal(v.keyframes, 3);
  assert.equal(v.fps, 25);
  assert.deepEqual(v.gop, { count: 2, minFrames: 50, maxFrames: 50, minMs: 2000, maxMs: 2000, avgMs: 2000 });
  assert.equal(v.sinceKeyframeMs, 1960);
  // Every packet but the last covers its 40 ms: (3 keyframes × 20000 + 146 × 5000) bytes over 5.96 s.
  assert.equal(v.bitrate, Math.round(((3 * 20000 + 146 * 5000) * 8) / 5.96));
  const a = r.measurements.audio!;
  assert.equal(a.packets, 258);
  assert.ok(Math.abs(a.packetRate! - 44100 / 1024) < 0.05, String(a.packetRate));
  assert.ok(Math.abs(a.bitrate! - 400 * 8 * (44100 / 1024)) < 200, String(a.bitrate));
  assert.equal(r.measurements.totalBitrate, v.bitrate! + a.bitrate!);
  assert.equal(r.measurements.mediaMs, 5968, 'the last audio packet, 257 × 1024 / 44.1 ms');
  assert.deepEqual(r.problems, []);
});

test('tracks from the sequence headers; metadata as sent', () => {
  const r = stream({ seconds: 1 });
  assert.deepEqual(r.tracks.video, {
    codec: 'h264', codecName: 'H.264/AVC', codecId: 7, fourcc: null, width: 1280, height: 720,
    avc: {
      profile: 'Main', profileIdc: 77, level: '3.1', levelIdc: 31, codecString: 'avc1.4d401f', codedWidth: 1280, codedHeight: 720,
      crop: { left: 0, right: 0, top: 0, bottom: 0 }, chromaFormat: '4:2:0', bitDepth: 8, bitDepthChroma: 8, interlaced: false,
      sar: '1:1', vuiFps: 25, fixedFrameRate: false, nalLengthSize: 4, spsCount: 1, ppsCount: 1,
    },
    hevc: null, av1: null, vp: null, colorInfo: null,
  });
  assert.deepEqual(r.tracks.multitrack, { video: [], audio: [] }, 'a stream that is not multitrack lists no tracks');
  assert.deepEqual(r.tracks.audio, {
    codec: 'aac', codecName: 'AAC', soundFormat: 10, fourcc: null, sampleRate: 44100, channels: 2, sampleSize: null,
    aac: { objectType: 2, profile: 'AAC LC', codecString: 'mp4a.40.2', coreSampleRate: 44100, channelConfiguration: 2, sbr: false, ps: false, frameLength: 1024 },
  });
  assert.deepEqual(r.metadata, { width: 1280, height: 720, framerate: 25, videocodecid: 7, audiocodecid: 10, audiosamplerate: 44100, stereo: true });
});

test('legacy codecs are named from their CodecID and SoundFormat', () => {
  const cases: Array<[number, number, string, string]> = [
    [0x22, 0x2f, 'h263', 'mp3'],
    [0x24, 0x52, 'vp6', 'nellymoser'],
    [0x23, 0x76, 'screen', 'g711a'],
    [0x26, 0x86, 'screen2', 'g711u'],
    [0x25, 0xb6, 'vp6a', 'speex'],
  ];
  for (const [v, a, video, audio] of cases) {
    const r = analyse([
      { type: PacketType.Video, timestamp: 0, payload: Buffer.from([v, 1, 2, 3]) },
      { type: PacketType.Audio, timestamp: 0, payload: Buffer.from([a, 1, 2]) },
      { type: PacketType.Video, timestamp: 40, payload: Buffer.from([v & 0x0f | 0x20, 1, 2, 3]) },
    ]);
    assert.deepEqual([r.tracks.video?.codec, r.tracks.audio?.codec], [video, audio]);
    assert.equal(r.measurements.video?.frames, 2, 'legacy frames have no packet type byte');
  }
  const nelly = analyse([{ type: PacketType.Audio, timestamp: 0, payload: hex('52 // Nellymoser 8 kHz mono') }]);
  assert.deepEqual([nelly.tracks.audio?.codecName, nelly.tracks.audio?.sampleRate, nelly.tracks.audio?.channels], ['Nellymoser 8 kHz mono', 8000, 1]);
});

test('MP3: rate and channels from the frame header, not the tag byte that flags 48 kHz as 44 kHz', () => {
  // libmp3lame 48 kHz mono: MPEG-1 Layer III, 64 kbit/s, sampling index 1 (48000), mode 3 (single channel).
  const frame = hex('fffb54c4 0000');
  const r = analyse([
    metadata({ audiocodecid: 2, audiosamplerate: 48000, stereo: false }),
    { type: PacketType.Audio, timestamp: 0, payload: Buffer.concat([hex('2e // MP3, "44 kHz", 16-bit, mono'), frame]) },
    { type: PacketType.Audio, timestamp: 24, payload: Buffer.concat([hex('2e'), frame]) },
  ]);
  assert.deepEqual([r.tracks.audio?.sampleRate, r.tracks.audio?.channels], [48000, 1]);
  assert.deepEqual(kinds(r), []);
  assert.deepEqual(parseMpegAudioHeader(hex('fff3 9844 // MPEG-2 Layer III, index 2: 16 kHz, stereo')), { sampleRate: 16000, channels: 2 });
  assert.deepEqual(parseMpegAudioHeader(hex('ffe3 9804 // MPEG 2.5: 8 kHz')), { sampleRate: 8000, channels: 2 });
  for (const bad of ['fffb5c c4 // reserved rate', 'fff9 54c4 // reserved layer', 'ffeb 54c4 // reserved version', '7ffb 54c4', 'fffb54']) assert.equal(parseMpegAudioHeader(hex(bad)), undefined, bad);
});

test('non-monotonic timestamps are one problem per track with a count and the first occurrence', () => {
  const packets = synthStream({ seconds: 2, meta: null });
  const frames = packets.filter((p) => p.type === PacketType.Video && p.payload[1] === 1);
  frames[10]!.timestamp = frames[8]!.timestamp; // 400 → 320: back 80 ms
  frames[30]!.timestamp -= 100;
  const r = analyse(packets);
  const p = r.problems.find((x) => x.kind === 'non-monotonic');
  assert.ok(p, JSON.stringify(r.problems));
  assert.deepEqual([p.track, p.count, p.atMs], ['video', 2, 320]);
  assert.match(p.message, /video timestamp went back 2 times, first from 360 to 320 ms \(at most 60 ms back\)/);
});

test('a gap over the threshold is reported; the threshold is an option', () => {
  const packets = synthStream({ seconds: 4, meta: null }).filter((p) => !(p.timestamp > 1000 && p.timestamp < 2500));
  const r = analyse(packets);
  const gaps = r.problems.filter((x) => x.kind === 'gap');
  assert.deepEqual(gaps.map((g) => g.track).sort(), ['audio', 'video']);
  assert.match(gaps.find((g) => g.track === 'video')!.message, /1 video gap over 1000 ms, first from 1000 to 2520 ms \(longest 1520 ms\)/);
  assert.deepEqual(kinds(analyse(packets, { gapThresholdMs: 2000 })).filter((k) => k === 'gap'), []);
});

test('audio/video drift and a large audio/video offset', () => {
  const drifting = stream({ seconds: 10, audioClock: 1.05 });
  assert.ok(kinds(drifting).includes('drift'), JSON.stringify(drifting.problems));
  assert.ok(drifting.measurements.avOffset!.endMs < -300, JSON.stringify(drifting.measurements.avOffset));
  const steady = stream({ seconds: 10 });
  assert.ok(Math.abs(steady.measurements.avOffset!.startMs) < 40 && Math.abs(steady.measurements.avOffset!.endMs) < 40);
  // Audio 3 s behind video from the start: an offset, not a drift.
  const packets = synthStream({ seconds: 5, meta: null }).map((p) => (p.type === PacketType.Audio ? { ...p, timestamp: p.timestamp + 3000 } : p));
  const late = analyse(packets);
  assert.deepEqual(kinds(late).filter((k) => k === 'drift' || k === 'av-offset'), ['av-offset']);
  assert.match(late.problems.find((p) => p.kind === 'av-offset')!.message, /are 30\d\d(\.\d+)? ms apart \(video behind\)/);
});

test('metadata that disagrees with the media: size, frame rate, codec ids, sample rate, channels', () => {
  const r = stream({ seconds: 2, fps: 25, meta: { width: 1920, height: 1080, framerate: 30, videocodecid: 4, audiocodecid: 2, audiosamplerate: 48000, stereo: false, audiochannels: 1 } });
  const mismatches = r.problems.filter((p) => p.kind === 'metadata-mismatch');
  assert.deepEqual(mismatches.map((p) => [p.field, p.declared, p.measured]), [
    ['width', 1920, 1280],
    ['height', 1080, 720],
    ['videocodecid', 4, 7],
    ['framerate', 30, 25],
    ['audiocodecid', 2, 10],
    ['audiosamplerate', 48000, 44100],
    ['audiochannels', 1, 2],
    ['stereo', false, 2],
  ]);
  assert.match(mismatches[3]!.message, /onMetaData declares framerate 30, but the measured rate is 25/);
  // Within tolerance (29.97 declared, 30 measured) and with too few frames to judge: no problem.
  assert.deepEqual(kinds(stream({ seconds: 2, fps: 30, meta: { framerate: 29.97 } })), []);
  assert.deepEqual(kinds(stream({ seconds: 0.2, fps: 25, meta: { framerate: 50 } })), []);
});

test('frames without a sequence header, a stream without keyframes, a changed sequence header, bad headers', () => {
  const noHeaders = analyse([avcFrame(0, true, 100), avcFrame(40, false, 100), aacFrame(0, 10)]);
  assert.deepEqual(noHeaders.problems.filter((p) => p.kind === 'missing-sequence-header').map((p) => [p.track, p.count]), [['video', 2], ['audio', 1]]);
  const noKey = analyse([avcSequenceHeader(), avcFrame(0, false, 100), avcFrame(40, false, 100)]);
  assert.deepEqual(kinds(noKey), ['no-keyframe']);
  const other = Buffer.from('0164001effe1001a6764001eacd940d83dd9bc0440000003004000000c83c58b658001000468ef8fcbfdf8f800', 'hex');
  const changed = analyse([avcSequenceHeader(), avcFrame(0, true, 100), avcSequenceHeader(40, other), avcFrame(40, true, 100)]);
  assert.deepEqual(kinds(changed), ['config-change']);
  assert.equal(changed.tracks.video?.width, 1280, 'the first configuration is reported');
  const bad = analyse([{ type: PacketType.Video, timestamp: 0, payload: Buffer.from([0x07]) }, { type: PacketType.Audio, timestamp: 0, payload: Buffer.alloc(0) }]);
  assert.deepEqual(kinds(bad), ['bad-header', 'bad-header']);
});

test('a malformed sequence header throws MediaFormatError; the analysis so far stays available', () => {
  const a = new ProbeAnalyzer();
  a.push(metadata({ width: 640 }));
  a.push(aacSequenceHeader());
  assert.throws(() => a.push(avcSequenceHeader(0, Buffer.from('014d401fffe1', 'hex'))), (e: unknown) => e instanceof MediaFormatError && /AVCDecoderConfigurationRecord/.test(e.message));
  assert.throws(() => new ProbeAnalyzer().push(aacSequenceHeader(0, Buffer.from('17', 'hex'))), (e: unknown) => e instanceof MediaFormatError && /AudioSpecificConfig/.test(e.message));
  const r = a.result();
  assert.deepEqual(r.metadata, { width: 640 });
  assert.equal(r.tracks.audio?.sampleRate, 44100);
});

test('32-bit timestamp wrap-around is not a problem; data messages and |RtmpSampleAccess', () => {
  const r = stream({ seconds: 4, start: 0xffffffff - 2000 });
  assert.deepEqual(r.problems, []);
  assert.equal(r.measurements.video?.fps, 25);
  const data = analyse([
    { type: PacketType.Data, timestamp: 0, payload: Buffer.from('0200117c52746d7053616d706c6541636365737301000100', 'hex') },
    { type: PacketType.Data, timestamp: 0, payload: Buffer.from('02000a6f6e546578744461746103000005', 'hex') },
    metadata({ a: 1 }),
    metadata({ b: 2 }),
  ]);
  assert.deepEqual([data.metadata, data.measurements.dataMessages], [{ a: 1 }, 2]);
});

test('first arrivals and the span that ends measuring', () => {
  const a = new ProbeAnalyzer();
  const packets = synthStream({ seconds: 3 });
  let t = 100;
  for (const p of packets) {
    a.push(p, t++);
    if (a.mediaSpanMs >= 2000) break;
  }
  assert.deepEqual(a.firsts, { metadata: 100, video: 104, keyframe: 104, audio: 103 });
  assert.ok(a.hasMedia);
  assert.equal(a.result().measurements.video?.gop?.maxFrames, 50);
});
