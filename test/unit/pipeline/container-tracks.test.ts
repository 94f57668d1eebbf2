import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAmf0 } from '../../../src/amf/amf0.js';
import { PacketType, isAudioSequenceHeader, isVideoSequenceHeader, type MediaPacket } from '../../../src/media/packet.js';
import { TrackPlanner, type ContainerSample, type PlanStep } from '../../../src/pipeline/container-tracks.js';
import { CONTAINER_CAPABILITIES } from '../../../src/pipeline/media-sink.js';
import { packetsOf } from '../../helpers/interop.js';
import { sampleFlv } from '../../helpers/peers.js';

const MP4 = CONTAINER_CAPABILITIES.mp4;
const source = await packetsOf(sampleFlv);
const avcHeader = source.find((p) => p.type === PacketType.Video && isVideoSequenceHeader(p.payload))!;
const aacHeader = source.find((p) => p.type === PacketType.Audio && isAudioSequenceHeader(p.payload))!;

/** A legacy AVC NALU packet with a CompositionTime; the body is one byte naming the frame. */
const video = (ts: number, key: boolean, cts = 0, body = ts & 0xff): MediaPacket => {
  const payload = Buffer.from([key ? 0x17 : 0x27, 1, 0, 0, 0, body]);
  payload.writeIntBE(cts, 2, 3);
  return { type: PacketType.Video, timestamp: ts, payload };
};
const audio = (ts: number): MediaPacket => ({ type: PacketType.Audio, timestamp: ts, payload: Buffer.from([0xaf, 1, ts & 0xff]) });
const at = (p: MediaPacket, ts: number): MediaPacket => ({ ...p, timestamp: ts });
const metadata = (fields: Record<string, unknown>): MediaPacket => ({
  type: PacketType.Data,
  timestamp: 0,
  payload: Buffer.concat([encodeAmf0('onMetaData'), encodeAmf0(fields as Parameters<typeof encodeAmf0>[0])]),
});

function run(planner: TrackPlanner, packets: MediaPacket[], end = true): PlanStep[] {
  const steps = packets.flatMap((p) => planner.push(p));
  return end ? [...steps, ...planner.end()] : steps;
}
const samples = (steps: PlanStep[]): ContainerSample[] => steps.flatMap((s) => (s.type === 'sample' ? [s.sample] : []));
const warnings = (steps: PlanStep[]): string[] => steps.flatMap((s) => (s.type === 'warning' ? [s.message] : []));
const starts = (steps: PlanStep[]) => steps.flatMap((s) => (s.type === 'start' ? [{ video: s.video !== undefined, audio: s.audio !== undefined }] : []));

test('sample.flv: one start with H.264 and AAC configurations, every frame, pts = dts + CompositionTime', () => {
  const steps = run(new TrackPlanner(MP4), source);
  const start = steps.find((s) => s.type === 'start');
  assert.ok(start?.type === 'start');
  assert.equal(start.video?.codecString.startsWith('avc1.4d'), true, 'Main profile');
  assert.deepEqual([start.video?.width, start.video?.height], [320, 240]);
  assert.deepEqual([start.audio?.codecString, start.audio?.sampleRate, start.audio?.channels], ['mp4a.40.2', 44100, 2]);
  assert.ok(start.video?.description!.equals(avcHeader.payload.subarray(5)), 'the avcC is the sequence header body');
  assert.ok(start.audio?.description!.equals(aacHeader.payload.subarray(2)), 'the ASC is the sequence header body');
  assert.equal(steps.indexOf(start), 0, 'tracks before samples');
  const got = samples(steps);
  assert.equal(got.filter((s) => s.kind === 'video').length, 125);
  assert.equal(got.filter((s) => s.kind === 'audio').length, 217);
  assert.deepEqual(warnings(steps), []);
  // Each video sample is its packet's body after the 5-byte header, pts = dts + cts.
  const frames = source.filter((p) => p.type === PacketType.Video && p.payload[1] === 1);
  const videoOut = got.filter((s) => s.kind === 'video');
  let bFrames = 0;
  frames.forEach((p, i) => {
    const s = videoOut[i]!;
    assert.equal(s.dtsMs, p.timestamp);
    assert.equal(s.ptsMs, p.timestamp + p.payload.readIntBE(2, 3));
    assert.ok(s.data.equals(p.payload.subarray(5)));
    assert.equal(s.data.buffer, p.payload.buffer, 'a view, not a copy');
    if (s.ptsMs < s.dtsMs + 40) bFrames++;
  });
  assert.ok(bFrames > 0 && videoOut.some((s) => s.ptsMs > s.dtsMs), 'composition times vary (B-frames)');
  assert.equal(videoOut[0]!.key, true);
});

