/**
 * Enhanced RTMP ReconnectRequest (issue #7): when the server asks, `rtmp
 * publish` keeps sending to it up to the next keyframe, then goes on with
 * that keyframe on a new connection to the given tcUrl. Together the two
 * servers' recordings hold every packet of the source exactly once, with the
 * source's timestamps: no gap, no jump, and the new server's stream starts
 * with the headers and a keyframe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { PacketType, isAudioSequenceHeader, isVideoKeyframe, isVideoSequenceHeader, type MediaPacket } from '../../src/media/packet.js';
import { RtmpServer } from '../../src/server/rtmp-server.js';
import { packetsOf } from '../helpers/interop.js';
import { rtmpCli, sampleFlv, tempDir } from '../helpers/peers.js';

const isHeader = (p: MediaPacket): boolean =>
  p.type === PacketType.Data || (p.type === PacketType.Video ? isVideoSequenceHeader(p.payload) : isAudioSequenceHeader(p.payload));
const key = (p: MediaPacket): string => `${p.type} ${p.timestamp} ${createHash('md5').update(p.payload).digest('hex')}`;

async function recording(dir: string): Promise<MediaPacket[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.flv'));
  assert.equal(files.length, 1, `one recording in ${dir}: ${files.join(', ')}`);
  return packetsOf(path.join(dir, files[0]!));
}

test('publish follows a ReconnectRequest to the new tcUrl at the next keyframe, without a gap or a jump', async (t) => {
  const [dirA, dirB] = [await tempDir('reconnect-a'), await tempDir('reconnect-b')];
  let publishing: () => void = () => {};
  const started = new Promise<void>((resolve) => (publishing = resolve));
  const a = new RtmpServer({ host: '127.0.0.1', port: 0, recordDir: dirA, onEvent: (e) => e.type === 'publish' && publishing() });
  const b = new RtmpServer({ host: '127.0.0.1', port: 0, recordDir: dirB });
  const [{ port: portA }, { port: portB }] = [await a.listen(), await b.listen()];
  t.after(() => Promise.all([a.close(), b.close()]));

  const run = rtmpCli(['publish', '--json', sampleFlv, `rtmp://127.0.0.1:${portA}/live/moving`], { timeoutMs: 30_000 });
  await started;
  // Mid-GOP: the publisher must stay on A until the keyframe at 2.08 s.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(a.requestReconnect({ tcUrl: `rtmp://127.0.0.1:${portB}/live`, description: 'moving you' }), 1);
  const r = await run;
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { type: string; url?: string; switchovers?: number });
  assert.ok(events.some((e) => e.type === 'switchover' && e.url === `rtmp://127.0.0.1:${portB}/live/****`), r.stdout.toString());
  assert.equal(events.at(-1)?.switchovers, 1);
  await Promise.all([a.close(), b.close()]);

  const source = await packetsOf(sampleFlv);
  const [onA, onB] = [await recording(dirA), await recording(dirB)];
  // B starts with metadata and both sequence headers at the switch keyframe's timestamp, then that keyframe.
  const firstMedia = onB.findIndex((p) => !isHeader(p));
  assert.ok(firstMedia >= 3, `B got the metadata and sequence headers first (${firstMedia} header packets)`);
  const switchFrame = onB[firstMedia]!;
  assert.equal(switchFrame.type, PacketType.Video);
  assert.ok(isVideoKeyframe(switchFrame.payload), 'B starts on a keyframe');
  assert.ok(switchFrame.timestamp >= 1000, `the switch waited for a later keyframe (at ${switchFrame.timestamp} ms)`);
  for (const h of onB.slice(0, firstMedia)) assert.equal(h.timestamp, switchFrame.timestamp, 'headers carry the switch timestamp');
  const headerKinds = new Set(onB.slice(0, firstMedia).map((p) => p.type));
  assert.deepEqual([...headerKinds].sort(), [PacketType.Audio, PacketType.Video, PacketType.Data].sort());

  // Every media packet exactly once, in order, with the source's timestamps: A up to the keyframe, B from it.
  const want = source.filter((p) => !isHeader(p)).map(key);
  const got = [...onA.filter((p) => !isHeader(p)), ...onB.filter((p) => !isHeader(p))].map(key);
  assert.equal(got.length, want.length, `A ${onA.length} + B ${onB.length} packets vs ${want.length} media packets in the source`);
  assert.deepEqual(got, want);
  assert.ok(onA.filter((p) => !isHeader(p)).length > 0, 'A kept the stream until the keyframe');
});

test('a relay destination follows a ReconnectRequest at a keyframe; the relay stays complete', async (t) => {
  const [dirA, dirB] = [await tempDir('relay-move-a'), await tempDir('relay-move-b')];
  let live: () => void = () => {};
  const destinationLive = new Promise<void>((resolve) => (live = resolve));
  const source = new RtmpServer({ host: '127.0.0.1', port: 0 });
  const a = new RtmpServer({ host: '127.0.0.1', port: 0, recordDir: dirA, onEvent: (e) => e.type === 'publish' && live() });
  const b = new RtmpServer({ host: '127.0.0.1', port: 0, recordDir: dirB });
  const [{ port: port0 }, { port: portA }, { port: portB }] = [await source.listen(), await a.listen(), await b.listen()];
  t.after(() => Promise.all([source.close(), a.close(), b.close()]));

  const relay = rtmpCli(['relay', '--json', `rtmp://127.0.0.1:${port0}/live/in`, `rtmp://127.0.0.1:${portA}/live/out`], { timeoutMs: 30_000 });
  await destinationLive;
  const publish = rtmpCli(['publish', '--quiet', sampleFlv, `rtmp://127.0.0.1:${port0}/live/in`], { timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(a.requestReconnect({ tcUrl: `//127.0.0.1:${portB}/live` }), 1);
  const [p, r] = await Promise.all([publish, relay]);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(r.code, 0, `relay: ${r.stderr}`);
  const events = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { type: string; to?: string; error?: string });
  const moves = events.filter((e) => e.type === 'switchover');
  assert.deepEqual(moves.map((e) => [e.to, e.error]), [[`rtmp://127.0.0.1:${portB}/live/****`, undefined]]);
  await Promise.all([a.close(), b.close()]);

  const want = (await packetsOf(sampleFlv)).filter((x) => !isHeader(x)).map(key);
  const [onA, onB] = [await recording(dirA), await recording(dirB)];
  const firstMedia = onB.find((x) => !isHeader(x))!;
  assert.ok(firstMedia.type === PacketType.Video && isVideoKeyframe(firstMedia.payload), 'B starts on a keyframe');
  const got = [...onA.filter((x) => !isHeader(x)), ...onB.filter((x) => !isHeader(x))].map(key);
  assert.deepEqual(got, want, 'A and B together got every media packet once, timestamps unchanged');
});
