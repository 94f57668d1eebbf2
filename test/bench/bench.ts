/**
 * Throughput benchmark against real peers: our `rtmp publish` vs ffmpeg and
 * our `rtmp play` vs rtmpdump, through a private nginx-rtmp, on a 60 s 1080p
 * ~8 Mbit/s H.264+AAC FLV. Reports wall time, MB/s, CPU seconds and peak RSS
 * per tool (medians over rounds) and the ratios ours/peer.
 *
 *   npm run bench -- [--rounds 3] [--json results.json] [--seconds 60]
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  countPackets,
  findBinary,
  genFlv,
  peerAvailable,
  rtmpBin,
  run,
  startNginx,
  startProcess,
  tail,
  tempDir,
  type PeerName,
  type RunResult,
} from '../helpers/peers.js';

const RUN_TIMEOUT_MS = 300_000;
const RSS_TARGET_MB = 80;
const MB = 1e6;

interface Sample {
  wallSec: number;
  mbPerSec: number;
  cpuSec: number;
  peakRssMb: number;
  code: number;
  /** Play only: the download holds as many packets as the source. */
  complete?: boolean;
}

interface Summary {
  wallSec: number;
  mbPerSec: number;
  cpuSec: number;
  peakRssMb: number;
}

interface ToolResult {
  tool: string;
  command: string[];
  samples: Sample[];
  median: Summary | null;
}

interface Comparison {
  ours: ToolResult | null;
  peer: ToolResult;
  /** ours / peer of the medians; throughput > 1 means we are faster. */
  ratios: Summary | null;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  const lo = sorted[mid - 1] ?? hi;
  return sorted.length % 2 === 1 ? hi : (lo + hi) / 2;
}

function summarize(samples: readonly Sample[]): Summary | null {
  const ok = samples.filter((s) => s.code === 0 || s.code === 2);
  if (ok.length === 0) return null;
  return {
    wallSec: median(ok.map((s) => s.wallSec)),
    mbPerSec: median(ok.map((s) => s.mbPerSec)),
    cpuSec: median(ok.map((s) => s.cpuSec)),
    peakRssMb: median(ok.map((s) => s.peakRssMb)),
  };
}

// ---------------------------------------------------------------------------
// Measuring one command: GNU time when present, else /proc.

interface Measured {
  result: RunResult;
  wallSec: number;
  cpuSec: number;
  peakRssMb: number;
}

const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

async function measureWithGnuTime(cmd: string, args: readonly string[], scratch: string): Promise<Measured> {
  const timeFile = path.join(scratch, 'time.txt');
  const started = process.hrtime.bigint();
  const result = await run(gnuTime ?? 'time', ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...args], { timeoutMs: RUN_TIMEOUT_MS });
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  // GNU time prefixes "Command exited with non-zero status N" when it does; the figures are the last line.
  const last = tail(await readFile(timeFile, 'utf8').catch(() => ''), 1);
  const [, user, sys, maxRssKb] = last.split(/\s+/).map(Number);
  return { result, wallSec, cpuSec: (user ?? Number.NaN) + (sys ?? Number.NaN), peakRssMb: (maxRssKb ?? Number.NaN) / 1024 };
}