test('video before the first keyframe is dropped; the time base is the first kept sample', () => {
  const planner = new TrackPlanner(MP4);
  const steps = run(planner, [at(avcHeader, 1000), at(aacHeader, 1000), video(1000, false), audio(1010), video(1040, false), video(1080, true, 40), audio(1050), video(1120, false)]);
  assert.equal(planner.droppedBeforeKeyframe, 2);
  assert.deepEqual(
    samples(steps).map((s) => [s.kind, s.dtsMs, s.ptsMs]),
    [
      ['audio', 0, 0],
      ['video', 70, 110],
      ['audio', 40, 40],
      ['video', 110, 110],
    ],
  );
});

test('audio-only stream announced by onMetaData starts at once, without waiting for video', () => {
  const steps = run(new TrackPlanner(MP4), [metadata({ hasVideo: false, hasAudio: true }), aacHeader, audio(0), audio(23)], false);
  assert.deepEqual(starts(steps), [{ video: false, audio: true }]);
  assert.equal(samples(steps).length, 2);
});

test('video-only by audiocodecid absent: starts on the first keyframe', () => {
  const steps = run(new TrackPlanner(MP4), [metadata({ videocodecid: 7, width: 320 }), avcHeader, video(0, true)], false);
  assert.deepEqual(starts(steps), [{ video: true, audio: false }]);
});

