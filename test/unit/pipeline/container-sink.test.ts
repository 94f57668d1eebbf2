/**
 * ContainerSink end to end on sample.flv, read back with mediabunny's own
 * demuxer (the interop test does the same with ffmpeg): every sample's bytes
 * and presentation time, per track. Plus the sink's file handling and the
 * fragmented-MP4 decode-time fix fed in pieces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ALL_FORMATS, EncodedPacketSink, FilePathSource, Input } from 'mediabunny';
import { PacketType, type MediaPacket } from '../../../src/media/packet.js';
import { ContainerSink } from '../../../src/pipeline/container-sink.js';
import { countFlvPackets } from '../../../src/pipeline/flv-convert.js';
import { Fmp4DecodeShift } from '../../../src/pipeline/fmp4-decode-shift.js';
import { checkSinkOptions, formatOfPath, parseFormatOption, type ContainerSinkOptions } from '../../../src/pipeline/media-sink.js';
import { packetsOf } from '../../helpers/interop.js';
import { sampleFlv, tempDir } from '../../helpers/peers.js';

const source = await packetsOf(sampleFlv);
const dir = await tempDir('container-sink');

async function writeAll(file: string, opts: ContainerSinkOptions, packets: MediaPacket[] = source) {
  const sink = await ContainerSink.open(file, opts);
  for (const p of packets) await sink.write(p);
  return sink.close();
}

/** Each track's samples as mediabunny reads them back: bytes and pts (ms). */
async function readBack(file: string): Promise<Record<'video' | 'audio', Array<{ data: Buffer; ptsMs: number }>>> {
  const input = new Input({ source: new FilePathSource(file), formats: ALL_FORMATS });
  const out = { video: [] as Array<{ data: Buffer; ptsMs: number }>, audio: [] as Array<{ data: Buffer; ptsMs: number }> };
  for (const [kind, tracks] of [['video', await input.getVideoTracks()], ['audio', await input.getAudioTracks()]] as const) {
    assert.equal(tracks.length, 1, `one ${kind} track`);
    for await (const p of new EncodedPacketSink(tracks[0]!).packets()) out[kind].push({ data: Buffer.from(p.data), ptsMs: p.timestamp * 1000 });
  }
  input.dispose();
  return out;
}

/** The source's coded frames: NALUs with pts = dts + cts, AAC frames. */
const expected = {
  video: source.filter((p) => p.type === PacketType.Video && p.payload[1] === 1).map((p) => ({ data: p.payload.subarray(5), ptsMs: p.timestamp + p.payload.readIntBE(2, 3) })),
  audio: source.filter((p) => p.type === PacketType.Audio && p.payload[1] === 1).map((p) => ({ data: p.payload.subarray(2), ptsMs: p.timestamp })),
};

const layouts: Array<[string, ContainerSinkOptions]> = [
  ['fragmented.mp4', { format: 'mp4' }],
  ['faststart.mp4', { format: 'mp4', layout: 'faststart', packetCounts: await countFlvPackets(sampleFlv) }],
  ['fragmented.mov', { format: 'mov' }],
  ['sample.mkv', { format: 'mkv' }],
];

for (const [name, opts] of layouts) {
  test(`${name}: every sample's bytes and presentation time come back`, async () => {
    const file = path.join(dir, name);
    const summary = await writeAll(file, opts);
    assert.deepEqual([summary.video, summary.audio, summary.written], [125, 217, true]);
    assert.equal(summary.bytes, (await stat(file)).size);
    const got = await readBack(file);
    for (const kind of ['video', 'audio'] as const) {
      assert.equal(got[kind].length, expected[kind].length, `${kind} count`);
      // Audio within FLV's 1 ms rounding (plus Matroska's own 1 ms time base).
      got[kind].forEach((s, i) => {
        const want = expected[kind][i]!;
        assert.ok(s.data.equals(want.data), `${kind} #${i} bytes`);
        assert.ok(Math.abs(s.ptsMs - want.ptsMs) <= (kind === 'audio' ? 1.5 : 0.5), `${kind} #${i}: pts ${s.ptsMs}, want ${want.ptsMs}`);
      });
    }
  });
}

test('fragmented MP4: the decode-time fix turns the muxer output into the same file whatever the write sizes', async (t) => {
  // The muxer's own output, captured by making the fix a pass-through for one write.
  const raw = path.join(dir, 'raw.mp4');
  const passThrough = t.mock.method(Fmp4DecodeShift.prototype, 'push', (data: Uint8Array, position: number) => [{ data, position }]);
  await writeAll(raw, { format: 'mp4' });
  passThrough.mock.restore();
  const unfixed = await readFile(raw);
  assert.ok(Math.min(...videoTrunOffsets(unfixed)) < 0, 'mediabunny writes negative offsets for B-frames');
  const fixed = await readFile(path.join(dir, 'fragmented.mp4'));
  const feed = (bytes: Buffer, step: number): Buffer => {
    const s = new Fmp4DecodeShift();
    const out = Buffer.alloc(bytes.length);
    for (let at = 0; at < bytes.length; at += step) for (const p of s.push(bytes.subarray(at, at + step), at)) out.set(p.data, p.position);
    for (const p of s.flush()) out.set(p.data, p.position);
    return out;
  };
  // (The files differ in mvhd's creation time, so compare what the fix does to the raw bytes.)
  const once = feed(unfixed, unfixed.length);
  assert.deepEqual(videoTrunOffsets(once), videoTrunOffsets(fixed), 'as the sink writes it');
  for (const step of [1, 7, 4096]) assert.ok(feed(unfixed, step).equals(once), `in ${step}-byte writes`);
  assert.ok(feed(once, 4096).equals(once), 'a fixed file passes unchanged');
});

