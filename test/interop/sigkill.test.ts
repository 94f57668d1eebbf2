/**
 * Issue #6: a recording whose `rtmp play` is killed with SIGKILL mid-stream
 * is valid up to its last whole tag. `rtmp flv check` calls it ok or
 * repairable (never damaged), every whole tag is the source's packet byte for
 * byte, and after `rtmp flv fix` it is ok, its duration is its last
 * timestamp, and ffprobe reads it without a complaint.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { test } from 'node:test';
import { PacketType, isAudioSequenceHeader, isVideoSequenceHeader, type MediaPacket } from '../../src/media/packet.js';
import { readFlvPackets } from '../../src/pipeline/flv-file-source.js';
import { RtmpServer, type ServerEvent } from '../../src/server/rtmp-server.js';
import { findBinary, requirePeer, rtmpCli, run, sampleFlv, startRtmpCli, tempDir } from '../helpers/peers.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** Payload hashes of each track in file order, and how many are sequence headers (which ffprobe does not list as packets). */
async function trackHashes(file: string): Promise<Record<'audio' | 'video', string[]> & { headers: number }> {
  const out = { audio: [] as string[], video: [] as string[], headers: 0 };
  for await (const p of readFlvPackets(file) as AsyncIterable<MediaPacket>) {
    if (p.type === PacketType.Audio) out.audio.push(md5(p.payload));
    else if (p.type === PacketType.Video) out.video.push(md5(p.payload));
    if ((p.type === PacketType.Audio && isAudioSequenceHeader(p.payload)) || (p.type === PacketType.Video && isVideoSequenceHeader(p.payload))) out.headers++;
  }
  return out;
}

interface CheckJson {
  state: string;
  durationMs: number;
  audio: { firstMs: number | null; lastMs: number | null };
  video: { firstMs: number | null; lastMs: number | null };
  metadata: { duration: number | null; filesize: number | null } | null;
  size: number;
}

test('SIGKILL during rtmp play leaves a recording that flv check/fix handle and ffprobe reads', async (t) => {
  const events: ServerEvent[] = [];
  const server = new RtmpServer({ host: '127.0.0.1', port: 0, onEvent: (e) => events.push(e) });
  await server.listen();
  t.after(() => server.close());
  const url = server.url('live', 'killed');
  const rec = path.join(await tempDir('sigkill'), 'rec.flv');

  const player = startRtmpCli(['play', url, '-o', rec, '--idle-timeout', '20s'], { timeoutMs: 30_000 });
  t.after(() => player.stop());
  for (let i = 0; i < 100 && !events.some((e) => e.type === 'play'); i++) await sleep(50);
  assert.ok(events.some((e) => e.type === 'play'), 'the player subscribed');

  const publisher = rtmpCli(['publish', sampleFlv, url], { timeoutMs: 30_000 });
  for (let i = 0; i < 100 && !events.some((e) => e.type === 'publish'); i++) await sleep(50);
  await sleep(2000);
  assert.ok(player.pid !== undefined);
  process.kill(player.pid, 'SIGKILL');
  const killed = await player.done;
  assert.equal(killed.signal, 'SIGKILL');
  const pub = await publisher;
  assert.equal(pub.code, 0, pub.stderr);

  // 1. Never damaged.
  const before = await rtmpCli(['flv', 'check', '--json', rec]);
  const b = JSON.parse(before.stdout.toString()) as CheckJson;
  assert.ok(b.state === 'ok' || b.state === 'repairable', `state ${b.state}: ${before.stderr}`);
  assert.equal(before.code, b.state === 'ok' ? 0 : 11);
  assert.ok(b.durationMs >= 1000 && b.durationMs < 4500, `about 2 s recorded, got ${b.durationMs} ms`);

  // 2. Every whole tag is the source's packet, track by track.
  const got = await trackHashes(rec);
  const want = await trackHashes(sampleFlv);
  for (const track of ['audio', 'video'] as const) {
    assert.ok(got[track].length > 10, `${track}: ${got[track].length} packets recorded`);
    const start = want[track].indexOf(got[track][0]!);
    assert.ok(start >= 0, `${track}: the first recorded packet is in the source`);
    assert.deepEqual(got[track], want[track].slice(start, start + got[track].length), `${track} payloads`);
  }

  // 3. Fixed: ok, with the duration of its last timestamp.
  const fix = await rtmpCli(['flv', 'fix', rec]);
  assert.equal(fix.code, 0, fix.stderr);
  const after = await rtmpCli(['flv', 'check', '--json', rec]);
  assert.equal(after.code, 0, after.stderr);
  const a = JSON.parse(after.stdout.toString()) as CheckJson;
  assert.equal(a.state, 'ok');
  const first = Math.min(a.audio.firstMs ?? Infinity, a.video.firstMs ?? Infinity);
  const last = Math.max(a.audio.lastMs ?? 0, a.video.lastMs ?? 0);
  assert.equal(a.durationMs, last - first);
  assert.equal(a.metadata?.duration, (last - first) / 1000);
  assert.equal(a.metadata?.filesize, a.size);
  assert.deepEqual(await trackHashes(rec), got, 'the repair kept every whole tag');

  // 4. ffprobe reads it without an error.
  if (!requirePeer(t, 'ffprobe')) return;
  const probe = await run(findBinary('ffprobe')!, ['-v', 'error', '-show_packets', '-show_data_hash', 'MD5', '-of', 'json', rec]);
  assert.equal(probe.code, 0, probe.stderr);
  assert.equal(probe.stderr.trim(), '', 'ffprobe printed no error');
  const packets = (JSON.parse(probe.stdout.toString()) as { packets: Array<{ codec_type: string }> }).packets;
  const media = packets.filter((p) => p.codec_type === 'video' || p.codec_type === 'audio').length;
  assert.equal(media, got.video.length + got.audio.length - got.headers, 'ffprobe reads every whole packet');
});
