/**
 * FlvChecker: whole files, stale or missing metadata, a tail cut at every
 * offset (mid tag header, mid body, mid PreviousTagSize), a wrong
 * PreviousTagSize and garbage mid-file. Every vector is fed whole, byte by
 * byte and split at random offsets, and must give the same verdict.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlvFormatError } from '../../../src/errors.js';
import { FlvChecker, type FlvCheckResult } from '../../../src/flv/check.js';
import { locateMetadataNumbers } from '../../../src/flv/check-metadata.js';
import { buildMetadataForFile, addSetDataFrame } from '../../../src/flv/script-data.js';
import { encodeFlvHeader, writeFlvTagInto, FLV_TAG_OVERHEAD } from '../../../src/flv/writer.js';
import { PacketType, type MediaPacket } from '../../../src/media/packet.js';
import { encodeAmf0 } from '../../../src/amf/amf0.js';
import { prng, randInt } from '../../helpers/split-feed.js';

function tag(p: MediaPacket): Buffer {
  const out = Buffer.alloc(FLV_TAG_OVERHEAD + p.payload.length);
  writeFlvTagInto(out, 0, p);
  return out;
}

const media = (type: PacketType, timestamp: number, size: number): MediaPacket => ({
  type,
  timestamp,
  payload: Buffer.alloc(size, (timestamp + type) & 0xff),
});

/** Media tags: video every 40 ms, audio every 23 ms, for one second. */
function mediaPackets(): MediaPacket[] {
  const out: MediaPacket[] = [];
  for (let t = 0; t <= 1000; t += 40) out.push(media(PacketType.Video, t, 30 + t / 10));
  for (let t = 0; t <= 1000; t += 23) out.push(media(PacketType.Audio, t, 7));
  return out.sort((a, b) => a.timestamp - b.timestamp);
}

interface Built {
  file: Buffer;
  /** File offset of each tag header. */
  tagOffsets: number[];
}

/** A file like the recorder writes: header, onMetaData (duration/filesize set to the truth unless `meta` says otherwise), media. */
function build(meta: 'ok' | 'stale' | 'none' | 'no-fields' = 'ok', packets = mediaPackets()): Built {
  const parts: Buffer[] = [encodeFlvHeader({ audio: true, video: true })];
  let metaAt: { duration: number; filesize: number } | undefined;
  if (meta === 'ok' || meta === 'stale') {
    const built = buildMetadataForFile({ width: 320 });
    const body = 13 + 11;
    metaAt = { duration: body + built.durationOffset, filesize: body + built.filesizeOffset };
    parts.push(tag({ type: PacketType.Data, timestamp: 0, payload: built.payload }));
  } else if (meta === 'no-fields') {
    parts.push(tag({ type: PacketType.Data, timestamp: 0, payload: encodeAmf0('onMetaData', { width: 320 }) }));
  }
  for (const p of packets) parts.push(tag(p));
  const file = Buffer.concat(parts);
  if (metaAt && meta === 'ok') {
    file.writeDoubleBE(1, metaAt.duration);
    file.writeDoubleBE(file.length, metaAt.filesize);
  }
  const tagOffsets: number[] = [];
  let at = 13;
  while (at < file.length) {
    tagOffsets.push(at);
    at += FLV_TAG_OVERHEAD + file.readUIntBE(at + 1, 3);
  }
  return { file, tagOffsets };
}

function feed(data: Buffer, cuts: number[]): FlvCheckResult {
  const c = new FlvChecker();
  let prev = 0;
  for (const cut of [...cuts, data.length]) {
    c.push(Buffer.from(data.subarray(prev, cut)));
    prev = cut;
  }
  return c.end();
}

/** Checks `data` whole, byte by byte and split at random; asserts the three agree. */
function check(data: Buffer, seed = 1): FlvCheckResult {
  const whole = feed(data, []);
  const bytes = feed(data, Array.from({ length: data.length }, (_, i) => i));
  assert.deepEqual(bytes, whole, 'byte by byte');
  const rand = prng(seed);
  const cuts = Array.from({ length: 8 }, () => randInt(rand, 0, data.length)).sort((a, b) => a - b);
  assert.deepEqual(feed(data, cuts), whole, `split at ${cuts.join(',')}`);
  return whole;
}

