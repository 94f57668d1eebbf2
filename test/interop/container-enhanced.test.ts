/**
 * Enhanced RTMP codecs straight from containers: ffmpeg encodes HEVC with
 * B-frames + AAC into MP4, HEVC + MP3 into Matroska, AV1 + Opus into MP4,
 * VP9 + Opus into WebM and VP9 + AC-3 into MP4; `rtmp
 * publish --no-realtime` sends each file as it is to node-media-server 4
 * while `rtmp play` records the stream. The recording must carry every
 * sample of the source unchanged (ffprobe's per-packet MD5s), key frames
 * where the source has them, presentation times equal to the source's (one
 * shift for audio and video alike), the configuration record the MP4 holds,
 * onMetaData codec ids as FourCCs (which connect announces); and the
 * elementary stream taken out of it must decode in ffmpeg to the source's
 * frame hashes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { AmfObject } from '../../src/amf/value.js';
import { parseScriptData } from '../../src/flv/script-data.js';
import { parseExAudioMessage, parseExVideoMessage, VideoFrameType, VideoPacketType, type VideoFourCc } from '../../src/media/enhanced.js';
import { isAudioSequenceHeader, PacketType, type MediaPacket } from '../../src/media/packet.js';
import { fourCcValue } from '../../src/media/packetizers.js';
import { assertDecodesLike, publishAndPlay } from '../helpers/enhanced-flv.js';
import { startFakeServer } from '../helpers/fake-server.js';
import { packetsOf } from '../helpers/interop.js';
import { sampleEntryConfig } from '../helpers/mp4-boxes.js';
import { nmsSuite, requireNms } from '../helpers/nms.js';
import { ffprobeVideoStream, freePort, genVideo, probePackets, requirePeer, rtmpCli, type ProbedPacket } from '../helpers/peers.js';

interface Source {
  file: string;
  fourcc: VideoFourCc;
  /** The MP4 box whose record the SequenceStart must carry (WebM has none). */
  configBox?: string;
  audio?: 'aac' | 'opus' | 'mp3' | 'ac3';
  codecArgs: string[];
  audioArgs?: string[];
}

/** Encoder arguments: key frames every 5 frames; x265 with B-frames (b-pyramid, so frames are reordered by 2). */
const X265 = ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=5:min-keyint=5:scenecut=0:bframes=3', '-pix_fmt', 'yuv420p'];
const AOM = ['-c:v', 'libaom-av1', '-cpu-used', '8', '-g', '5', '-pix_fmt', 'yuv420p'];
const VPX = ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-g', '5', '-pix_fmt', 'yuv420p'];
const OPUS = ['-c:a', 'libopus', '-b:a', '32k'];

const SOURCES: Source[] = [
  { file: 'hevc-aac.mp4', fourcc: 'hvc1', configBox: 'hvcC', audio: 'aac', codecArgs: X265, audioArgs: ['-c:a', 'aac', '-b:a', '48k'] },
  // Matroska stores no decode times: they are derived, and the hvcC is the CodecPrivate.
  { file: 'hevc-mp3.mkv', fourcc: 'hvc1', audio: 'mp3', codecArgs: X265, audioArgs: ['-c:a', 'libmp3lame', '-b:a', '64k'] },
  // Opus in MP4: dOps, from which the demuxer rebuilds the OpusHead, and an edit list for the pre-skip.
  { file: 'av1-opus.mp4', fourcc: 'av01', configBox: 'av1C', audio: 'opus', codecArgs: AOM, audioArgs: OPUS },
  { file: 'vp9-opus.webm', fourcc: 'vp09', audio: 'opus', codecArgs: VPX, audioArgs: OPUS },
  // The vpcC made from the codec string must be MP4's own.
  { file: 'vp9-ac3.mp4', fourcc: 'vp09', configBox: 'vpcC', audio: 'ac3', codecArgs: VPX, audioArgs: ['-c:a', 'ac3', '-b:a', '96k'] },
];
const FRAMES = 10;
const SIZE = '160x120';

/** One recorded audio or video frame: its coded data, presentation time (ms) and key flag. */
interface RecordedFrame {
  kind: 'video' | 'audio';
  data: Buffer;
  presentationMs: number;
  key: boolean;
}

