/**
 * Enhanced RTMP end to end: ffmpeg encodes HEVC (with B-frames, and Opus
 * audio), AV1 and VP9 into MP4; the library's builders turn each into an Enhanced RTMP FLV;
 * `rtmp publish` sends it to node-media-server 4 while `rtmp play` records it.
 * The recording must hold the published messages byte for byte with their
 * timestamps, and the elementary stream taken out of it (Annex B / IVF) must
 * decode in ffmpeg to the same frame hashes as the MP4. A multitrack stream
 * goes the same way, and `play --track 1` must give back the second encode.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parseExAudioMessage, parseExVideoMessage, type VideoFourCc } from '../../src/media/enhanced.js';
import type { MediaPacket } from '../../src/media/packet.js';
import { assertDecodesLike, elementaryStream, enhancedPackets, frameHashes, interleave, mp4OpusPackets, multitrackPackets, publishAndPlay, readMp4Video, writeFlv } from '../helpers/enhanced-flv.js';
import { RtmpClient } from '../../src/client/rtmp-client.js';
import { RtmpServer, type ServerEvent } from '../../src/server/rtmp-server.js';
import { packetsOf } from '../helpers/interop.js';
import { nmsSuite, requireNms } from '../helpers/nms.js';
import { ffprobeVideoStream, genVideo, probePackets, requirePeer, rtmpCli, startRtmpCli } from '../helpers/peers.js';

const SOURCES: Array<{ fourcc: VideoFourCc; codecArgs: string[] }> = [
  { fourcc: 'hvc1', codecArgs: ['-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=5:min-keyint=5:bframes=3', '-pix_fmt', 'yuv420p'] },
  { fourcc: 'av01', codecArgs: ['-c:v', 'libaom-av1', '-cpu-used', '8', '-g', '5', '-pix_fmt', 'yuv420p'] },
  { fourcc: 'vp09', codecArgs: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-g', '5', '-pix_fmt', 'yuv420p'] },
];
const FRAMES = 10;

/** Timestamp and payload of each packet, for exact comparison. */
const keyOf = (ps: readonly MediaPacket[]): string[] => ps.map((p) => `${p.type} ${p.timestamp} ${p.payload.toString('base64')}`);