/** utime + stime of our reaped children, in seconds (fields 16 and 17 of /proc/self/stat, clock ticks). */
async function childrenCpuSec(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name, field 3 (state) is index 0, so fields 16/17 are indexes 13/14.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

async function measureWithProc(cmd: string, args: readonly string[]): Promise<Measured> {
  const cpuBefore = await childrenCpuSec();
  const started = process.hrtime.bigint();
  const handle = startProcess(cmd, args, { timeoutMs: RUN_TIMEOUT_MS });
  let peakKb = 0;
  const poll = setInterval(() => {
    if (handle.pid === undefined) return;
    readFile(`/proc/${handle.pid}/status`, 'utf8')
      .then((status) => {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
        if (hwm?.[1]) peakKb = Math.max(peakKb, Number(hwm[1]));
      })
      .catch(() => undefined);
  }, 10);
  const result = await handle.done.finally(() => clearInterval(poll));
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  return { result, wallSec, cpuSec: (await childrenCpuSec()) - cpuBefore, peakRssMb: peakKb / 1024 };
}

function measure(cmd: string, args: readonly string[], scratch: string): Promise<Measured> {
  return gnuTime ? measureWithGnuTime(cmd, args, scratch) : measureWithProc(cmd, args);
}

// ---------------------------------------------------------------------------

interface Options {
  rounds: number;
  json: string | undefined;
  seconds: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      json: { type: 'string' },
      seconds: { type: 'string', default: '60' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench --  [--rounds N] [--json PATH] [--seconds S]\n');
    process.exit(0);
  }
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--seconds must be positive, got ${values.seconds}`);
  return { rounds, json: values.json, seconds };
}

/** The big input, generated once per parameter set and cached across runs. */
async function benchInput(seconds: number): Promise<{ file: string; params: Record<string, string | number> }> {
  const params = { seconds, size: '1920x1080', fps: 30, videoBitrate: '8M', gop: 60, audioBitrate: '128k', preset: 'veryfast' };
  const key = Object.values(params).join('-').replace(/[^A-Za-z0-9.-]/g, '_');
  const cacheDir = path.join(os.tmpdir(), 'rtmp-bench-cache');
  const file = path.join(cacheDir, `big-${key}.flv`);
  if (existsSync(file)) {
    process.stderr.write(`using cached ${file}\n`);
  } else {
    await mkdir(cacheDir, { recursive: true });
    process.stderr.write(`generating ${file} (${seconds} s of 1080p; this takes a while once)...\n`);
    const started = Date.now();
    await genFlv(file, { ...params, timeoutMs: 1_800_000 });
    process.stderr.write(`generated in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  return { file, params };
}

function fmt(value: number | undefined, digits: number): string {
  return value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);
}

