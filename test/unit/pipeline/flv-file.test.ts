import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeAmf0, encodeAmf0 } from '../../../src/amf/amf0.js';
import type { AmfObject } from '../../../src/amf/value.js';
import { AbortedError, FlvFormatError, IoError } from '../../../src/errors.js';
import { FlvReader } from '../../../src/flv/reader.js';
import { buildMetadataForFile, SET_DATA_FRAME_PREFIX } from '../../../src/flv/script-data.js';
import { encodeFlvHeader, encodeFlvTag } from '../../../src/flv/writer.js';
import { PacketType, type MediaPacket } from '../../../src/media/packet.js';
import { FlvFileSink } from '../../../src/pipeline/flv-file-sink.js';
import { readFlvPackets, readFlvStream } from '../../../src/pipeline/flv-file-source.js';

const SAMPLE = fileURLToPath(new URL('../../../../test/fixtures/sample.flv', import.meta.url));
let dir = '';

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rtmp-flv-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(gen: AsyncIterable<MediaPacket>): Promise<MediaPacket[]> {
  const out: MediaPacket[] = [];
  for await (const p of gen) out.push(p);
  return out;
}

/** Tags of an FLV buffer, read with the pure reader. */
function tagsOf(data: Buffer): MediaPacket[] {
  const r = new FlvReader();
  return [...r.push(data), ...r.end()].flatMap((e) => (e.kind === 'tag' ? [e.packet] : []));
}

function metadataOf(packet: MediaPacket | undefined): AmfObject {
  assert.ok(packet && packet.type === PacketType.Data);
  const [name, value] = decodeAmf0(packet.payload);
  assert.equal(name, 'onMetaData');
  return value as AmfObject;
}

test('readFlvPackets streams the sample file with its header flags and no warnings', async () => {
  const warnings: string[] = [];
  let header: unknown;
  const packets = await collect(
    readFlvPackets(SAMPLE, { onWarning: (m) => warnings.push(m), onHeader: (h) => (header = h) }),
  );
  assert.equal(packets.length, 346);
  assert.deepEqual(header, { hasAudio: true, hasVideo: true });
  assert.deepEqual(warnings, []);
  assert.deepEqual(packets, tagsOf(await readFile(SAMPLE)));
});

test('readFlvStream gives the same packets from any Readable in small chunks', async () => {
  const data = await readFile(SAMPLE);
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += 1000) chunks.push(data.subarray(i, i + 1000));
  const packets = await collect(readFlvStream(Readable.from(chunks)));
  assert.deepEqual(packets, tagsOf(data));
});

test('open problems are one IoError naming the path', async () => {
  const missing = path.join(dir, 'missing.flv');
  await assert.rejects(collect(readFlvPackets(missing)), (err: unknown) => {
    assert.ok(err instanceof IoError);
    assert.equal(err.message, `cannot open '${missing}': no such file or directory`);
    return true;
  });
  await assert.rejects(collect(readFlvPackets(dir)), (err: unknown) => err instanceof IoError && err.message === `cannot read '${dir}': is a directory`);
  if (process.getuid?.() !== 0) {
    const locked = path.join(dir, 'locked.flv');
    await writeFile(locked, 'x');
    await chmod(locked, 0o000);
    await assert.rejects(collect(readFlvPackets(locked)), /permission denied/);
  }
});

test('a truncated file yields every whole tag and a warning; a non-FLV file is a format error', async () => {
  const data = await readFile(SAMPLE);
  const cut = path.join(dir, 'cut.flv');
  await writeFile(cut, data.subarray(0, 100_000));
  const warnings: Array<[string, number]> = [];
  const packets = await collect(readFlvPackets(cut, { onWarning: (m, o) => warnings.push([m, o]) }));
  assert.ok(packets.length > 100 && packets.length < 346);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]![0], /^truncated tag at offset \d+: expected \d+ bytes, got \d+; treated as end of input$/);

  const text = path.join(dir, 'text.flv');
  await writeFile(text, 'hello');
  await assert.rejects(collect(readFlvPackets(text)), (err: unknown) => err instanceof FlvFormatError && err.offset === 0);
});

test('an abort signal stops reading with AbortedError', async () => {
  const ac = new AbortController();
  let n = 0;
  await assert.rejects(async () => {
    for await (const _ of readFlvPackets(SAMPLE, { signal: ac.signal })) if (++n === 10) ac.abort();
  }, AbortedError);
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(collect(readFlvPackets(SAMPLE, { signal: pre.signal })), AbortedError);
});

