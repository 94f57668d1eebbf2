/**
 * `npm run demo`: the main job end to end on this machine alone. Starts a
 * private nginx-rtmp on a free 127.0.0.1 port, records the stream with
 * `rtmp play` while `rtmp publish` sends the bundled sample (with its
 * progress bar when run on a terminal), then compares the recording with the
 * sample packet by packet using our own FLV reader.
 *
 * (Issue #4's embedded `rtmp serve` will replace nginx here.)
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { readFlvPackets } from '../../src/pipeline/flv-file-source.js';
import { PacketType } from '../../src/media/packet.js';
import { findNginx, rtmpBin, sampleFlv, startNginx, startRtmpCli, tempDir, waitForExit } from '../helpers/peers.js';

/** "type timestamp md5" for every audio and video packet of a file. */
async function fingerprint(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const p of readFlvPackets(file)) {
    if (p.type === PacketType.Data) continue;
    out.push(`${p.type === PacketType.Video ? 'video' : 'audio'} ${p.timestamp} ${createHash('md5').update(p.payload).digest('hex')}`);
  }
  return out;
}

async function main(): Promise<number> {
  if (!findNginx()) {
    process.stderr.write('demo: needs nginx with the RTMP module until `rtmp serve` exists: apt-get install nginx libnginx-mod-rtmp\n');
    return 3;
  }
  const nginx = await startNginx({ extraApps: 'application demo { live on; record off; }' });
  try {
    const dir = await tempDir('rtmp-demo-');
    const recording = path.join(dir, 'recording.flv');
    const url = nginx.url('demo', 'demo-key');
    process.stdout.write(`nginx-rtmp listening on 127.0.0.1:${nginx.port}\n`);
    process.stdout.write(`$ rtmp play ${url.replace('demo-key', '****')} -o ${recording}\n`);
    const player = startRtmpCli(['play', '--quiet', url, '-o', recording], { timeoutMs: 60_000 });
    await nginx.waitForLog(/play: name='demo-key'/);
    process.stdout.write(`$ rtmp publish ${path.relative(process.cwd(), sampleFlv)} ${url.replace('demo-key', '****')}\n`);
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [rtmpBin, 'publish', sampleFlv, url], { stdio: 'inherit' });
      child.on('exit', (c) => resolve(c ?? 1));
    });
    if (code !== 0) return code;
    const played = await waitForExit(player, 10_000);
    process.stdout.write(played.stderr);
    if (played.code !== 0) return played.code;
    // Track by track: servers may interleave audio and video differently (nginx-rtmp sends the
    // audio sequence header after the first video keyframe), but each track must be identical.
    const [src, rec] = await Promise.all([fingerprint(sampleFlv), fingerprint(recording)]);
    let ok = true;
    for (const track of ['video', 'audio']) {
      const a = src.filter((l) => l.startsWith(track));
      const b = rec.filter((l) => l.startsWith(track));
      const bad = a.findIndex((l, i) => l !== b[i]);
      const same = a.length === b.length && bad === -1;
      ok &&= same;
      process.stdout.write(
        same
          ? `OK: ${track}: all ${b.length} packets of the sample arrived with the same timestamp and MD5\n`
          : `MISMATCH: ${track}: sample ${a.length} packets, recording ${b.length}; first difference at #${bad === -1 ? b.length : bad}\n`,
      );
    }
    return ok ? 0 : 1;
  } finally {
    await nginx.stop();
  }
}

process.exitCode = await main();
