/**
 * ffmpeg as source and sink (issue #5), against nginx-rtmp and a real
 * ffmpeg: publish --test-pattern and --transcode, play --ffmpeg-output,
 * ffmpeg missing or failing, either side dying, SIGINT, and `play -o -`
 * losing its reader. Each ffmpeg we start carries a unique marker so the
 * tests can check with ps that none survives.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import {
  comparePackets,
  countPackets,
  genFlv,
  probePackets,
  probeStreams,
  processesWith,
  rtmpCli,
  runFfmpeg,
  startRtmpCli,
  startRtmpCliInto,
  tempDir,
  waitForExit,
  type ProbedPacket,
} from '../helpers/peers.js';
import { havePeers, nginxForTest, startRecorder } from '../helpers/interop.js';

const NOT_FOUND = 'ffmpeg not found on PATH; install it (e.g. apt-get install ffmpeg) or pass --ffmpeg <path>';

let markers = 0;
/** A sine frequency no other process uses: it marks the ffmpeg started with it. */
function uniqueSine(): string {
  return `sine=frequency=${300 + (process.pid % 500)}.${Date.now() % 100_000}${markers++}`;
}

/** ffmpeg processes (not our own CLI, whose arguments carry the marker too) still running with `marker`. */
function ffmpegsWith(marker: string): Array<{ pid: number; args: string }> {
  return processesWith(marker).filter((p) => !p.args.includes('rtmp.js'));
}

