import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildAudioCodedFrames, buildExAudioMessage, buildExVideoMessage, buildVideoCodedFrames, parseExVideoMessage } from '../../../src/media/enhanced.js';
import { PacketType, type MediaPacket } from '../../../src/media/packet.js';
import { selectTrack } from '../../../src/media/track-select.js';
import { hex, utf8hex } from '../../helpers/hex.js';

const video = (payload: Buffer): MediaPacket => ({ type: PacketType.Video, timestamp: 1234, payload });
const audio = (payload: Buffer): MediaPacket => ({ type: PacketType.Audio, timestamp: 1234, payload });

const many = buildExVideoMessage({
  frameType: 1,
  packetType: 1,
  multitrackType: 2,
  timestampOffsetNano: 250,
  tracks: [
    { trackId: 0, fourcc: 'hvc1', compositionTime: 40, data: hex('00000002 2601') },
    { trackId: 3, fourcc: 'av01', data: hex('12000a') },
  ],
});

test('a multitrack message becomes the chosen track as a plain message, ModEx kept', () => {
  const r = selectTrack(video(many), { video: 3 });
  assert.equal(r.kind, 'keep');
  if (r.kind !== 'keep') return;
  assert.equal(r.packet.timestamp, 1234);
  assert.deepEqual(r.packet.payload, hex('97 // key, ModEx', '02 0000fa 01 // nano offset 250, then CodedFrames', utf8hex('av01'), '12000a'));
  const zero = selectTrack(video(many), { video: 0 });
  assert.ok(zero.kind === 'keep');
  const m = parseExVideoMessage(zero.packet.payload);
  assert.deepEqual([m.multitrackType, m.tracks[0]?.fourcc, m.tracks[0]?.compositionTime], [undefined, 'hvc1', 40]);
  assert.deepEqual(selectTrack(video(many), { video: 1 }), { kind: 'drop' });
});

test('plain messages are track 0; command frames and data are kept; no selection keeps all', () => {
  const plain = video(buildVideoCodedFrames('hvc1', hex('00'), 0, true));
  assert.equal(selectTrack(plain, { video: 0 }).kind, 'keep');
  assert.equal(selectTrack(plain, { video: 2 }).kind, 'drop');
  const legacy = video(hex('17 01 000000 00'));
  assert.equal(selectTrack(legacy, { video: 0 }).kind, 'keep');
  assert.equal(selectTrack(legacy, { video: 1 }).kind, 'drop');
  assert.equal(selectTrack(video(hex('d1 00 // command: StartSeek')), { video: 4 }).kind, 'keep');
  const data: MediaPacket = { type: PacketType.Data, timestamp: 0, payload: hex('02 0000') };
  assert.equal(selectTrack(data, { video: 4, audio: 4 }).kind, 'keep');
  const r = selectTrack(video(many), {});
  assert.ok(r.kind === 'keep' && r.packet.payload === many, 'the same payload, not a copy');
});

test('audio tracks, and a malformed multitrack message', () => {
  const multi = buildExAudioMessage({ packetType: 1, multitrackType: 1, tracks: [{ trackId: 0, fourcc: 'Opus', data: hex('aa') }, { trackId: 1, fourcc: 'Opus', data: hex('bbcc') }] });
  const one = selectTrack(audio(multi), { audio: 1 });
  assert.ok(one.kind === 'keep');
  assert.deepEqual(one.packet.payload, buildAudioCodedFrames('Opus', hex('bbcc')));
  assert.equal(selectTrack(audio(hex('af 01 21')), { audio: 1 }).kind, 'drop', 'legacy AAC is track 0');
  const broken = selectTrack(video(hex('96 11', utf8hex('hvc1'), '00 000009 00')), { video: 0 });
  assert.equal(broken.kind, 'malformed');
});