/** The coded frames of a recording (sequence headers left out), whatever the tag format. */
function recordedFrames(packets: readonly MediaPacket[]): RecordedFrame[] {
  const out: RecordedFrame[] = [];
  for (const p of packets) {
    if (p.type === PacketType.Video) {
      const m = parseExVideoMessage(p.payload);
      const t = m.tracks[0]!;
      if (m.packetType === VideoPacketType.CodedFrames) out.push({ kind: 'video', data: t.data, presentationMs: p.timestamp + t.compositionTime, key: m.frameType === VideoFrameType.KeyFrame });
    } else if (p.type === PacketType.Audio) {
      const format = p.payload[0]! >> 4;
      if (format === 10) {
        // Legacy AAC: AACPacketType 1 is a raw frame.
        if (p.payload[1] === 1) out.push({ kind: 'audio', data: p.payload.subarray(2), presentationMs: p.timestamp, key: true });
      } else if (format === 2) {
        // Legacy MP3: the frame follows the tag byte.
        out.push({ kind: 'audio', data: p.payload.subarray(1), presentationMs: p.timestamp, key: true });
      } else {
        const m = parseExAudioMessage(p.payload);
        if (m.packetType === 1) out.push({ kind: 'audio', data: m.tracks[0]!.data, presentationMs: p.timestamp, key: true });
      }
    }
  }
  return out;
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
/** ffprobe's presentation time in ms, halves rounded away from zero as ffmpeg rescales (an Opus pre-skip of 6.5 ms is -7). */
const ms = (p: ProbedPacket): number => Math.sign(p.ptsTime!) * Math.round(Math.abs(p.ptsTime! * 1000));

describe('Enhanced RTMP codecs published from MP4, MKV and WebM through node-media-server', { concurrency: true }, () => {
  const suite = nmsSuite('rtmp-container-enhanced-');

  /** Each source file, encoded once. */
  const made = new Map<Source, Promise<string>>();
  const make = (s: Source): Promise<string> => {
    let p = made.get(s);
    if (p === undefined) {
      const file = path.join(suite.dir, s.file);
      p = genVideo(file, { size: SIZE, frames: FRAMES, codecArgs: s.codecArgs, ...(s.audioArgs ? { audioArgs: s.audioArgs } : {}) }).then(() => file);
      made.set(s, p);
    }
    return p;
  };

  for (const s of SOURCES) {
    test(`${s.file}: every sample arrives unchanged as ${s.fourcc}${s.audio ? ` + ${s.audio}` : ''}, on time, and decodes like the source`, async (t) => {
      if (!requirePeer(t, 'ffmpeg') || !requirePeer(t, 'ffprobe') || !requireNms(t)) return;
      const src = await make(s);
      const rec = path.join(suite.dir, `${s.file}.flv`);
      const got = await publishAndPlay(suite.nms!, src, `ce-${s.file.replace(/\W/g, '-')}`, rec, [], ['--no-realtime']);

      // The SequenceStart carries the record ffmpeg wrote into the MP4 (WebM: one made from the codec string).
      const seq = parseExVideoMessage(got.find((p) => p.type === PacketType.Video)!.payload);
      if (s.audio === 'ac3') assert.ok(!got.some((p) => p.type === PacketType.Audio && isAudioSequenceHeader(p.payload)), 'AC-3 has no sequence header');
      assert.deepEqual([seq.packetType, seq.tracks[0]?.fourcc], [VideoPacketType.SequenceStart, s.fourcc]);
      if (s.configBox) assert.deepEqual(seq.tracks[0]!.data, sampleEntryConfig(await readFile(src), s.configBox).config, `${s.configBox} differs`);

      // Same samples in the same order, key frames where the source has them, presentation times shifted alike.
      const source = await probePackets(src);
      const frames = recordedFrames(got);
      const shift = frames[0]!.presentationMs - ms(source.find((p) => p.codecType === frames[0]!.kind)!);
      for (const kind of ['video', 'audio'] as const) {
        const want = source.filter((p) => p.codecType === kind);
        const have = frames.filter((f) => f.kind === kind);
        assert.equal(have.length, want.length, `${kind} frame count`);
        assert.ok(kind === 'video' ? want.length === FRAMES : s.audio === undefined ? want.length === 0 : want.length >= 30, `${want.length} ${kind} packets in the source`);
        assert.deepEqual(have.map((f) => md5(f.data)), want.map((p) => p.hash), `${kind} packet hashes`);
        assert.deepEqual(have.map((f) => f.presentationMs - shift), want.map(ms), `${kind} presentation times`);
        if (kind === 'video') assert.deepEqual(have.map((f) => f.key), want.map((p) => p.flags.includes('K')), 'key frames');
      }
      if (s.fourcc === 'hvc1') {
        const cts = got.filter((p) => p.type === PacketType.Video).map((p) => parseExVideoMessage(p.payload).tracks[0]!.compositionTime);
        assert.ok(cts.some((c) => c > 0), 'B-frames travel with a composition time');
      }

      // onMetaData names the codecs by FourCC value (enhanced-rtmp "Metadata").
      const meta = (await packetsOf(rec)).map((p) => (p.type === PacketType.Data ? parseScriptData(p.payload) : undefined)).find((d) => d?.name === 'onMetaData')?.value as AmfObject | undefined;
      assert.ok(meta, 'the player got onMetaData');
      assert.equal(meta['videocodecid'], fourCcValue(s.fourcc));
      if (s.audio) assert.equal(meta['audiocodecid'], { aac: 10, mp3: 2, opus: fourCcValue('Opus'), ac3: fourCcValue('ac-3') }[s.audio]);

      await assertDecodesLike(got, src, path.join(suite.dir, `${s.file}-es`), await ffprobeVideoStream(src), FRAMES);
    });
  }

  test('connect announces the FourCCs onMetaData names (fourCcList, FourCcInfoMaps)', async (t) => {
    if (!requirePeer(t, 'ffmpeg')) return;
    const src = await make(SOURCES.find((s) => s.fourcc === 'vp09')!);
    const server = await startFakeServer();
    try {
      const r = await rtmpCli(['publish', '--quiet', '--no-realtime', src, server.url('live', 'fourcc')], { timeoutMs: 20_000 });
      assert.equal(r.code, 0, r.stderr.toString());
      const connect = server.connections.flatMap((c) => c.commands).find((c) => c.name === 'connect');
      const obj = connect?.commandObject as AmfObject | undefined;
      assert.deepEqual(obj?.['fourCcList'], ['vp09', 'Opus']);
      assert.deepEqual([obj?.['videoFourCcInfoMap'], obj?.['audioFourCcInfoMap']], [{ vp09: 2 }, { Opus: 2 }]);
    } finally {
      await server.close();
    }
  });

  test('a malformed hvcC ends publish with one line naming the file and the record, exit 3, before connecting', async (t) => {
    if (!requirePeer(t, 'ffmpeg')) return;
    const mp4 = await readFile(await make(SOURCES[0]!));
    // configurationVersion 0: the record is a view into the file's bytes.
    sampleEntryConfig(mp4, 'hvcC').config[0] = 0;
    const bad = path.join(suite.dir, 'bad-hvcc.mp4');
    await writeFile(bad, mp4);
    const r = await rtmpCli(['publish', '--no-realtime', bad, `rtmp://127.0.0.1:${await freePort()}/live/x`], { timeoutMs: 20_000 });
    assert.equal(r.code, 3, r.stderr.toString());
    assert.match(r.stderr.toString(), /^error: .*bad-hvcc\.mp4: video track \(hevc\): .*HEVCDecoderConfigurationRecord.*configurationVersion 0, expected 1\n$/);
  });

  test('probe reads an HEVC MP4 like ffprobe does: codec, profile, size', async (t) => {
    if (!requirePeer(t, 'ffmpeg') || !requirePeer(t, 'ffprobe')) return;
    const src = path.join(suite.dir, 'probe-hevc.mp4');
    await genVideo(src, { size: '200x110', frames: 5, codecArgs: X265 });
    const probed = await ffprobeVideoStream(src);
    const r = await rtmpCli(['probe', '--json', src], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr.toString());
    const video = (JSON.parse(r.stdout.toString()) as { tracks: { video: { codec: string; fourcc: string; width: number; height: number; hevc: { profile: string } | null } } }).tracks.video;
    assert.deepEqual([video.codec, video.fourcc, video.hevc?.profile, video.width, video.height], ['hevc', 'hvc1', probed.profile, probed.width, probed.height]);
  });
});