test('fragmented MP4: no negative composition offset in any video trun', async () => {
  const fixed = await readFile(path.join(dir, 'fragmented.mp4'));
  const offsets = videoTrunOffsets(fixed);
  assert.ok(offsets.length === 125, `${offsets.length} video offsets`);
  assert.ok(offsets.every((o) => o >= 0), `min offset ${Math.min(...offsets)}`);
  assert.ok(offsets.some((o) => o > 0), 'B-frames keep positive offsets');
});

/** Composition offsets of track 1's trun boxes (signed), walking moof/traf by hand. */
function videoTrunOffsets(b: Buffer): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, inTraf: boolean, track: { id: number }): void => {
    for (let at = start; at + 8 <= end; ) {
      const size = b.readUInt32BE(at);
      const type = b.toString('latin1', at + 4, at + 8);
      if (size < 8) return;
      if (type === 'moof') walk(at + 8, at + size, false, track);
      else if (type === 'traf') walk(at + 8, at + size, true, { id: 0 });
      else if (inTraf && type === 'tfhd') track.id = b.readUInt32BE(at + 12);
      else if (inTraf && type === 'trun' && track.id === 1) {
        const flags = b.readUInt32BE(at + 8) & 0xffffff;
        const count = b.readUInt32BE(at + 12);
        let p = at + 16 + (flags & 1 ? 4 : 0) + (flags & 4 ? 4 : 0);
        const before = (flags & 0x100 ? 4 : 0) + (flags & 0x200 ? 4 : 0) + (flags & 0x400 ? 4 : 0);
        for (let i = 0; i < count; i++, p += before + 4) out.push(b.readInt32BE(p + before));
      }
      at += size;
    }
  };
  walk(0, b.length, false, { id: 0 });
  return out;
}

test('no media: no file is left, and close says so', async () => {
  const file = path.join(dir, 'empty.mp4');
  const summary = await writeAll(file, { format: 'mp4' }, source.filter((p) => p.type === PacketType.Data));
  assert.equal(summary.written, false);
  await assert.rejects(stat(file), { code: 'ENOENT' });
});

test('an existing file needs force; a codec the container cannot hold rejects the write and leaves no file', async () => {
  const file = path.join(dir, 'exists.mkv');
  await writeFile(file, 'x');
  await assert.rejects(ContainerSink.open(file, { format: 'mkv' }), { code: 'RTMP_ERR_IO', message: `'${file}' exists; use --force to overwrite` });
  const sink = await ContainerSink.open(file, { format: 'mkv', force: true });
  const speex: MediaPacket = { type: PacketType.Audio, timestamp: 0, payload: Buffer.from([0xb2, 1, 2, 3]) };
  await assert.rejects(sink.write(speex), { code: 'RTMP_ERR_IO', message: /^cannot write Speex audio into Matroska/ });
  await assert.rejects(sink.close(), { message: /^cannot write Speex audio/ });
  await assert.rejects(stat(file), { code: 'ENOENT' });
});

test('formats: by extension, --format, and the checks made before connecting', () => {
  assert.deepEqual(['a.mp4', 'a.M4V', 'x/a.mov', 'a.mkv', 'a.webm', 'a.flv', 'a.ts', 'noext', 'dir.mp4/file', '-'].map(formatOfPath), ['mp4', 'mp4', 'mov', 'mkv', 'webm', 'flv', 'flv', 'flv', 'flv', 'flv']);
  assert.equal(parseFormatOption('MKV'), 'mkv');
  assert.throws(() => parseFormatOption('avi'), { code: 'RTMP_ERR_USAGE', message: /--format must be one of flv, mp4, mov, mkv, webm/ });
  assert.throws(() => checkSinkOptions('-', { format: 'mp4' }), { code: 'RTMP_ERR_USAGE', message: /-o - writes FLV to stdout/ });
  assert.throws(() => checkSinkOptions('a.mkv', { format: 'mkv', fastStart: true }), { code: 'RTMP_ERR_USAGE', message: /--faststart is for MP4 and MOV/ });
  checkSinkOptions('a.webm', { format: 'webm' }); // codecs are checked when the stream says them
  checkSinkOptions('a.mov', { format: 'mov', fastStart: true });
});
