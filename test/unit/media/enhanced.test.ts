import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaFormatError } from '../../../src/errors.js';
import {
  AudioPacketType,
  AvMultitrackType,
  buildAudioCodedFrames,
  buildAudioSequenceStart,
  buildExAudioMessage,
  buildExVideoMessage,
  buildVideoCodedFrames,
  buildVideoSequenceEnd,
  buildVideoSequenceStart,
  parseExAudioMessage,
  parseExVideoMessage,
  singleTrack,
  VideoPacketType,
} from '../../../src/media/enhanced.js';
import { buildColorInfoMetadata, buildMultichannelConfig, parseMultichannelConfig, parseVideoMetadata } from '../../../src/media/enhanced-metadata.js';
import { isAudioSequenceHeader, isVideoKeyframe, isVideoSequenceHeader } from '../../../src/media/packet.js';
import { parseVideoTagHeader } from '../../../src/media/video-tag.js';
import { hex, utf8hex } from '../../helpers/hex.js';

function assertFormatError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof MediaFormatError && re.test(e.message));
}

test('hvc1 CodedFrames with a negative SI24 composition time', () => {
  const p = hex('91 // IsExHeader, FrameType 1 (key), VideoPacketType 1 (CodedFrames)', `${utf8hex('hvc1')} // FOURCC`, 'ffffd8 // CompositionTime -40', '00000002 2601 // one NAL unit');
  const m = parseExVideoMessage(p);
  assert.equal(m.frameType, 1);
  assert.equal(m.packetType, VideoPacketType.CodedFrames);
  assert.deepEqual(m.tracks, [{ trackId: 0, fourcc: 'hvc1', compositionTime: -40, data: hex('00000002 2601') }]);
  assert.deepEqual(buildVideoCodedFrames('hvc1', hex('00000002 2601'), -40, true), p);
  assert.equal(isVideoKeyframe(p), true);
  assert.equal(isVideoSequenceHeader(p), false);
});

test('av01 and vp09 frames have no composition time; CodedFramesX none either', () => {
  const av1 = buildVideoCodedFrames('av01', hex('12 00 0a 0b'), 0, false);
  assert.deepEqual(av1, hex('a1 // FrameType 2 (inter), CodedFrames', utf8hex('av01'), '12 00 0a 0b'));
  assert.equal(parseExVideoMessage(av1).tracks[0]?.data.length, 4);
  assert.throws(() => buildVideoCodedFrames('vp09', hex('00'), 33, true), RangeError);
  const x = parseExVideoMessage(hex('93 // key, CodedFramesX', utf8hex('avc1'), '00000001 65'));
  assert.equal(x.tracks[0]?.compositionTime, 0);
  assert.equal(x.tracks[0]?.data.length, 5);
});

test('SequenceStart, SequenceEnd and MPEG2TSSequenceStart are sequence headers', () => {
  const start = buildVideoSequenceStart('av01', hex('81 08 0c 00'));
  assert.deepEqual(start, hex('90 // key, SequenceStart', utf8hex('av01'), '81 08 0c 00 // av1C'));
  assert.equal(isVideoSequenceHeader(start), true);
  assert.equal(isVideoSequenceHeader(hex('95', utf8hex('av01'), '00')), true);
  const end = buildVideoSequenceEnd('vp09');
  assert.deepEqual(end, hex('92', utf8hex('vp09')));
  assert.deepEqual(parseExVideoMessage(end).tracks, [{ trackId: 0, fourcc: 'vp09', compositionTime: 0, data: Buffer.alloc(0) }]);
});

test('ModEx TimestampOffsetNano before CodedFrames, one- and two-byte sizes', () => {
  const p = hex(
    '97 // key, VideoPacketType 7 (ModEx)',
    '02 // modExDataSize - 1 = 2',
    '0f4240 // TimestampOffsetNano 1000000... capped by the writer, any UI24 parses',
    '01 // ModExType 0, next VideoPacketType 1 (CodedFrames)',
    utf8hex('avc1'),
    '000010 // CompositionTime 16',
    'aa',
  );
  const m = parseExVideoMessage(p);
  assert.equal(m.timestampOffsetNano, 1_000_000);
  assert.equal(m.packetType, VideoPacketType.CodedFrames);
  assert.equal(m.tracks[0]?.compositionTime, 16);
  assert.equal(isVideoKeyframe(p), true);
  assert.equal(parseVideoTagHeader(p)?.timestampOffsetNano, 1_000_000);
  const built = buildExVideoMessage({ frameType: 1, packetType: 1, timestampOffsetNano: 500, tracks: [{ fourcc: 'avc1', data: hex('aa'), compositionTime: 16 }] });
  assert.deepEqual(built, hex('97 02 0001f4 01', utf8hex('avc1'), '000010 aa'));
  const big = buildExVideoMessage({ frameType: 2, packetType: 3, modEx: [{ type: 3, data: Buffer.alloc(300, 7) }], tracks: [{ fourcc: 'hvc1', data: hex('bb') }] });
  assert.deepEqual(big.subarray(0, 4), hex('a7 // inter, ModEx', 'ff 012b // UI8 255 then UI16 299: 300 bytes'));
  const back = parseExVideoMessage(big);
  assert.deepEqual(back.modEx.map((s) => [s.type, s.data.length]), [[3, 300]]);
  assert.equal(back.packetType, VideoPacketType.CodedFramesX);
  assert.equal(back.timestampOffsetNano, undefined);
  assert.throws(() => buildExVideoMessage({ frameType: 1, packetType: 1, timestampOffsetNano: 1_000_000, tracks: [{ fourcc: 'avc1', data: hex('aa') }] }), RangeError);
});