test('no onMetaData: waits for both tracks until the bound, then starts with what it has', () => {
  const planner = new TrackPlanner(MP4, { waitMs: 1000 });
  const early = run(planner, [aacHeader, audio(0), audio(500), audio(999)], false);
  assert.deepEqual(starts(early), [], 'still waiting within the bound');
  const later = run(planner, [audio(1000), audio(1030)], false);
  assert.deepEqual(starts(later), [{ video: false, audio: true }]);
  assert.deepEqual(samples(later).map((s) => s.dtsMs), [0, 500, 999, 1000, 1030]);
  const late = run(planner, [avcHeader, video(1040, true)], false);
  assert.deepEqual(samples(late), []);
  assert.match(warnings(late).join('\n'), /video started after the output's tracks were fixed/);
});

test('a track onMetaData announced but that never comes: a warning, and the output starts without it', () => {
  const steps = run(new TrackPlanner(MP4, { waitMs: 100 }), [metadata({ hasVideo: true, hasAudio: true }), aacHeader, audio(0), audio(200)], false);
  assert.deepEqual(starts(steps), [{ video: false, audio: true }]);
  assert.match(warnings(steps).join('\n'), /onMetaData announced video but none arrived within 100 ms/);
});

test('held bytes bound the wait too', () => {
  const big = (ts: number): MediaPacket => ({ type: PacketType.Audio, timestamp: ts, payload: Buffer.concat([Buffer.from([0xaf, 1]), Buffer.alloc(600)]) });
  const steps = run(new TrackPlanner(MP4, { limits: { maxContainerHoldBytes: 1000 } }), [aacHeader, big(0), big(1)], false);
  assert.deepEqual(starts(steps), [{ video: false, audio: true }]);
});

test('the end of the input starts the output with the tracks that have samples; no media: no start', () => {
  assert.deepEqual(starts(run(new TrackPlanner(MP4), [aacHeader, audio(0)], false)), [], 'waiting for video');
  assert.deepEqual(starts(run(new TrackPlanner(MP4), [aacHeader, audio(0)])), [{ video: false, audio: true }]);
  assert.deepEqual(run(new TrackPlanner(MP4), [metadata({ hasVideo: true }), avcHeader]), []);
});

test('a repeated sequence header is silent; a changed one warns once', () => {
  const changed = Buffer.from(avcHeader.payload);
  changed.writeUInt8(changed.readUInt8(changed.length - 1) ^ 0xff, changed.length - 1);
  const steps = run(new TrackPlanner(MP4), [avcHeader, aacHeader, video(0, true), audio(0), avcHeader, aacHeader, video(40, false)], false);
  assert.deepEqual(warnings(steps), []);
  const planner = new TrackPlanner(MP4);
  run(planner, [avcHeader, aacHeader, video(0, true), audio(0)], false);
  // The changed record still parses (only a PPS byte differs).
  const more = run(planner, [{ ...avcHeader, payload: changed }, video(40, true), { ...avcHeader, payload: changed }], false);
  assert.equal(warnings(more).length, 1);
  assert.match(warnings(more)[0]!, /video sequence header changed mid-stream; MP4 keeps the first configuration/);
  assert.equal(samples(more).length, 1, 'frames keep flowing');
});

test('a codec the container cannot hold is one error naming codec and container', () => {
  const speex: MediaPacket = { type: PacketType.Audio, timestamp: 0, payload: Buffer.from([0xb2, 1, 2]) };
  assert.throws(() => new TrackPlanner(MP4).push(speex), { code: 'RTMP_ERR_IO', message: /^cannot write Speex audio into MP4: rtmp writes H.264, HEVC, AV1, VP9 and VP8 video and AAC, Opus, MP3, AC-3 and FLAC audio/ });
  const h264: MediaPacket = { type: PacketType.Video, timestamp: 0, payload: Buffer.from([0x17, 0, 0, 0, 0]) };
  assert.throws(() => new TrackPlanner(CONTAINER_CAPABILITIES.webm).push(h264), { message: /^cannot write H.264\/AVC video into WebM: WebM holds only VP8, VP9 or AV1 video and Opus audio/ });
  const vp6: MediaPacket = { type: PacketType.Video, timestamp: 0, payload: Buffer.from([0x14, 0, 0]) };
  assert.throws(() => new TrackPlanner(CONTAINER_CAPABILITIES.mkv).push(vp6), { message: /^cannot write On2 VP6 video into Matroska/ });
});

test('timestamps: relative to the first sample across 32-bit wrap-around; going back is dropped with one warning', () => {
  const near = 0xffff_ff00;
  const steps = run(new TrackPlanner(MP4), [metadata({ hasAudio: true, hasVideo: false }), at(aacHeader, near), audio(near), audio(near + 0xc0), audio(0x40), audio(0x20), audio(0x10), audio(0x80)], false);
  assert.deepEqual(samples(steps).map((s) => s.dtsMs), [0, 0xc0, 0x140, 0x180]);
  assert.equal(warnings(steps).length, 1);
  assert.match(warnings(steps)[0]!, /audio timestamp went back/);
});

test('audio within the 1 ms rounding of the previous frame end is placed exactly there', () => {
  // 1024 samples at 44.1 kHz are 23.22 ms; FLV stores 0, 23, 46, 70, 93.
  const steps = run(new TrackPlanner(MP4), [metadata({ hasAudio: true }), aacHeader, audio(0), audio(23), audio(46), audio(70), audio(93), audio(200)], false);
  const frame = (1024 / 44100) * 1000;
  const times = samples(steps).map((s) => s.dtsMs);
  times.slice(0, 5).forEach((t, i) => assert.ok(Math.abs(t - i * frame) < 1e-9, `frame ${i}: ${t}`));
  assert.equal(times[5], 200, 'a gap is kept');
});

test('a B-frame group cut off by the end is left out; a whole one is written', () => {
  // Decode order I P B b; shown I B b P, 40 ms apart.
  const group = [video(0, true, 40), video(40, false, 120), video(80, false, 0), video(120, false, 0)];
  const head = [metadata({ hasVideo: true, hasAudio: false }), avcHeader];
  const whole = new TrackPlanner(MP4);
  assert.deepEqual(samples(run(whole, [...head, ...group])).map((s) => s.ptsMs), [40, 160, 80, 120]);
  assert.equal(whole.droppedAtEnd, 0);
  const cut = new TrackPlanner(MP4);
  const steps = run(cut, [...head, ...group.slice(0, 3)]);
  assert.deepEqual(samples(steps).map((s) => s.ptsMs), [40], 'P and B wait for b, which never comes');
  assert.equal(cut.droppedAtEnd, 2);
  // The next keyframe releases what is held, hole or not (a frame the encoder dropped).
  const gap = new TrackPlanner(MP4);
  assert.deepEqual(samples(run(gap, [...head, ...group.slice(0, 3), video(160, true, 40)], false)).map((s) => s.ptsMs), [40, 160, 80, 200]);
});
