import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, HeaderCache, Rebaser } from '../../../src/pipeline/continuity.js';
import { PacketType, type MediaPacket } from '../../../src/media/packet.js';
import { encodeAmf0 } from '../../../src/amf/amf0.js';

const video = (ts: number, key = false): MediaPacket => ({ type: PacketType.Video, timestamp: ts, payload: Buffer.from([key ? 0x17 : 0x27, 1, 0, 0, 0, ts & 0xff]) });
const audio = (ts: number): MediaPacket => ({ type: PacketType.Audio, timestamp: ts, payload: Buffer.from([0xaf, 1, ts & 0xff]) });
const avcHeader = (ts: number): MediaPacket => ({ type: PacketType.Video, timestamp: ts, payload: Buffer.from([0x17, 0, 0, 0, 0, 1]) });

test('first session: timestamps pass through unchanged, equal ones included (sequence header and keyframe)', () => {
  const r = new Rebaser();
  assert.deepEqual([avcHeader(1000), video(1000, true), audio(1010), video(1040)].map((p) => r.map(p)), [1000, 1000, 1010, 1040]);
});

test('a session continuing the same clock (GOP replayed): packets already sent are dropped, headers re-stamped', () => {
  const r = new Rebaser();
  for (const p of [video(2000, true), audio(2010), video(2040), audio(2033), video(2080)]) r.map(p);
  r.reset();
  const out = [avcHeader(2000), video(2000, true), audio(2010), video(2040), video(2080), audio(2056), video(2120)].map((p) => r.map(p));
  assert.deepEqual(out, [2080, undefined, undefined, undefined, undefined, 2056, 2120]);
});

test('a session whose clock restarted is shifted to follow the last packet by one frame interval', () => {
  const r = new Rebaser();
  for (const p of [video(100_000, true), video(100_040), video(100_080)]) r.map(p);
  r.reset();
  assert.deepEqual([video(0, true), audio(10), video(40)].map((p) => r.map(p)), [100_120, 100_130, 100_160]);
});

test('HeaderCache replays metadata and both sequence headers at the given timestamp', () => {
  const c = new HeaderCache();
  c.update({ type: PacketType.Data, timestamp: 0, payload: encodeAmf0('onMetaData', { width: 320 }) });
  c.update({ type: PacketType.Data, timestamp: 0, payload: encodeAmf0('onCuePoint', {}) });
  c.update(avcHeader(0));
  c.update({ type: PacketType.Audio, timestamp: 0, payload: Buffer.from([0xaf, 0, 0x12, 0x10]) });
  c.update(video(40));
  c.update(audio(40));
  assert.deepEqual(c.replay(5000).map((p) => [p.type, p.timestamp]), [[18, 5000], [9, 5000], [8, 5000]]);
});

test('backoff doubles from the minimum and stops at the maximum', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 1000, 10_000)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
});
