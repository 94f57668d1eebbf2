import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildAudioSequenceStart, buildExVideoMessage, buildVideoCodedFrames, buildVideoSequenceStart } from '../../../src/media/enhanced.js';
import { PacketType, type MediaPacket } from '../../../src/media/packet.js';
import { SequenceHeaders } from '../../../src/media/sequence-headers.js';
import { hex } from '../../helpers/hex.js';

const v = (payload: Buffer): MediaPacket => ({ type: PacketType.Video, timestamp: 0, payload });

test('one sequence header per track: a multitrack header does not replace track 0', () => {
  const h = new SequenceHeaders();
  const zero = v(buildVideoSequenceStart('hvc1', hex('01')));
  const one = v(buildExVideoMessage({ frameType: 1, packetType: 0, multitrackType: 0, tracks: [{ trackId: 1, fourcc: 'hvc1', data: hex('02') }] }));
  const opus: MediaPacket = { type: PacketType.Audio, timestamp: 0, payload: buildAudioSequenceStart('Opus', hex('03')) };
  assert.equal(h.hasVideo, false);
  assert.deepEqual([h.update(zero), h.update(one), h.update(opus), h.update(v(buildVideoCodedFrames('hvc1', hex('00'), 0, true)))], [true, true, true, false]);
  assert.deepEqual(h.list(), [zero, one, opus]);
  // A new configuration of track 0 replaces the old one, legacy or Enhanced alike.
  const avc = v(hex('17 00 000000 01'));
  h.update(avc);
  assert.deepEqual(h.list(), [one, avc, opus]);
  assert.equal(h.hasVideo, true);
  h.clear();
  assert.deepEqual(h.list(), []);
});

test('bounded: at most 32 track sets are remembered', () => {
  const h = new SequenceHeaders();
  for (let id = 0; id < 100; id++) h.update(v(buildExVideoMessage({ frameType: 1, packetType: 0, multitrackType: 0, tracks: [{ trackId: id, fourcc: 'av01', data: hex('00') }] })));
  assert.equal(h.list().length, 32);
});
