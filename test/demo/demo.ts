/**
 * `npm run demo`: the main job end to end with nothing else installed.
 * Starts `rtmp serve` on a free 127.0.0.1 port, records the stream with
 * `rtmp play` while `rtmp publish` sends the bundled sample (with its
 * progress bar when run on a terminal), probes the recording, then compares
 * it with the sample track by track, packet by packet, using our own FLV reader.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { readFlvPackets } from '../../src/pipeline/flv-file-source.js';
import { PacketType } from '../../src/media/packet.js';
import { freePort, rtmpBin, sampleFlv, startRtmpCli, tempDir, waitForExit, waitForPort } from '../helpers/peers.js';

/** "type timestamp md5" for every audio and video packet of a file. */
async function fingerprint(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const p of readFlvPackets(file)) {
    if (p.type === PacketType.Data) continue;
    out.push(`${p.type === PacketType.Video ? 'video' : 'audio'} ${p.timestamp} ${createHash('md5').update(p.payload).digest('hex')}`);
  }
  return out;
}

/** Runs `rtmp ...args` with the terminal attached (progress bar, summary). */
function runAttached(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    process.stdout.write(`$ rtmp ${args.map((a) => a.replace('demo-key', '****')).join(' ')}\n`);
    const child = spawn(process.execPath, [rtmpBin, ...args], { stdio: 'inherit' });
    child.on('exit', (c) => resolve(c ?? 1));
  });
}

async function main(): Promise<number> {
  const port = await freePort();
  const dir = await tempDir('rtmp-demo-');
  const recording = path.join(dir, 'recording.flv');
  const url = `rtmp://127.0.0.1:${port}/live/demo-key`;
  process.stdout.write(`$ rtmp serve --port ${port}\n`);
  const server = startRtmpCli(['serve', '--port', String(port)], { timeoutMs: 120_000 });
  try {
    if (!(await waitForPort(port))) throw new Error(`rtmp serve did not listen on 127.0.0.1:${port}`);
    process.stdout.write(`$ rtmp play ${url.replace('demo-key', '****')} -o ${recording}   (in the background)\n`);
    const player = startRtmpCli(['play', '--quiet', url, '-o', recording], { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 500));
    const code = await runAttached(['publish', path.relative(process.cwd(), sampleFlv), url]);
    if (code !== 0) return code;
    const played = await waitForExit(player, 10_000);
    if (played.code !== 0) {
      process.stdout.write(played.stderr);
      return played.code;
    }
    const probed = await runAttached(['probe', recording]);
    if (probed !== 0) return probed;
    // Servers may interleave audio and video differently, but each track must be identical.
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
    await server.stop();
  }
}

process.exitCode = await main();