test('multitrack OneTrack, ManyTracks and ManyTracksManyCodecs', () => {
  const one = hex('96 // key, Multitrack', '01 // AvMultitrackType 0 (OneTrack), CodedFrames', utf8hex('hvc1'), '02 // trackId 2', '000005 // cts 5', 'cc dd');
  const m1 = parseExVideoMessage(one);
  assert.equal(m1.multitrackType, AvMultitrackType.OneTrack);
  assert.deepEqual(m1.tracks, [{ trackId: 2, fourcc: 'hvc1', compositionTime: 5, data: hex('cc dd') }]);
  assert.deepEqual(buildExVideoMessage({ frameType: 1, packetType: 1, multitrackType: 0, tracks: [{ trackId: 2, fourcc: 'hvc1', compositionTime: 5, data: hex('cc dd') }] }), one);
  assert.equal(isVideoKeyframe(one), true);

  const many = hex(
    '96 // key, Multitrack',
    '10 // ManyTracks, SequenceStart',
    utf8hex('av01'),
    '00 000002 0102 // track 0, 2 bytes',
    '01 000001 03 // track 1, 1 byte',
  );
  const m2 = parseExVideoMessage(many);
  assert.deepEqual(m2.tracks.map((t) => [t.trackId, t.fourcc, t.data.toString('hex')]), [[0, 'av01', '0102'], [1, 'av01', '03']]);
  assert.equal(isVideoSequenceHeader(many), true);
  assert.equal(parseVideoTagHeader(many)?.sequenceHeader, true);

  const codecs = hex(
    'a6 // inter, Multitrack',
    '21 // ManyTracksManyCodecs, CodedFrames',
    utf8hex('avc1'), '00 000004 ffffff 0e // track 0: cts -1, one byte',
    utf8hex('vp09'), '01 000002 0f 10 // track 1: no cts',
  );
  const m3 = parseExVideoMessage(codecs);
  assert.deepEqual(m3.tracks.map((t) => [t.trackId, t.fourcc, t.compositionTime, t.data.toString('hex')]), [[0, 'avc1', -1, '0e'], [1, 'vp09', 0, '0f10']]);
  assert.deepEqual(buildExVideoMessage({ frameType: 2, packetType: 1, multitrackType: 2, tracks: m3.tracks }), codecs);

  // --track: one track as a plain (not multitrack) message.
  const only = singleTrack(m3, 1);
  assert.ok(only);
  assert.deepEqual(buildExVideoMessage(only), hex('a1', utf8hex('vp09'), '0f 10'));
  assert.equal(singleTrack(m3, 7), undefined);
});

test('malformed video messages are MediaFormatErrors', () => {
  assertFormatError(() => parseExVideoMessage(hex('17 01 000000')), /IsExHeader is 0/);
  assertFormatError(() => parseExVideoMessage(hex('91 6876')), /truncated FOURCC/);
  assertFormatError(() => parseExVideoMessage(hex('91', utf8hex('hvc1'), 'ff')), /CompositionTime/);
  assertFormatError(() => parseExVideoMessage(hex('96 31', utf8hex('hvc1'))), /reserved AvMultitrackType 3/);
  assertFormatError(() => parseExVideoMessage(hex('96 06', utf8hex('hvc1'))), /inside a multitrack/);
  assertFormatError(() => parseExVideoMessage(hex('96 11', utf8hex('hvc1'), '00 000009 00')), /truncated track data/);
  assertFormatError(() => parseExVideoMessage(hex('81', utf8hex('hvc1'), '000000 00')), /reserved FrameType 0/);
  assertFormatError(() => parseExVideoMessage(hex('97 00 00')), /truncated ModExType/);
  const manyModEx = Buffer.concat([hex('97'), Buffer.from('000007'.repeat(20), 'hex')]);
  assertFormatError(() => parseExVideoMessage(manyModEx), /more than 16 ModEx/);
  const manyTracks = Buffer.concat([hex('96 11', utf8hex('av01')), Buffer.from('00000000'.repeat(300), 'hex')]);
  assertFormatError(() => parseExVideoMessage(manyTracks), /more than 256 tracks/);
});