test('the sink copies the sample and patches duration and filesize in place', async () => {
  const source = await collect(readFlvPackets(SAMPLE));
  const out = path.join(dir, 'copy.flv');
  const sink = await FlvFileSink.open(out);
  assert.equal(sink.path, out);
  for (const p of source) await sink.write(p);
  const summary = await sink.close();
  const written = await readFile(out);
  assert.equal(summary.bytes, written.length);
  assert.equal(summary.packets, source.length);

  const media = source.filter((p) => p.type !== PacketType.Data);
  const first = media[0]!.timestamp;
  const last = Math.max(...media.map((p) => p.timestamp));
  assert.equal(summary.durationMs, last - first);

  const back = tagsOf(written);
  assert.equal(back.length, source.length);
  const meta = metadataOf(back[0]);
  assert.equal(meta['duration'], (last - first) / 1000);
  assert.equal(meta['filesize'], written.length);
  assert.equal(meta['width'], 320);
  assert.equal(meta['audiosamplerate'], 44100);
  assert.deepEqual(back.slice(1), source.slice(1), 'every media tag is unchanged');

  // Byte for byte: header, the metadata tag (patched), then every tag as encoded.
  const built = buildMetadataForFile(metadataOf(source[0]));
  built.payload.writeDoubleBE((last - first) / 1000, built.durationOffset);
  built.payload.writeDoubleBE(written.length, built.filesizeOffset);
  const expected = Buffer.concat([
    encodeFlvHeader({ audio: true, video: true }),
    ...encodeFlvTag({ type: PacketType.Data, timestamp: 0, payload: built.payload }),
    ...source.slice(1).flatMap((p) => encodeFlvTag(p)),
  ]);
  assert.ok(written.equals(expected));
});

test('the sink refuses to overwrite without force', async () => {
  const out = path.join(dir, 'exists.flv');
  await writeFile(out, 'keep me');
  await assert.rejects(FlvFileSink.open(out), (err: unknown) => {
    assert.ok(err instanceof IoError);
    assert.equal(err.message, `'${out}' exists; use --force to overwrite`);
    return true;
  });
  assert.equal(await readFile(out, 'utf8'), 'keep me');
  const sink = await FlvFileSink.open(out, { force: true, flags: { audio: true, video: false } });
  const summary = await sink.close();
  const written = await readFile(out);
  assert.deepEqual(written, encodeFlvHeader({ audio: true, video: false }));
  assert.deepEqual(summary, { bytes: 13, durationMs: 0, packets: 0 });
  const nodir = path.join(dir, 'no', 'such', 'x.flv');
  await assert.rejects(FlvFileSink.open(nodir), (err: unknown) => err instanceof IoError && err.message === `cannot create '${nodir}': no such file or directory`);
});

test('media before onMetaData gets an empty metadata tag first; later onMetaData passes through stripped', async () => {
  const out = path.join(dir, 'late-meta.flv');
  const sink = await FlvFileSink.open(out);
  const wrappedMeta = Buffer.concat([SET_DATA_FRAME_PREFIX, encodeAmf0('onMetaData', { width: 640 })]);
  const packets: MediaPacket[] = [
    { type: PacketType.Audio, timestamp: 0xffffff00, payload: Buffer.from('af01aa', 'hex') },
    { type: PacketType.Data, timestamp: 0xffffff10, payload: wrappedMeta },
    { type: PacketType.Data, timestamp: 0xffffff20, payload: encodeAmf0('onCuePoint', { time: 1 }) },
    { type: PacketType.Video, timestamp: 0xffffff80, payload: Buffer.alloc(5000, 0x27) },
    // Wraps past 2^32: the duration still counts forward.
    { type: PacketType.Audio, timestamp: 0x100, payload: Buffer.from('af01bb', 'hex') },
  ];
  for (const p of packets) await sink.write(p);
  const summary = await sink.close();
  assert.equal(summary.durationMs, 0x200);
  const back = tagsOf(await readFile(out));
  assert.equal(back.length, 6);
  const meta = metadataOf(back[0]);
  assert.deepEqual({ ...meta }, { duration: 0.512, filesize: summary.bytes });
  assert.equal(back[0]!.timestamp, 0xffffff00);
  assert.deepEqual(back[1], packets[0]);
  assert.deepEqual(back[2], { ...packets[1], payload: wrappedMeta.subarray(16) });
  assert.deepEqual(back.slice(3), packets.slice(2));
  await assert.rejects(sink.write(packets[0]!), IoError);
});

test('an RTMP-style @setDataFrame onMetaData becomes the file metadata', async () => {
  const out = path.join(dir, 'rtmp-meta.flv');
  const sink = await FlvFileSink.open(out);
  await sink.write({ type: PacketType.Data, timestamp: 0, payload: Buffer.concat([SET_DATA_FRAME_PREFIX, encodeAmf0('onMetaData', { duration: 0, videocodecid: 7 })]) });
  await sink.write({ type: PacketType.Video, timestamp: 0, payload: Buffer.from('1700000000', 'hex') });
  await sink.write({ type: PacketType.Video, timestamp: 2000, payload: Buffer.from('2701000000', 'hex') });
  const summary = await sink.close();
  const back = tagsOf(await readFile(out));
  assert.equal(back.length, 3);
  assert.deepEqual({ ...metadataOf(back[0]) }, { duration: 2, filesize: summary.bytes, videocodecid: 7 });
  assert.equal((await stat(out)).size, summary.bytes);
});

test('a non-seekable target is written but not patched', async (t) => {
  const devnull = '/dev/null';
  try {
    await stat(devnull);
  } catch {
    t.skip('no /dev/null');
    return;
  }
  const sink = await FlvFileSink.open(devnull, { force: true });
  await sink.write({ type: PacketType.Audio, timestamp: 5, payload: Buffer.from('af01', 'hex') });
  const summary = await sink.close();
  assert.equal(summary.bytes, 13 + (11 + buildMetadataForFile(undefined).payload.length + 4) + (11 + 2 + 4));
});