test('a whole file with true metadata is ok', () => {
  const { file } = build('ok');
  const r = check(file);
  assert.equal(r.state, 'ok');
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.tags, { audio: 44, video: 26, data: 1, unknown: 0 });
  assert.deepEqual(r.header, { hasAudio: true, hasVideo: true, dataOffset: 9 });
  assert.equal(r.durationMs, 1000);
  assert.equal(r.video.firstMs, 0);
  assert.equal(r.video.lastMs, 1000);
  assert.equal(r.audio.lastMs, 989);
  assert.equal(r.size, file.length);
  assert.equal(r.tail.repairedSize, file.length);
  assert.equal(r.tail.partial, null);
  assert.equal(r.damage, null);
  assert.equal(r.metadata?.duration, 1);
  assert.equal(r.metadata?.filesize, file.length);
  assert.equal(file.readDoubleBE(r.metadata!.filesizeOffset!), file.length, 'the offset points at the double');
});

test('stale duration and filesize make a file repairable, with patchable offsets', () => {
  const { file } = build('stale');
  const r = check(file);
  assert.equal(r.state, 'repairable');
  assert.deepEqual(r.problems.map((p) => p.kind), ['metadata-stale', 'metadata-stale']);
  assert.equal(r.metadata?.duration, 0);
  assert.equal(r.metadata?.durationAgrees, false);
  assert.equal(file.readDoubleBE(r.metadata!.durationOffset!), 0);
  // Patching the two doubles as `flv fix` does makes the file ok.
  file.writeDoubleBE(r.durationMs / 1000, r.metadata!.durationOffset!);
  file.writeDoubleBE(r.tail.repairedSize, r.metadata!.filesizeOffset!);
  assert.equal(check(file).state, 'ok');
});

test('missing onMetaData, or one without numeric fields, needs a rewrite', () => {
  const none = check(build('none').file);
  assert.equal(none.state, 'repairable');
  assert.equal(none.metadata, null);
  assert.deepEqual(none.problems.map((p) => p.kind), ['metadata-missing']);
  const bare = check(build('no-fields').file);
  assert.equal(bare.state, 'repairable');
  assert.equal(bare.metadata?.durationOffset, null);
  assert.deepEqual(bare.problems.map((p) => p.kind), ['metadata-field-missing', 'metadata-field-missing']);
});

test('a file cut at every offset is repairable back to its last whole tag', () => {
  const { file, tagOffsets } = build('ok');
  const firstMedia = tagOffsets[1]!;
  const boundaries = new Set(tagOffsets);
  for (let cut = firstMedia - 4; cut < file.length; cut++) {
    const r = feed(file.subarray(0, cut), []);
    assert.equal(r.state, 'repairable', `cut at ${cut}`);
    if (boundaries.has(cut)) {
      // A cut right after a PreviousTagSize leaves a clean end: only the metadata is stale.
      assert.equal(r.tail.partial, null, `cut at ${cut}`);
      assert.equal(r.tail.repairedSize, cut);
      continue;
    }
    assert.notEqual(r.tail.partial, null, `cut at ${cut}`);
    // The last whole tag is the last one whose body fits before the cut.
    const whole = tagOffsets.filter((o) => o + 11 + file.readUIntBE(o + 1, 3) <= cut);
    const last = whole[whole.length - 1]!;
    const bodyEnd = last + 11 + file.readUIntBE(last + 1, 3);
    assert.equal(r.tail.lastTagEnd, bodyEnd, `cut at ${cut}`);
    assert.equal(r.tail.partial?.bytes, cut - bodyEnd, `cut at ${cut}`);
    assert.equal(r.tail.lastPreviousTagSize, bodyEnd - last, `cut at ${cut}`);
    assert.equal(r.tail.repairedSize, bodyEnd + 4);
    assert.equal(r.tags.audio + r.tags.video + r.tags.data, whole.length, `cut at ${cut}`);
    assert.ok(r.problems.some((p) => p.kind === 'partial-tail' && p.offset === bodyEnd));
    assert.ok(r.problems.every((p) => p.severity !== 'damaged'), `cut at ${cut}: ${JSON.stringify(r.problems)}`);
  }
});

test('cuts mid tag header, mid PreviousTagSize and right after a body name what is missing', () => {
  const { file, tagOffsets } = build('ok');
  const last = tagOffsets[tagOffsets.length - 1]!;
  const midHeader = check(file.subarray(0, last + 5));
  assert.match(midHeader.tail.partial!.what, /partial tag header \(5 of 11 bytes\)/);
  assert.equal(midHeader.tail.partial!.bytes, 9);
  const midBody = check(file.subarray(0, last + 11 + 3));
  assert.match(midBody.tail.partial!.what, /partial video tag \(3 of 130 body bytes\)/);
  const noPts = check(file.subarray(0, file.length - 4));
  assert.equal(noPts.tail.partial!.what, 'missing PreviousTagSize');
  assert.equal(noPts.tail.partial!.bytes, 0);
  assert.equal(noPts.tail.lastTagEnd, file.length - 4);
  const midPts = check(file.subarray(0, file.length - 2));
  assert.match(midPts.tail.partial!.what, /partial PreviousTagSize \(2 of 4 bytes\)/);
  assert.equal(midPts.tail.repairedSize, file.length);
});

