/**
 * Container track configurations for the codecs beyond H.264/AAC, and the
 * planner on Enhanced RTMP, legacy HEVC (CodecID 12) and legacy MP3 packets.
 *
 * The vectors come from files ffmpeg 5.1 made (testsrc2 200x110: libx265
 * 8- and 10-bit, libaom-av1, libvpx-vp9 4:2:0 and 4:4:4, libvpx VP8); the
 * expected codec strings are what mediabunny's getCodecParameterString()
 * reports for those files (ffmpeg's MP4 uses the hev1 sample entry; the
 * codec string of the record is the same after the FourCC), and ffprobe's
 * profile/level agree (Main / Main 10, level 30; AV1 Main level 0).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { opusPacketSamples, parseAc3Header, parseFlacConfig, parseMpegAudioHeader, parseOpusHead } from '../../../src/media/audio-frames.js';
import {
  AvMultitrackType,
  buildAudioCodedFrames,
  buildAudioSequenceStart,
  buildExVideoMessage,
  buildVideoCodedFrames,
  buildVideoSequenceStart,
  VideoPacketType,
} from '../../../src/media/enhanced.js';
import { isRtmpError } from '../../../src/errors.js';
import { PacketType, type MediaPacket } from '../../../src/media/packet.js';
import { audioPacketSeconds, audioTrackConfig, frameAudioTrackConfig, videoTrackConfig, vp8KeyframeSize } from '../../../src/pipeline/container-codecs.js';
import { TrackPlanner, type ContainerSample, type PlanStep } from '../../../src/pipeline/container-tracks.js';
import { CONTAINER_CAPABILITIES } from '../../../src/pipeline/media-sink.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// hvcC of libx265 Main, 200x110 (the SEI array left out): version 1, profile_space 0 tier 0 profile 1,
// compatibility 0x60000000, constraint 90 00 00 00 00 00, level 30, ..., 3 arrays (VPS, SPS, PPS).
const HVCC_MAIN = hex(`01 01 60000000 900000000000 1e f000 fc fd f8 f8 0000 0f 03
  20 0001 0018 40010c01ffff01600000030090000003000003001e959809
  21 0001 0029 42010101600000030090000003000003001ea0192071f596566924caf0168080000003008000000504
  22 0001 0007 4401c172b46240`);
// The same at 10 bits: profile 2 (Main 10), compatibility 0x20000000.
const HVCC_MAIN10 = hex(`01 02 20000000 900000000000 1e f000 fc fd fa fa 0000 0f 03
  20 0001 0018 40010c01ffff02200000030090000003000003001e959809
  21 0001 002b 42010102200000030090000003000003001ea0192071f4d96566924caf0168080000030008000003005040
  22 0001 0007 4401c172b46240`);
// av1C of libaom-av1 Main level 0 4:2:0 8-bit; configOBUs: the sequence header OBU.
const AV1C = hex('81 00 0c 00 0a0a00000003b63ed36be401');
// vpcC (FullBox form) of libvpx-vp9: profile 0 / 1, level 10, 8-bit, chroma 1 (4:2:0 colocated) / 3 (4:4:4), colours 2/2/2.
const VPCC_420 = hex('01000000 00 0a 82 02 02 02 0000');
const VPCC_444 = hex('01000000 01 0a 86 02 02 02 0000');
// First bytes of the key frames libvpx made.
const VP9_KEY = hex('82498342000c7006d60638241c184a0007007fd9dbb8fe1f');
const VP8_KEY = hex('b045009d012ac8006e000007088585889984880202031f85');
// OpusHead: version 1, 1 channel, pre-skip 312, input 48000 Hz, gain 0, mapping family 0.
const OPUS_HEAD = Buffer.concat([Buffer.from('OpusHead', 'latin1'), hex('01 01 3801 80bb0000 0000 00')]);

test('codec strings from the records equal what mediabunny reports for the ffmpeg-made files', () => {
  const cases: Array<[Parameters<typeof videoTrackConfig>, string, number, number]> = [
    [['hevc', HVCC_MAIN], 'hvc1.1.6.L30.90', 200, 110],
    [['hevc', HVCC_MAIN10], 'hvc1.2.4.L30.90', 200, 110],
    [['vp9', VPCC_420, VP9_KEY], 'vp09.00.10.08.01.02.02.02.00', 200, 110],
    [['vp8', Buffer.alloc(0), VP8_KEY], 'vp8', 200, 110],
  ];
  for (const [args, codecString, width, height] of cases) {
    const c = videoTrackConfig(...args);
    assert.deepEqual([c?.codecString, c?.width, c?.height], [codecString, width, height], args[0]);
  }
  assert.equal(videoTrackConfig('vp9', VPCC_444, VP9_KEY)?.codecString, 'vp09.01.10.08.03.02.02.02.00');
  const av1 = videoTrackConfig('av1', AV1C)!;
  // Short form as mediabunny reports it, then mono 0, subsampling 1 1 position 0, colours unspecified (2), limited range.
  assert.equal(av1.codecString, 'av01.0.00M.08.0.110.02.02.02.0');
  assert.deepEqual([av1.width, av1.height, av1.description], [200, 110, undefined]);
  assert.ok(videoTrackConfig('hevc', HVCC_MAIN)!.description!.equals(HVCC_MAIN), 'the hvcC is the description');
});

test('VP8 and VP9 wait for the first key frame for the picture size; a frame that is not one is an error', () => {
  assert.equal(videoTrackConfig('vp9', VPCC_420), undefined);
  assert.equal(videoTrackConfig('vp8', Buffer.alloc(0)), undefined);
  assert.throws(() => vp8KeyframeSize(hex('b04500 000000 c8006e00')), { code: 'RTMP_ERR_MEDIA_FORMAT', message: /start code 9d 01 2a/ });
  assert.throws(() => videoTrackConfig('vp9', VPCC_420, hex('86')), { code: 'RTMP_ERR_MEDIA_FORMAT' });
});

test('Opus: OpusHead channels; packet durations from the TOC byte (RFC 6716 3.1)', () => {
  assert.deepEqual(parseOpusHead(OPUS_HEAD), { channels: 1, preSkip: 312, inputSampleRate: 48000 });
  assert.throws(() => parseOpusHead(Buffer.from('OpusTags')), { code: 'RTMP_ERR_MEDIA_FORMAT' });
  // CELT 20 ms, one frame; CELT 20 ms code 3 with 3 frames; SILK 60 ms; hybrid 20 ms code 1 (two frames); CELT 2.5 ms.
  assert.deepEqual([hex('f8'), hex('fb03'), hex('18'), hex('69'), hex('80')].map(opusPacketSamples), [960, 2880, 2880, 1920, 120]);
  assert.equal(opusPacketSamples(Buffer.alloc(0)), undefined);
  assert.equal(opusPacketSamples(hex('fb')), undefined);
});

test('MP3: sample rate, channels and frame length from the MPEG audio header', () => {
  assert.deepEqual(parseMpegAudioHeader(hex('fffb9064')), { version: 1, layer: 3, sampleRate: 44100, channels: 2, samplesPerFrame: 1152 });
  assert.deepEqual(parseMpegAudioHeader(hex('fff384c0')), { version: 2, layer: 3, sampleRate: 24000, channels: 1, samplesPerFrame: 576 });
  for (const bad of ['fffb', '00fb9064', 'ffeb9064', 'fffb9c64', 'fff99064']) assert.equal(parseMpegAudioHeader(hex(bad)), undefined, bad);
  const c = frameAudioTrackConfig('mp3', hex('fffb9064'))!;
  assert.deepEqual([c.codecString, c.sampleRate, c.channels, audioPacketSeconds(c, hex('fffb9064'))], ['mp3', 44100, 2, 1152 / 44100]);
});

test('AC-3: sample rate and channels (with LFE) from the sync frame, as ffprobe reports them', () => {
  // ffmpeg's ac3 encoder: 48 kHz stereo; 44.1 kHz 5.1 (acmod 7 + LFE); 32 kHz mono.
  assert.deepEqual(parseAc3Header(hex('0b77fe95144043e1')), { sampleRate: 48000, channels: 2 });
  assert.deepEqual(parseAc3Header(hex('0b7760d15e40ebf8')), { sampleRate: 44100, channels: 6 });
  assert.deepEqual(parseAc3Header(hex('0b77952f8c402f84')), { sampleRate: 32000, channels: 1 });
  // No sync word, reserved fscod 3, E-AC-3 (bsid 16), truncated.
  for (const bad of ['0b78fe95144043e1', '0b77fe95d44043e1', '0b77fe95148043e1', '0b77fe951440']) assert.equal(parseAc3Header(hex(bad)), undefined, bad);
  const c = frameAudioTrackConfig('ac3', hex('0b77fe95144043e1'))!;
  assert.deepEqual([c.codec, c.codecString, c.sampleRate, c.channels, c.frameSeconds], ['ac3', 'ac-3', 48000, 2, 0.032]);
});

test('FLAC: STREAMINFO alone or behind fLaC gives the same description as mediabunny reads from ffmpeg\'s file', () => {
  // ffmpeg's flac encoder, 44.1 kHz stereo: block size 4608..4608, frame sizes, rate/channels/bits, 44100 samples, MD5.
  const streamInfo = hex('1200 1200 000003 050005 0ac442f00000ac44 b48e1dd0c193fdd40c05f288d60157a3');
  const described = hex('664c6143 80000022').toString('hex') + streamInfo.toString('hex');
  for (const form of [streamInfo, hex(described)]) {
    const f = parseFlacConfig(form);
    assert.deepEqual([f.minBlockSize, f.maxBlockSize, f.sampleRate, f.channels, f.description.toString('hex')], [4608, 4608, 44100, 2, described]);
  }
  assert.throws(() => parseFlacConfig(streamInfo.subarray(1)), { code: 'RTMP_ERR_MEDIA_FORMAT', message: /33 bytes/ });
  assert.throws(() => parseFlacConfig(Buffer.concat([hex('664c6143 84000022'), streamInfo])), { code: 'RTMP_ERR_MEDIA_FORMAT', message: /not a 34-byte STREAMINFO/ });
  const c = audioTrackConfig('flac', streamInfo);
  assert.deepEqual([c.codecString, c.sampleRate, c.channels, c.frameSeconds], ['flac', 44100, 2, 4608 / 44100]);
});

function run(planner: TrackPlanner, packets: MediaPacket[]): PlanStep[] {
  return [...packets.flatMap((p) => planner.push(p)), ...planner.end()];
}
const samplesOf = (steps: PlanStep[]): ContainerSample[] => steps.flatMap((s) => (s.type === 'sample' ? [s.sample] : []));
const warningsOf = (steps: PlanStep[]): string[] => steps.flatMap((s) => (s.type === 'warning' ? [s.message] : []));
const startOf = (steps: PlanStep[]) => steps.find((s) => s.type === 'start') as Extract<PlanStep, { type: 'start' }>;
const vid = (timestamp: number, payload: Buffer): MediaPacket => ({ type: PacketType.Video, timestamp, payload });
const aud = (timestamp: number, payload: Buffer): MediaPacket => ({ type: PacketType.Audio, timestamp, payload });

test('planner: hvc1 SequenceStart, CodedFrames with composition times, CodedFramesX; Opus audio with TOC durations', () => {
  const codedX = buildExVideoMessage({ frameType: 1, packetType: VideoPacketType.CodedFramesX, tracks: [{ fourcc: 'hvc1', data: hex('0000000103') }] });
  const steps = run(new TrackPlanner(CONTAINER_CAPABILITIES.mp4), [
    vid(0, buildVideoSequenceStart('hvc1', HVCC_MAIN)),
    aud(0, buildAudioSequenceStart('Opus', OPUS_HEAD)),
    vid(0, buildVideoCodedFrames('hvc1', hex('0000000101'), 100, true)),
    aud(0, buildAudioCodedFrames('Opus', hex('f8aa'))),
    aud(20, buildAudioCodedFrames('Opus', hex('f8bb'))),
    vid(100, buildVideoCodedFrames('hvc1', hex('0000000102'), 100, false)),
    aud(40, buildAudioCodedFrames('Opus', hex('18cc'))),
    vid(300, codedX),
  ]);
  const start = startOf(steps);
  assert.deepEqual([start.video?.codec, start.video?.codecString, start.video?.width, start.audio?.codec, start.audio?.channels, start.audio?.sampleRate], ['hevc', 'hvc1.1.6.L30.90', 200, 'opus', 1, 48000]);
  const got = samplesOf(steps).map((s) => [s.kind, s.dtsMs, s.ptsMs, s.durationMs, s.data.toString('hex')]);
  assert.deepEqual(got, [
    ['video', 0, 100, 0, '0000000101'],
    ['audio', 0, 0, 20, 'f8aa'],
    ['audio', 20, 20, 20, 'f8bb'],
    ['video', 100, 200, 100, '0000000102'],
    ['audio', 40, 40, 60, '18cc'],
    ['video', 300, 300, 200, '0000000103'],
  ]);
});

test('planner: legacy HEVC (CodecID 12) is read like AVC with an hvcC; legacy MP3 needs no sequence header', () => {
  const legacy = (key: boolean, type: number, cts: number, body: Buffer): Buffer => {
    const h = Buffer.from([key ? 0x1c : 0x2c, type, 0, 0, 0]);
    h.writeIntBE(cts, 2, 3);
    return Buffer.concat([h, body]);
  };
  const mp3 = (ts: number): MediaPacket => aud(ts, Buffer.concat([hex('2f fffb9064'), Buffer.alloc(8, ts)]));
  const steps = run(new TrackPlanner(CONTAINER_CAPABILITIES.mkv), [
    vid(0, legacy(true, 0, 0, HVCC_MAIN)),
    vid(0, legacy(true, 1, 40, hex('0000000101'))),
    mp3(0),
    mp3(26),
    vid(40, legacy(false, 1, -40, hex('0000000102'))),
    mp3(52),
  ]);
  const start = startOf(steps);
  assert.deepEqual([start.video?.codecString, start.audio?.codec, start.audio?.sampleRate, start.audio?.channels], ['hvc1.1.6.L30.90', 'mp3', 44100, 2]);
  const frame = (1152 / 44100) * 1000;
  const got = samplesOf(steps).map((s) => [s.kind, s.dtsMs, s.ptsMs, s.data.length]);
  assert.deepEqual(got, [['video', 0, 40, 5], ['audio', 0, 0, 12], ['audio', frame, frame, 12], ['video', 40, 0, 5], ['audio', 2 * frame, 2 * frame, 12]]);
});

test('planner: vp09 starts at the first key frame; WebM takes VP9 and refuses HEVC', () => {
  const steps = run(new TrackPlanner(CONTAINER_CAPABILITIES.webm), [
    vid(0, buildVideoSequenceStart('vp09', VPCC_420)),
    vid(0, buildVideoCodedFrames('vp09', VP9_KEY, 0, true)),
    vid(100, buildVideoCodedFrames('vp09', hex('86000000'), 0, false)),
  ]);
  assert.deepEqual([startOf(steps).video?.codecString, startOf(steps).video?.height], ['vp09.00.10.08.01.02.02.02.00', 110]);
  assert.deepEqual(samplesOf(steps).map((s) => [s.key, s.dtsMs]), [[true, 0], [false, 100]]);
  assert.throws(() => new TrackPlanner(CONTAINER_CAPABILITIES.webm).push(vid(0, buildVideoSequenceStart('hvc1', HVCC_MAIN))), {
    code: 'RTMP_ERR_IO',
    message: /^cannot write H\.265\/HEVC video into WebM: WebM holds only VP8, VP9 or AV1 video and Opus audio; use \.mkv or \.mp4 \(or \.flv\)$/,
  });
});

test('planner: multitrack keeps track 0 (plain or inside a multitrack message) and warns once about the others', () => {
  const one = (packetType: number, frameType: number, trackId: number, data: Buffer, cts = 0): Buffer =>
    buildExVideoMessage({ frameType, packetType, multitrackType: AvMultitrackType.OneTrack, tracks: [{ trackId, fourcc: 'hvc1', data, compositionTime: cts }] });
  const many = buildExVideoMessage({
    frameType: 2,
    packetType: VideoPacketType.CodedFrames,
    multitrackType: AvMultitrackType.ManyTracks,
    tracks: [{ trackId: 1, fourcc: 'hvc1', data: hex('0000000199') }, { trackId: 0, fourcc: 'hvc1', data: hex('0000000102'), compositionTime: 50 }],
  });
  const steps = run(new TrackPlanner(CONTAINER_CAPABILITIES.mkv), [
    vid(0, buildVideoSequenceStart('hvc1', HVCC_MAIN)),
    vid(0, one(VideoPacketType.SequenceStart, 1, 1, HVCC_MAIN10)),
    vid(0, buildVideoCodedFrames('hvc1', hex('0000000101'), 0, true)),
    vid(0, one(VideoPacketType.CodedFrames, 1, 1, hex('0000000198'))),
    vid(100, many),
  ]);
  assert.equal(startOf(steps).video?.codecString, 'hvc1.1.6.L30.90', 'track 0 configures the output');
  assert.deepEqual(samplesOf(steps).map((s) => [s.dtsMs, s.ptsMs, s.data.toString('hex')]), [[0, 0, '0000000101'], [100, 150, '0000000102']]);
  const w = warningsOf(steps);
  assert.equal(w.length, 1, w.join('\n'));
  assert.match(w[0]!, /several video tracks \(Enhanced RTMP multitrack\); Matroska output keeps track 0 only \(use --track to pick another\)/);
});

test('planner: a bad record is one MediaFormatError naming the structure; random bodies after every header throw nothing else', () => {
  assert.throws(() => new TrackPlanner(CONTAINER_CAPABILITIES.mkv).push(aud(0, buildAudioSequenceStart('Opus', Buffer.from('OpusHXXX0123456789abcdef')))), {
    code: 'RTMP_ERR_MEDIA_FORMAT',
    message: /^malformed OpusHead: not an OpusHead \(24 bytes, magic 'OpusHXXX'\) \(the audio message at 0 ms\)$/,
  });
  const vp9 = new TrackPlanner(CONTAINER_CAPABILITIES.webm);
  vp9.push(vid(0, buildVideoSequenceStart('vp09', VPCC_420)));
  assert.throws(() => vp9.push(vid(40, buildVideoCodedFrames('vp09', hex('8249834300'), 0, true))), {
    code: 'RTMP_ERR_MEDIA_FORMAT',
    message: 'malformed VP9 uncompressed header: bad frame_sync_code (the video message at 40 ms)',
  });
  // A fixed-seed generator: the same cases every run.
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const headers = [
    ...(['hvc1', 'av01', 'vp09', 'vp08'] as const).flatMap((f) => [buildVideoSequenceStart(f, Buffer.alloc(0)), buildVideoCodedFrames(f, Buffer.alloc(0), 0, true)].map((b) => ({ type: PacketType.Video, b }))),
    ...(['Opus', '.mp3', 'mp4a', 'ac-3', 'fLaC'] as const).flatMap((f) => [buildAudioSequenceStart(f, Buffer.alloc(0)), buildAudioCodedFrames(f, Buffer.alloc(0))].map((b) => ({ type: PacketType.Audio, b }))),
    { type: PacketType.Video, b: hex('1c00000000') },
    { type: PacketType.Audio, b: hex('2f') },
  ];
  for (let i = 0; i < 3000; i++) {
    const planner = new TrackPlanner(CONTAINER_CAPABILITIES.mkv);
    for (let k = 0; k < 3; k++) {
      const h = headers[rand(headers.length)]!;
      const body = Buffer.from(Array.from({ length: rand(40) }, () => rand(256)));
      try {
        planner.push({ type: h.type, timestamp: k * 20, payload: Buffer.concat([h.b, body]) } as MediaPacket);
      } catch (err) {
        assert.ok(isRtmpError(err), `case ${i}: ${(err as Error).stack}`);
        break;
      }
    }
  }
});