/** Polls until an ffmpeg carrying `marker` runs; its pid. */
async function ffmpegPid(marker: string, timeoutMs = 5000): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = ffmpegsWith(marker)[0];
    if (found) return found.pid;
    if (Date.now() > until) throw new Error(`no ffmpeg with ${marker} started`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function only(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one stderr line expected:\n${stderr}`);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
  return lines[0]!;
}

const track = (packets: ProbedPacket[], type: 'video' | 'audio'): ProbedPacket[] => packets.filter((p) => p.codecType === type);

test('publish --test-pattern --duration 2s: H.264 + AAC 48 kHz at the requested size and fps, fps x duration frames, GOP as asked, in real time', async (t) => {
  const nginx = await nginxForTest(t);
  if (!nginx) return;
  const out = path.join(await tempDir('ff-tp'), 'tp.flv');
  const player = await startRecorder(t, nginx, 'live', 'tp', out);
  const started = performance.now();
  const pub = await rtmpCli(['publish', '--test-pattern', '--duration', '2s', '--size', '320x240', '--fps', '25', '--gop', '1s', nginx.url('live', 'tp')]);
  const wallMs = performance.now() - started;
  assert.equal(pub.code, 0, pub.stderr);
  assert.match(pub.stderr, /published 2\.0 s of media/);
  assert.ok(wallMs > 1800, `paced in real time: took ${wallMs.toFixed(0)} ms`);
  assert.equal((await waitForExit(player, 8000)).code, 0);

  const streams = await probeStreams(out);
  const v = streams.find((s) => s.codec_type === 'video');
  const a = streams.find((s) => s.codec_type === 'audio');
  assert.deepEqual([v?.codec_name, v?.width, v?.height, v?.r_frame_rate], ['h264', 320, 240, '25/1']);
  assert.deepEqual([a?.codec_name, a?.sample_rate, a?.channels], ['aac', '48000', 2]);
  const packets = await probePackets(out);
  const video = track(packets, 'video');
  assert.equal(video.length, 50, 'fps x duration frames');
  // --gop 1s at 25 fps: keyframes exactly at frames 0 and 25.
  assert.deepEqual(video.flatMap((p, i) => (p.flags.startsWith('K') ? [i] : [])), [0, 25]);
  const audio = track(packets, 'audio');
  assert.ok(Math.abs(audio.length - (2 * 48000) / 1024) <= 3, `${audio.length} AAC frames for 2 s at 48 kHz`);
});

test('publish --transcode: mpeg4 + mp3 in AVI arrives as H.264/AAC with every frame; codec copy of it fails with exit 9 and ffmpeg\'s reason', async (t) => {
  const nginx = await nginxForTest(t);
  if (!nginx) return;
  const dir = await tempDir('ff-tc');
  const src = path.join(dir, 'in.avi');
  await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=44100', '-t', '2', '-c:v', 'mpeg4', '-c:a', 'libmp3lame', src]);
  const source = await countPackets(src);
  assert.equal(source.video, 50);

  const out = path.join(dir, 'tc.flv');
  const player = await startRecorder(t, nginx, 'live', 'tc', out);
  const pub = await rtmpCli(['publish', '--quiet', '--transcode', '--no-realtime', src, nginx.url('live', 'tc')]);
  assert.equal(pub.code, 0, pub.stderr);
  assert.equal((await waitForExit(player, 8000)).code, 0);
  const streams = await probeStreams(out);
  assert.deepEqual(streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(), ['audio:aac', 'video:h264']);
  const got = await probePackets(out);
  assert.equal(track(got, 'video').length, source.video, 'every frame arrived');
  assert.ok(track(got, 'video')[0]!.flags.startsWith('K'), 'starts on a keyframe');
  assert.ok(Math.abs(track(got, 'audio').length - (2 * 44100) / 1024) <= 4, `${track(got, 'audio').length} AAC frames for 2 s`);

  // Without --transcode ffmpeg copies the codecs, and FLV has no mpeg4 part 2.
  const copy = await rtmpCli(['publish', '--ffmpeg-args', '-f avi', src, nginx.url('live', 'copy')]);
  assert.equal(copy.code, 9);
  assert.match(only(copy.stderr), /^error: ffmpeg exited with status 1: .*Codec mpeg4 is not supported/);
});

test('play --ffmpeg-output: the .ts ffmpeg writes holds the source packets (counts and hashes); -o with it is a usage error', async (t) => {
  const nginx = await nginxForTest(t);
  if (!nginx) return;
  const dir = await tempDir('ff-out');
  const src = path.join(nginx.vodDir, 'src.flv');
  await genFlv(src, { seconds: 2, size: '320x240', fps: 25 });
  const url = nginx.url('vod', 'src.flv');
  const out = path.join(dir, 'out.ts');
  const play = await rtmpCli(['play', '--buffer', '36000000', url, '--ffmpeg-output', `-c copy '${out}'`]);
  assert.equal(play.code, 0, play.stderr);
  assert.match(play.stderr, /to ffmpeg \(/);

  // The reference: the same ffmpeg turning the source file into TS directly.
  const direct = path.join(dir, 'direct.ts');
  await runFfmpeg(['-i', src, '-map', '0', '-c', 'copy', direct]);
  const want = await probePackets(direct);
  const got = await probePackets(out);
  const flv = await probePackets(src);
  assert.equal(track(got, 'video').length, track(flv, 'video').length);
  assert.equal(track(got, 'audio').length, track(flv, 'audio').length);
  const cmp = comparePackets(want, got);
  assert.ok(cmp.equal, cmp.report);

  // ffmpeg refuses to overwrite (it never reads the terminal): its reason, exit 9.
  const again = await rtmpCli(['play', '--buffer', '36000000', url, '--ffmpeg-output', `-c copy '${out}'`]);
  assert.equal(again.code, 9, again.stderr);
  assert.match(again.stderr, /error: ffmpeg exited with status 1: .*already exists/);
  const both = await rtmpCli(['play', url, '-o', path.join(dir, 'x.flv'), '--ffmpeg-output', '-f null -']);
  assert.equal(both.code, 2);
  assert.equal(only(both.stderr), 'error: -o and --ffmpeg-output cannot be used together: choose one output');
  const none = await rtmpCli(['play', url]);
  assert.equal(none.code, 2);
  const missing = await rtmpCli(['play', '--buffer', '36000000', url, '--ffmpeg', '/nonexistent/ffmpeg', '--ffmpeg-output', '-f null -']);
  assert.equal(missing.code, 9);
  assert.match(missing.stderr, /error: ffmpeg not found at '\/nonexistent\/ffmpeg' \(--ffmpeg\)/);
});

test('ffmpeg missing (PATH without it, or --ffmpeg /nonexistent) or failing (bad --ffmpeg-args, unreachable input): one line, exit 9, before any connection; a refused connection stops ffmpeg', async (t) => {
  if (!havePeers(t, ['ffmpeg'])) return;
  // Nothing listens on port 1: reaching the network would be a connection error (exit 4).
  const url = 'rtmp://127.0.0.1:1/live/x';
  const empty = await tempDir('ff-nopath');
  const noPath = await rtmpCli(['publish', '--test-pattern', url], { env: { PATH: empty } });
  assert.equal(noPath.code, 9);
  assert.equal(only(noPath.stderr), `error: ${NOT_FOUND}`);
  const noBin = await rtmpCli(['publish', '--transcode', '--ffmpeg', '/nonexistent', '-', url], { input: '' });
  assert.equal(noBin.code, 9);
  assert.equal(only(noBin.stderr), "error: ffmpeg not found at '/nonexistent' (--ffmpeg)");
  const bad = await rtmpCli(['publish', '--ffmpeg-args', '-f lavfi', 'nosuchfilter=1', url]);
  assert.equal(bad.code, 9);
  assert.match(only(bad.stderr), /^error: ffmpeg exited with status 1: \[lavfi\] No such filter: 'nosuchfilter'/);
  // ffmpeg cannot open an RTMP input: its reason, with that URL's key hidden like ours.
  const source = await rtmpCli(['publish', '--transcode', 'rtmp://127.0.0.1:1/src/SOURCEKEY42', url]);
  assert.equal(source.code, 9);
  assert.match(only(source.stderr), /^error: ffmpeg exited with status 1: .*Connection refused/);
  assert.ok(!source.stderr.includes('SOURCEKEY42'), source.stderr);
  // ffmpeg runs (the first packet is read before connecting), then the connection is refused: ffmpeg is stopped.
  const marker = uniqueSine();
  const refused = await rtmpCli(['publish', '--ffmpeg-args', '-f lavfi', marker, url]);
  assert.equal(refused.code, 4);
  assert.match(only(refused.stderr), /connection refused by 127\.0\.0\.1:1/);
  assert.deepEqual(ffmpegsWith(marker), []);
  const unclosed = await rtmpCli(['publish', '--ffmpeg-args', "-f 'lavfi", 'x', url]);
  assert.equal(unclosed.code, 2);
  assert.match(only(unclosed.stderr), /--ffmpeg-args: unclosed ' quote/);
});

test('ffmpeg killed mid-stream: play --ffmpeg-output exits 9; publish unpublishes (players see the end) and exits 9, naming the signal', async (t) => {
  const nginx = await nginxForTest(t);
  if (!nginx) return;
  const out = path.join(await tempDir('ff-die'), 'die.flv');
  const player = await startRecorder(t, nginx, 'live', 'die', out);
  const marker = uniqueSine();
  const sinkMarker = `title=die-${process.pid}-${Date.now()}`;
  const viaFfmpeg = startRtmpCli(['play', nginx.url('live', 'die'), '--ffmpeg-output', `-metadata ${sinkMarker} -f null -`]);
  t.after(() => viaFfmpeg.stop());
  await nginx.waitForLog(/play: name='die'/, { count: 2 });
  const pub = startRtmpCli(['publish', '--ffmpeg-args', '-f lavfi', marker, nginx.url('live', 'die')]);
  t.after(() => pub.stop());
  await nginx.waitForLog(/publish: name='die'/);
  await new Promise((r) => setTimeout(r, 500));

  // The ffmpeg behind play --ffmpeg-output dies: play stops with exit 9.
  process.kill(await ffmpegPid(sinkMarker), 'SIGKILL');
  const sinkEnd = await waitForExit(viaFfmpeg, 5000);
  assert.equal(sinkEnd.forced, false, 'play ended by itself');
  assert.equal(sinkEnd.code, 9, sinkEnd.stderr);
  assert.equal(only(sinkEnd.stderr), 'error: ffmpeg was killed by SIGKILL');

  // The ffmpeg behind publish dies: unpublish, exit 9.
  process.kill(await ffmpegPid(marker), 'SIGKILL');
  const res = await waitForExit(pub, 5000);
  assert.equal(res.forced, false, 'publish ended by itself');
  assert.equal(res.code, 9, res.stderr);
  assert.match(res.stderr, /unpublished the stream/);
  assert.match(res.stderr, /error: ffmpeg was killed by SIGKILL/);
  const rec = await waitForExit(player, 5000);
  assert.equal(rec.forced, false, 'the player was told the stream ended');
  assert.ok((await stat(out)).size > 1000);
});

test('play --ffmpeg-output ends with an ffmpeg that finishes (-t 1); no ffmpeg survives SIGINT to play (its file is finalized) or publish, or the server going away', async (t) => {
  const nginx = await nginxForTest(t);
  if (!nginx) return;
  const url = nginx.url('live', 'sig');

  // Video too: an FLV header announcing video makes an ffmpeg reader wait for it (up to 5 s of probing).
  const m1 = uniqueSine();
  // Keyframes every 5 frames: nginx sends a joining player video from wherever it is, and ffmpeg's codec copy starts at a keyframe.
  const pub = startRtmpCli(['publish', '--transcode', '--gop', '5', '--ffmpeg-args', '-f lavfi', `testsrc2=size=160x120:rate=25[out0];${m1}[out1]`, url]);
  t.after(() => pub.stop());
  await nginx.waitForLog(/publish: name='sig'/);
  const dir = await tempDir('ff-sig');
  const ts = path.join(dir, `sig-${process.pid}.ts`);
  const play = startRtmpCli(['play', url, '--ffmpeg-output', `-c copy '${ts}'`]);
  t.after(() => play.stop());
  // An ffmpeg that finishes by itself (-t 1) ends play normally while the stream goes on.
  const oneSecond = path.join(dir, 'one.ts');
  const short = startRtmpCli(['play', url, '--ffmpeg-output', `-t 1 -c copy '${oneSecond}'`]);
  t.after(() => short.stop());
  await nginx.waitForLog(/play: name='sig'/, { count: 2 });
  const r0 = await waitForExit(short, 6000);
  assert.equal(r0.forced, false, 'play ended when its ffmpeg did');
  assert.equal(r0.code, 0, r0.stderr);
  assert.match(r0.stderr, /to ffmpeg \(stopped\)/);
  const oneVideo = track(await probePackets(oneSecond), 'video').length;
  assert.ok(oneVideo >= 20 && oneVideo <= 28, `about 1 s at 25 fps (from the first keyframe): ${oneVideo} frames`);
  await ffmpegPid(m1);
  await ffmpegPid(ts);
  await new Promise((r) => setTimeout(r, 800));

  // SIGINT to play ends the recording like the end of the stream: ffmpeg gets the end of its input, finishes the file, exits.
  process.kill(play.pid!, 'SIGINT');
  const r1 = await waitForExit(play, 5000);
  assert.equal(r1.forced, false);
  assert.equal(r1.code, 0, r1.stderr);
  assert.deepEqual(ffmpegsWith(ts), []);
  const finalized = await probePackets(ts);
  assert.ok(track(finalized, 'video').length > 10 && track(finalized, 'audio').length > 10, 'the .ts holds video and audio');

  // SIGINT to publish: exit 130, ffmpeg gone by then.
  process.kill(pub.pid!, 'SIGINT');
  const r2 = await waitForExit(pub, 5000);
  assert.equal(r2.forced, false);
  assert.equal(r2.code, 130, r2.stderr);
  assert.deepEqual(ffmpegsWith(m1), []);

  // The server goes away mid-publish: exit 4, ffmpeg killed.
  const m2 = uniqueSine();
  const pub2 = startRtmpCli(['publish', '--ffmpeg-args', '-f lavfi', m2, nginx.url('live', 'gone')]);
  t.after(() => pub2.stop());
  await nginx.waitForLog(/publish: name='gone'/);
  await ffmpegPid(m2);
  await nginx.stop();
  const r3 = await waitForExit(pub2, 8000);
  assert.equal(r3.forced, false);
  assert.equal(r3.code, 4, r3.stderr);
  assert.deepEqual(ffmpegsWith(m2), []);
});

test('play -o - into a reader that goes away (head -c 1000, a killed ffmpeg): exit 3 with one line, no hang', async (t) => {
  const nginx = await nginxForTest(t);
  if (!nginx) return;
  const url = nginx.url('live', 'pipe');
  const head = startRtmpCliInto(['play', '--quiet', url, '-o', '-'], ['head', '-c', '1000']);
  const ff = startRtmpCliInto(['play', '--quiet', url, '-o', '-'], ['ffmpeg', '-v', 'error', '-f', 'flv', '-i', 'pipe:0', '-f', 'null', '-']);
  for (const h of [head.rtmp, head.reader, ff.rtmp, ff.reader]) t.after(() => h.stop());
  await nginx.waitForLog(/play: name='pipe'/, { count: 2 });
  const pub = startRtmpCli(['publish', '--quiet', '--test-pattern', '--size', '160x120', '--duration', '10s', url]);
  t.after(() => pub.stop());

  const got = await waitForExit(head.reader, 5000);
  assert.equal(got.stdout.length, 1000);
  assert.equal(got.stdout.subarray(0, 3).toString('latin1'), 'FLV');
  const r1 = await waitForExit(head.rtmp, 5000);
  assert.equal(r1.forced, false, 'play noticed its reader was gone');
  assert.equal(r1.code, 3);
  assert.equal(only(r1.stderr), "error: cannot write 'stdout': the reading end of the pipe was closed");

  await new Promise((r) => setTimeout(r, 700));
  process.kill(ff.reader.pid!, 'SIGKILL');
  const r2 = await waitForExit(ff.rtmp, 5000);
  assert.equal(r2.forced, false, 'play noticed its reader was killed');
  assert.equal(r2.code, 3);
  assert.equal(only(r2.stderr), "error: cannot write 'stdout': the reading end of the pipe was closed");
});