test('a wrong PreviousTagSize mid-file is damage at its offset; the walk goes on', () => {
  const { file, tagOffsets } = build('ok');
  const ptsAt = tagOffsets[3]! - 4;
  file.writeUInt32BE(12345, ptsAt);
  const r = check(file);
  assert.equal(r.state, 'damaged');
  assert.deepEqual(r.previousTagSize, { mismatches: 1, firstOffset: ptsAt });
  assert.equal(r.damage?.offset, ptsAt);
  assert.equal(r.tags.audio + r.tags.video, 70, 'every tag still counted');
});

test('garbage mid-file is damage where it starts; nothing after it is taken for a tag', () => {
  const { file, tagOffsets } = build('ok');
  const at = tagOffsets[4]!;
  const bad = Buffer.concat([file.subarray(0, at), Buffer.alloc(50, 0xab), file.subarray(at)]);
  const r = check(bad);
  assert.equal(r.state, 'damaged');
  assert.equal(r.damage?.offset, at);
  assert.match(r.damage!.message, new RegExp(`byte offset ${at}`));
  assert.equal(r.tail.lastTagEnd, at - 4, 'the last whole tag is the one before the garbage');
  assert.equal(r.tags.audio + r.tags.video + r.tags.data, 4);
  // Garbage that looks like a partial tag header at the very end is damage too, not a partial tail.
  const tailJunk = check(Buffer.concat([file, Buffer.from([0xff, 0xff])]));
  assert.equal(tailJunk.state, 'damaged');
  assert.equal(tailJunk.damage?.offset, file.length);
});

test('an unknown tag type with a correct PreviousTagSize is reported but harmless', () => {
  const packets = mediaPackets();
  packets.splice(3, 0, { type: 15 as PacketType, timestamp: 40, payload: Buffer.alloc(5) });
  const { file } = build('ok', packets);
  const r = check(file);
  assert.equal(r.state, 'ok');
  assert.equal(r.tags.unknown, 1);
  assert.deepEqual(r.unknownTypes, [15]);
  assert.deepEqual(r.problems.map((p) => [p.kind, p.severity]), [['unknown-tag', 'warning']]);
});

test('timestamps going back within a track are a warning with the first offset', () => {
  const packets = mediaPackets();
  packets.push(media(PacketType.Video, 900, 10));
  const { file, tagOffsets } = build('ok', packets);
  const r = check(file);
  assert.equal(r.state, 'ok');
  assert.equal(r.video.backwards, 1);
  assert.equal(r.video.firstBackwardsOffset, tagOffsets[tagOffsets.length - 1]);
  assert.equal(r.audio.backwards, 0);
  assert.deepEqual(r.problems.map((p) => p.kind), ['timestamp-backwards']);
});

test('input that is not FLV, or shorter than its header, is a format error', () => {
  assert.throws(() => feed(Buffer.from('not an flv'), []), FlvFormatError);
  assert.throws(() => feed(Buffer.from('FLV\x01'), []), FlvFormatError);
  const onlyHeader = check(build('none', []).file.subarray(0, 9));
  assert.equal(onlyHeader.tail.partial?.what, 'missing PreviousTagSize');
});

test('locateMetadataNumbers finds the doubles behind @setDataFrame and in an anonymous object', () => {
  const body = addSetDataFrame(encodeAmf0('onMetaData', { title: 'x', nested: { duration: 'no' }, duration: 1.5, filesize: 99 }));
  const found = locateMetadataNumbers(body);
  assert.equal(found.duration?.value, 1.5);
  assert.equal(body.readDoubleBE(found.duration!.at), 1.5);
  assert.equal(body.readDoubleBE(found.filesize!.at), 99);
  assert.deepEqual(locateMetadataNumbers(encodeAmf0('onMetaData', { duration: 'long' })), {});
  assert.deepEqual(locateMetadataNumbers(body.subarray(0, body.length - 12)).duration?.value, 1.5, 'truncated AMF keeps what was found');
});