test('command frames carry a command byte and no body', () => {
  const m = parseExVideoMessage(hex('d1 // FrameType 5 (command), CodedFrames', '01 // EndSeek'));
  assert.equal(m.command, 1);
  assert.deepEqual(m.tracks, []);
  assert.deepEqual(buildExVideoMessage({ frameType: 5, packetType: 1, command: 1, tracks: [] }), hex('d1 01'));
});

test('colorInfo metadata: build, parse, reset', () => {
  const info = { colorConfig: { bitDepth: 10, colorPrimaries: 9, transferCharacteristics: 16, matrixCoefficients: 9 }, hdrCll: { maxFall: 400, maxCLL: 1000 } };
  const p = buildColorInfoMetadata('hvc1', info);
  assert.equal(p[0], 0x94, 'FrameType 1, Metadata');
  assert.equal(isVideoKeyframe(p), false, 'Metadata is never a keyframe');
  const m = parseExVideoMessage(p);
  assert.equal(m.packetType, VideoPacketType.Metadata);
  const meta = parseVideoMetadata(m.tracks[0]!.data);
  assert.deepEqual(meta.colorInfo, info);
  assert.equal(parseVideoMetadata(parseExVideoMessage(buildColorInfoMetadata('hvc1', null)).tracks[0]!.data).colorInfo, null);
  // FrameType is ignored for Metadata, even 0, also inside a multitrack message.
  assert.equal(parseExVideoMessage(Buffer.concat([hex('84'), p.subarray(1)])).packetType, VideoPacketType.Metadata);
  const multi = buildExVideoMessage({ frameType: 0, packetType: 4, multitrackType: 0, tracks: [{ trackId: 1, fourcc: 'hvc1', data: m.tracks[0]!.data }] });
  assert.equal(multi[0], 0x86, 'FrameType 0, Multitrack');
  assert.equal(parseExVideoMessage(multi).tracks[0]?.trackId, 1);
  assertFormatError(() => parseVideoMetadata(hex('00 3ff0000000000000')), /name\/value pairs/);
});

test('audio: Opus SequenceStart, mp4a frames, ModEx, multitrack, multichannel', () => {
  const head = hex('4f707573 48656164 01 02 3801 80bb0000 0000 00 // OpusHead');
  const start = buildAudioSequenceStart('Opus', head);
  assert.deepEqual(start, Buffer.concat([hex('90 // SoundFormat 9, AudioPacketType 0', utf8hex('Opus')), head]));
  assert.equal(isAudioSequenceHeader(start), true);
  const frames = buildAudioCodedFrames('mp4a', hex('21 10'));
  assert.deepEqual(parseExAudioMessage(frames).tracks, [{ trackId: 0, fourcc: 'mp4a', compositionTime: 0, data: hex('21 10') }]);
  assert.equal(isAudioSequenceHeader(frames), false);

  const multi = buildExAudioMessage({ packetType: AudioPacketType.SequenceStart, multitrackType: 1, timestampOffsetNano: 7, tracks: [{ trackId: 0, fourcc: 'Opus', data: head }, { trackId: 1, fourcc: 'Opus', data: head }] });
  assert.equal(multi[0], 0x97, 'ModEx first');
  const m = parseExAudioMessage(multi);
  assert.equal(m.timestampOffsetNano, 7);
  assert.equal(m.multitrackType, 1);
  assert.deepEqual(m.tracks.map((t) => t.trackId), [0, 1]);
  assert.equal(isAudioSequenceHeader(multi), true);

  const mc = buildMultichannelConfig('Opus', { channelOrder: 2, channelCount: 3, mapping: [0, 1, 3] });
  assert.deepEqual(mc, hex('94 // MultichannelConfig', utf8hex('Opus'), '02 03 00 01 03 // custom order, 3 channels'));
  assert.deepEqual(parseMultichannelConfig(parseExAudioMessage(mc).tracks[0]!.data), { channelOrder: 2, channelCount: 3, mapping: [0, 1, 3] });
  assert.deepEqual(parseMultichannelConfig(hex('01 06 0000003f')), { channelOrder: 1, channelCount: 6, channelFlags: 0x3f });
  assertFormatError(() => parseMultichannelConfig(hex('02 04 00')), /truncated audioChannelMapping/);
  assertFormatError(() => parseExAudioMessage(hex('93', utf8hex('Opus'))), /reserved AudioPacketType 3/);
  assertFormatError(() => parseExAudioMessage(hex('af 01')), /not 9/);
});