function row(label: string, summary: Summary | null | undefined): string {
  return [
    label.padEnd(22),
    fmt(summary?.wallSec, 2).padStart(8),
    fmt(summary?.mbPerSec, 1).padStart(9),
    fmt(summary?.cpuSec, 2).padStart(8),
    fmt(summary?.peakRssMb, 1).padStart(12),
  ].join('');
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const peers: PeerName[] = ['nginx', 'ffmpeg', 'ffprobe', 'rtmpdump'];
  const missing = peers.filter((p) => !peerAvailable(p));
  if (missing.length > 0) {
    throw new Error(`missing peers: ${missing.join(', ')} (apt-get install nginx libnginx-mod-rtmp ffmpeg rtmpdump)`);
  }
  const haveOurs = existsSync(rtmpBin);
  if (!haveOurs) {
    process.stderr.write(`note: ${rtmpBin} does not exist yet; measuring the peers only.\n`);
  }
  if (!gnuTime) process.stderr.write('note: /usr/bin/time missing (apt-get install time); measuring via /proc instead.\n');

  const { file, params } = await benchInput(opts.seconds);
  const bytes = (await stat(file)).size;
  const sourcePackets = await countPackets(file);
  const scratch = await tempDir('bench');
  const nginx = await startNginx({ outQueue: 8192, vodDir: path.dirname(file) });
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    process.stderr.write(`WARNING: ${message}\n`);
  };

  try {
    const vodUrl = nginx.url('vod', path.basename(file));
    // Our tool runs as installed users run `rtmp`: the launcher itself, through its shebang.
    const ffmpeg = findBinary('ffmpeg') ?? 'ffmpeg';
    const rtmpdump = findBinary('rtmpdump') ?? 'rtmpdump';
    const oursOut = path.join(scratch, 'out.flv');
    const peerOut = path.join(scratch, 'out2.flv');

    const tools = {
      publishOurs: { tool: 'rtmp publish', command: [rtmpBin, 'publish', '--no-realtime', '--quiet', file, nginx.url('live', 'bench')] },
      publishPeer: { tool: 'ffmpeg', command: [ffmpeg, '-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-c', 'copy', '-f', 'flv', nginx.url('live', 'bench2')] },
      playOurs: { tool: 'rtmp play', command: [rtmpBin, 'play', '--buffer', '36000000', '--quiet', vodUrl, '-o', oursOut], out: oursOut },
      playPeer: { tool: 'rtmpdump', command: [rtmpdump, '-q', '-r', vodUrl, '-o', peerOut], out: peerOut },
    };
    const results = new Map<keyof typeof tools, ToolResult>();
    for (const [key, spec] of Object.entries(tools) as Array<[keyof typeof tools, (typeof tools)[keyof typeof tools]]>) {
      results.set(key, { tool: spec.tool, command: spec.command, samples: [], median: null });
    }

    const runOne = async (key: keyof typeof tools, round: number): Promise<void> => {
      const spec = tools[key];
      const [cmd, ...args] = spec.command;
      if (cmd === undefined) return;
      const out = 'out' in spec ? spec.out : undefined;
      if (out) await rm(out, { force: true });
      const m = await measure(cmd, args, scratch);
      const sample: Sample = {
        wallSec: m.wallSec,
        mbPerSec: bytes / MB / m.wallSec,
        cpuSec: m.cpuSec,
        peakRssMb: m.peakRssMb,
        code: m.result.code,
      };
      // rtmpdump exits 2 ("incomplete") when the file's duration metadata and the
      // last timestamp disagree, even when every packet arrived; counting decides.
      const acceptable = m.result.code === 0 || (key === 'playPeer' && m.result.code === 2);
      if (!acceptable || m.result.timedOut) {
        const lines = m.result.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
        const why = lines.find((l) => /error/i.test(l)) ?? lines[lines.length - 1] ?? '';
        warn(`${spec.tool} round ${round} exited ${m.result.code}${m.result.timedOut ? ' (timed out)' : ''}: ${why}`);
      }
      if (out) {
        const got = existsSync(out) ? await countPackets(out) : { video: 0, audio: 0 };
        sample.complete = got.video === sourcePackets.video && got.audio === sourcePackets.audio;
        if (!sample.complete) {
          warn(`${spec.tool} round ${round} download incomplete: video ${got.video}/${sourcePackets.video}, audio ${got.audio}/${sourcePackets.audio}`);
        }
      }
      results.get(key)?.samples.push(sample);
      process.stderr.write(
        `round ${round} ${spec.tool.padEnd(13)} ${sample.wallSec.toFixed(2)} s  ${sample.mbPerSec.toFixed(1)} MB/s  cpu ${sample.cpuSec.toFixed(2)} s  rss ${sample.peakRssMb.toFixed(1)} MB${acceptable ? '' : '  (failed, not counted)'}\n`,
      );
    };

    for (let round = 1; round <= opts.rounds; round++) {
      // Alternate who goes first so warm caches favour neither side.
      const pairs: Array<Array<keyof typeof tools>> = [
        ['publishOurs', 'publishPeer'],
        ['playOurs', 'playPeer'],
      ];
      for (const pair of pairs) {
        const order = round % 2 === 1 ? pair : [...pair].reverse();
        for (const key of order) {
          if (!haveOurs && (key === 'publishOurs' || key === 'playOurs')) continue;
          await runOne(key, round);
        }
      }
    }

    // Each tool's fixed cost of starting and exiting (Node's runtime and our modules; ffmpeg's
    // libraries), measured the same way on a run that moves no media. Reported separately so
    // the transfer rate itself can be compared; the targets stay on the raw wall times.
    const startupCommands = {
      ours: [rtmpBin, '--version'],
      ffmpeg: [ffmpeg, '-hide_banner', '-version'],
      rtmpdump: [rtmpdump, '-h'],
    } as const;
    const startup: Record<keyof typeof startupCommands, number> = { ours: 0, ffmpeg: 0, rtmpdump: 0 };
    for (const [name, [cmd, ...args]] of Object.entries(startupCommands) as Array<[keyof typeof startupCommands, readonly string[]]>) {
      if (name === 'ours' && !haveOurs) continue;
      const walls: number[] = [];
      for (let i = 0; i < Math.max(3, opts.rounds); i++) walls.push((await measure(cmd!, args, scratch)).wallSec);
      startup[name] = median(walls);
    }
    const net = (wall: number | undefined, start: number): string =>
      wall === undefined ? 'n/a' : wall - start > 0 ? `${(bytes / MB / (wall - start)).toFixed(1)} MB/s` : 'n/a';

    for (const result of results.values()) result.median = summarize(result.samples);
    const compare = (ours: keyof typeof tools, peer: keyof typeof tools): Comparison => {
      const o = haveOurs ? (results.get(ours) ?? null) : null;
      const p = results.get(peer);
      if (!p) throw new Error(`no results for ${peer}`);
      const om = o?.median;
      const pm = p.median;
      const ratios =
        om && pm
          ? { wallSec: om.wallSec / pm.wallSec, mbPerSec: om.mbPerSec / pm.mbPerSec, cpuSec: om.cpuSec / pm.cpuSec, peakRssMb: om.peakRssMb / pm.peakRssMb }
          : null;
      return { ours: o, peer: p, ratios };
    };
    const publish = compare('publishOurs', 'publishPeer');
    const play = compare('playOurs', 'playPeer');

    const verdict = (ok: boolean | null): string => (ok === null ? 'n/a' : ok ? 'PASS' : 'FAIL');
    const targets = {
      publishThroughputAtLeastFfmpeg: publish.ratios ? publish.ratios.mbPerSec >= 1 : null,
      playThroughputAtLeastRtmpdump: play.ratios ? play.ratios.mbPerSec >= 1 : null,
      publishPeakRssBelow80Mb: publish.ours?.median ? publish.ours.median.peakRssMb < RSS_TARGET_MB : null,
      playPeakRssBelow80Mb: play.ours?.median ? play.ours.median.peakRssMb < RSS_TARGET_MB : null,
    };

    const lines = [
      '',
      `rtmp-toolkit bench: ${path.basename(file)} (${(bytes / MB).toFixed(1)} MB, ${sourcePackets.video} video + ${sourcePackets.audio} audio packets)`,
      `nginx-rtmp on 127.0.0.1:${nginx.port}, out_queue 8192; ${opts.rounds} round(s), medians; ${gnuTime ? 'GNU time' : '/proc'} figures`,
      '',
      `${''.padEnd(22)}${'wall s'.padStart(8)}${'MB/s'.padStart(9)}${'CPU s'.padStart(8)}${'peak RSS MB'.padStart(12)}`,
      row('publish  rtmp (ours)', publish.ours?.median),
      row('publish  ffmpeg', publish.peer.median),
      row('play     rtmp (ours)', play.ours?.median),
      row('play     rtmpdump', play.peer.median),
      '',
      `ratios ours/peer   publish: throughput ${fmt(publish.ratios?.mbPerSec, 2)}x, CPU ${fmt(publish.ratios?.cpuSec, 2)}x, RSS ${fmt(publish.ratios?.peakRssMb, 2)}x`,
      `                   play:    throughput ${fmt(play.ratios?.mbPerSec, 2)}x, CPU ${fmt(play.ratios?.cpuSec, 2)}x, RSS ${fmt(play.ratios?.peakRssMb, 2)}x`,
      '',
      `start-up and exit alone (median): rtmp ${startup.ours.toFixed(3)} s, ffmpeg ${startup.ffmpeg.toFixed(3)} s, rtmpdump ${startup.rtmpdump.toFixed(3)} s`,
      `transfer rate net of start-up:  publish ours ${net(publish.ours?.median?.wallSec, startup.ours)} vs ffmpeg ${net(publish.peer.median?.wallSec, startup.ffmpeg)};` +
        ` play ours ${net(play.ours?.median?.wallSec, startup.ours)} vs rtmpdump ${net(play.peer.median?.wallSec, startup.rtmpdump)}`,
      '',
      `target publish throughput >= ffmpeg:   ${verdict(targets.publishThroughputAtLeastFfmpeg)}`,
      `target play throughput >= rtmpdump:    ${verdict(targets.playThroughputAtLeastRtmpdump)}`,
      `target peak RSS < ${RSS_TARGET_MB} MB (publish/play): ${verdict(targets.publishPeakRssBelow80Mb)}/${verdict(targets.playPeakRssBelow80Mb)}`,
      ...(haveOurs ? [] : ['', `(${rtmpBin} is missing: only the peers were measured)`]),
      ...warnings.map((w) => `WARNING: ${w}`),
      '',
    ];
    process.stdout.write(lines.join('\n'));

    if (opts.json) {
      const report = {
        date: new Date().toISOString(),
        node: process.version,
        host: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', platform: `${os.platform()} ${os.release()}` },
        input: { file, bytes, params, packets: sourcePackets },
        rounds: opts.rounds,
        measuredWith: gnuTime ? 'gnu-time' : 'proc',
        publish,
        play,
        startupSec: startup,
        targets: { ...targets, peakRssMb: RSS_TARGET_MB },
        warnings,
      };
      await writeFile(opts.json, `${JSON.stringify(report, null, 2)}\n`);
      process.stderr.write(`wrote ${opts.json}\n`);
    }
  } finally {
    await nginx.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
