/**
 * Steps shared by the interop tests that drive our CLI against nginx-rtmp.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { PacketType, type MediaPacket } from '../../src/media/packet.js';
import { readFlvPackets } from '../../src/pipeline/flv-file-source.js';
import { requirePeer, startNginx, startRtmpCli, type ChildHandle, type NginxOptions, type NginxServer, type PeerName } from './peers.js';

/** A live app without publish_notify: nginx ends live streams for players with StreamEOF only. */
export const EOF_ONLY_APP = 'application eof { live on; record off; }';

/** True when every peer is there (skips locally, fails under CI=true otherwise). */
export function havePeers(t: TestContext, peers: PeerName[] = ['nginx', 'ffmpeg', 'ffprobe']): boolean {
  return peers.every((p) => requirePeer(t, p));
}

/**
 * A private nginx-rtmp for one test, stopped when the test ends; undefined
 * (the test is skipped, or fails under CI=true) when a peer is missing.
 */
export async function nginxForTest(t: TestContext, opts: NginxOptions = {}): Promise<NginxServer | undefined> {
  if (!havePeers(t)) return undefined;
  const nginx = await startNginx(opts);
  t.after(() => nginx.stop());
  return nginx;
}

/**
 * Starts `rtmp play --quiet <url> -o out` and resolves once nginx logged the
 * play, so a publisher started afterwards is recorded from its first packet.
 * The recorder is stopped when the test ends.
 */
export async function startRecorder(t: TestContext, nginx: NginxServer, app: string, stream: string, out: string, timeoutMs = 40_000): Promise<ChildHandle> {
  const player = startRtmpCli(['play', '--quiet', nginx.url(app, stream), '-o', out], { timeoutMs });
  t.after(() => player.stop());
  await nginx.waitForLog(new RegExp(`play: name='${stream}'`));
  return player;
}

/** Every packet of an FLV file, read with our own reader. */
export async function packetsOf(file: string): Promise<MediaPacket[]> {
  const out: MediaPacket[] = [];
  for await (const p of readFlvPackets(file)) out.push(p);
  return out;
}

/**
 * Checks a `publish --loop 2` recording against the source's audio and video
 * packets (script data left out of both): per track, the source once, then
 * again without its sequence header, with the same payloads and timestamps
 * that never go back, the second pass starting after the first one ends.
 */
export function assertPublishedTwice(source: readonly MediaPacket[], got: readonly MediaPacket[]): void {
  for (const type of [PacketType.Video, PacketType.Audio]) {
    const a = source.filter((p) => p.type === type);
    const b = got.filter((p) => p.type === type);
    assert.equal(b.length, a.length * 2 - 1, `track ${type}`);
    for (let i = 1; i < b.length; i++) assert.ok(b[i]!.timestamp >= b[i - 1]!.timestamp, `track ${type} goes back at #${i}`);
    for (let i = 0; i < a.length; i++) assert.deepEqual(b[i]!.payload, a[i]!.payload, `track ${type} pass 1 #${i}`);
    for (let i = 1; i < a.length; i++) assert.deepEqual(b[a.length - 1 + i]!.payload, a[i]!.payload, `track ${type} pass 2 #${i}`);
    const span = a.at(-1)!.timestamp - a[0]!.timestamp;
    assert.ok(b[a.length]!.timestamp - b[1]!.timestamp > span, `track ${type}: the second pass starts after the first one ends`);
  }
}