describe('Enhanced RTMP through node-media-server', { concurrency: true }, () => {
  const suite = nmsSuite('rtmp-enhanced-');

  /** Two HEVC encodes of different sizes with the same frame times and key frames, as one multitrack stream; made once. */
  let multitrack: Promise<{ mp4s: readonly [string, string]; zero: Awaited<ReturnType<typeof readMp4Video>>; one: Awaited<ReturnType<typeof readMp4Video>>; sent: MediaPacket[] }> | undefined;
  const multitrackSource = (): NonNullable<typeof multitrack> =>
    (multitrack ??= (async () => {
      const codecArgs = ['-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=5:min-keyint=5:scenecut=0:bframes=0', '-pix_fmt', 'yuv420p'];
      const mp4s = [path.join(suite.dir, 'mt0.mp4'), path.join(suite.dir, 'mt1.mp4')] as const;
      await Promise.all([genVideo(mp4s[0], { size: '200x110', frames: FRAMES, codecArgs }), genVideo(mp4s[1], { size: '120x68', frames: FRAMES, codecArgs })]);
      const [zero, one] = await Promise.all([readMp4Video(mp4s[0], 'hvc1'), readMp4Video(mp4s[1], 'hvc1')]);
      assert.deepEqual(one.frames.map((f) => [f.dtsMs, f.key]), zero.frames.map((f) => [f.dtsMs, f.key]), 'the two encodes share frame times and key frames');
      return { mp4s, zero, one, sent: multitrackPackets('hvc1', zero, one) };
    })());

  for (const s of SOURCES) {
    test(`${s.fourcc}: published and played back unchanged; the stream decodes like the source`, async (t) => {
      if (!requirePeer(t, 'ffmpeg') || !requireNms(t)) return;
      const mp4 = path.join(suite.dir, `${s.fourcc}.mp4`);
      // HEVC travels with Opus audio.
      const withAudio = s.fourcc === 'hvc1';
      await genVideo(mp4, { size: '200x110', frames: FRAMES, codecArgs: s.codecArgs, ...(withAudio ? { audioArgs: ['-c:a', 'libopus', '-b:a', '32k'] } : {}) });
      const src = await readMp4Video(mp4, s.fourcc);
      const sent = interleave(enhancedPackets(s.fourcc, src), withAudio ? await mp4OpusPackets(mp4) : []);
      if (s.fourcc === 'hvc1') assert.ok(src.frames.some((f) => f.ctsMs > 0), 'x265 with B-frames gives composition times');
      const flv = path.join(suite.dir, `${s.fourcc}.flv`);
      await writeFlv(flv, sent);

      // probe reads the file like ffprobe reads the MP4.
      const probed = await ffprobeVideoStream(mp4);
      const r = await rtmpCli(['probe', '--json', flv], { timeoutMs: 20_000 });
      assert.equal(r.code, 0, r.stderr);
      const tracks = (JSON.parse(r.stdout.toString()) as { tracks: { video: { codec: string; width: number; height: number }; audio: { codec: string; channels: number } | null } }).tracks;
      const codecIds: Partial<Record<VideoFourCc, string>> = { hvc1: 'hevc', av01: 'av1', vp09: 'vp9' };
      assert.deepEqual([tracks.video.codec, tracks.video.width, tracks.video.height], [codecIds[s.fourcc], probed.width, probed.height]);
      if (withAudio) assert.deepEqual([tracks.audio?.codec, tracks.audio?.channels], ['opus', 1]);

      const got = await publishAndPlay(suite.nms!, flv, `enh-${s.fourcc}`, path.join(suite.dir, `${s.fourcc}-played.flv`));
      assert.deepEqual(keyOf(got), keyOf(sent), 'the played-back messages are the published ones');

      // Every coded frame (and Opus packet) carries exactly the MP4's sample: ffprobe's per-packet MD5s.
      const mp4Packets = await probePackets(mp4);
      for (const kind of ['video', 'audio'] as const) {
        const frames = got
          .filter((p) => p.type === (kind === 'video' ? 9 : 8))
          .map((p) => (kind === 'video' ? parseExVideoMessage(p.payload) : parseExAudioMessage(p.payload)))
          .filter((m) => m.packetType === 1)
          .map((m) => createHash('md5').update(m.tracks[0]!.data).digest('hex'));
        assert.deepEqual(frames, mp4Packets.filter((p) => p.codecType === kind).map((p) => p.hash), `${kind} packet hashes`);
        assert.ok(kind === 'video' ? frames.length === FRAMES : frames.length === 0 || frames.length >= 50, `${frames.length} ${kind} packets`);
      }

      await assertDecodesLike(got, mp4, path.join(suite.dir, s.fourcc), src, FRAMES);
    });
  }

  test('multitrack HEVC: relayed untouched; play --track 1 gives the second encode', async (t) => {
    if (!requirePeer(t, 'ffmpeg') || !requireNms(t)) return;
    const { mp4s, one, sent } = await multitrackSource();
    const flv = path.join(suite.dir, 'multitrack.flv');
    await writeFlv(flv, sent);

    const [all, picked] = await Promise.all([
      publishAndPlay(suite.nms!, flv, 'enh-mt', path.join(suite.dir, 'mt-all.flv')),
      publishAndPlay(suite.nms!, flv, 'enh-mt1', path.join(suite.dir, 'mt-1.flv'), ['--track', '1']),
    ]);
    assert.deepEqual(keyOf(all), keyOf(sent), 'multitrack messages pass through untouched');

    assert.equal(picked.length, FRAMES + 1, 'the sequence start and every frame of track 1');
    const es = elementaryStream(picked, one.width, one.height);
    const esFile = path.join(suite.dir, 'mt1.hevc');
    await writeFile(esFile, es.data);
    const [want, have] = await Promise.all([frameHashes(mp4s[1]), frameHashes(esFile)]);
    assert.deepEqual(have, want, 'track 1 decodes like the second encode');
  });

  test('rtmp serve: late joiners of a multitrack stream get each track\'s sequence start and the GOP; --track 0 and 1 decode', async (t) => {
    if (!requirePeer(t, 'ffmpeg')) return;
    const { mp4s, zero, one, sent } = await multitrackSource();
    const server = new RtmpServer({ port: 0 });
    await server.listen();
    t.after(() => server.close());
    const url = server.url('live', 'late');
    // The library publishes: the first 7 frames (of both tracks), then the player joins, then the rest.
    const publisher = await RtmpClient.connect(url);
    t.after(() => publisher.destroy());
    const stream = await publisher.createStream();
    await stream.publish('late');
    const split = 2 + 2 * 7;
    for (const p of sent.slice(0, split)) stream.write(p);
    await stream.drained();
    const players = [0, 1].map((track) => {
      const out = path.join(suite.dir, `late-${track}.flv`);
      const player = startRtmpCli(['play', '--verbose', '--track', String(track), url, '-o', out], { timeoutMs: 30_000 });
      t.after(() => player.stop());
      return { track, out, player };
    });
    for (const { player } of players) assert.ok(await player.waitForStderr(/NetStream\.Play\.Start/, 10_000), 'a player did not start playing');
    for (const p of sent.slice(split)) stream.write(p);
    await stream.unpublish();
    await publisher.close();
    for (const { track, out, player } of players) {
      const done = await player.done;
      assert.equal(done.code, 0, done.stderr);
      // The track's sequence start (each track's is cached), then the GOP from the keyframe at frame 5.
      const got = (await packetsOf(out)).filter((p) => p.type !== 18);
      assert.deepEqual(got.map((p) => p.timestamp), [0, 500, 600, 700, 800, 900], `track ${track}`);
      const src = track === 0 ? zero : one;
      const esFile = path.join(suite.dir, `late${track}.hevc`);
      await writeFile(esFile, elementaryStream(got, src.width, src.height).data);
      const [want, have] = await Promise.all([frameHashes(mp4s[track]!), frameHashes(esFile)]);
      assert.deepEqual(have, want.slice(5), `the late joiner decodes the last GOP of track ${track}`);
    }
  });

  test('rtmp relay between two rtmp serve instances keeps multitrack and ModEx messages byte for byte', async (t) => {
    if (!requirePeer(t, 'ffmpeg')) return;
    const { sent } = await multitrackSource();
    const events: ServerEvent[] = [];
    const [a, b] = [new RtmpServer({ port: 0 }), new RtmpServer({ port: 0, onEvent: (e) => events.push(e) })];
    await Promise.all([a.listen(), b.listen()]);
    t.after(() => Promise.all([a.close(), b.close()]));
    const out = path.join(suite.dir, 'relayed.flv');
    const player = startRtmpCli(['play', '--verbose', b.url('live', 'dst'), '-o', out], { timeoutMs: 30_000 });
    t.after(() => player.stop());
    assert.ok(await player.waitForStderr(/NetStream\.Play\.Start/, 10_000), 'the player did not start playing');
    const relay = startRtmpCli(['relay', '--verbose', '--no-reconnect', a.url('live', 'src'), b.url('live', 'dst')], { timeoutMs: 30_000 });
    t.after(() => relay.stop());
    assert.ok(await relay.waitForStderr(/NetStream\.Play\.Start/, 10_000), 'the relay did not start playing');
    const publisher = await RtmpClient.connect(a.url('live', 'src'));
    t.after(() => publisher.destroy());
    const stream = await publisher.createStream();
    await stream.publish('src');
    for (const p of sent) stream.write(p);
    await stream.unpublish();
    await publisher.close();
    const [relayed, played] = await Promise.all([relay.done, player.done]);
    assert.equal(relayed.code, 0, relayed.stderr.slice(-2000));
    assert.equal(played.code, 0, played.stderr.slice(-2000));
    assert.ok(events.some((e) => e.type === 'publish'), 'the relay published to the destination');
    const got = (await packetsOf(out)).filter((p) => p.type !== 18);
    assert.deepEqual(keyOf(got), keyOf(sent), 'the relayed messages are the published ones');
  });
});
