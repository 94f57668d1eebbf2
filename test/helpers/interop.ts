/**
 * Steps shared by the interop tests that drive our CLI against nginx-rtmp.
 */
import type { TestContext } from 'node:test';
import type { MediaPacket } from '../../src/media/packet.js';
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
