import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ts32 } from '../../../src/media/timestamp.js';
import { ChunkDecoder } from '../../../src/rtmp/chunk-decoder.js';
import { ChunkEncoder } from '../../../src/rtmp/chunk-encoder.js';
import { setChunkSize } from '../../../src/rtmp/control.js';
import type { RtmpMessage } from '../../../src/rtmp/message.js';
import {
  feedByteByByte,
  feedRandomSplits,
  feedWhole,
  hex,
  prng,
  randInt,
  type Feeder,
} from '../../helpers/split-feed.js';

function msg(csid: number, typeId: number, timestamp: number, streamId: number, payload: Buffer): RtmpMessage {
  return { csid, typeId, timestamp, streamId, payload };
}

describe('ChunkEncoder: header formats', () => {
  it('picks fmt 0, 3, 1, 2, 3 as fields repeat or change', () => {
    const enc = new ChunkEncoder();
    const a = hex('0102');
    assert.deepEqual(enc.encodeMessage(msg(4, 8, 0, 1, a)), hex(`
      04 000000 000002 08 01000000 0102   # fmt 0: first message on csid 4
    `));
    assert.deepEqual(enc.encodeMessage(msg(4, 8, 0, 1, a)), hex(`
      c4 0102                             # fmt 3: delta 0 (= the fmt 0 timestamp 0), same length and type
    `));
    assert.deepEqual(enc.encodeMessage(msg(4, 8, 20, 1, hex('010203'))), hex(`
      44 000014 000003 08 010203          # fmt 1: length changed; delta 20
    `));
    assert.deepEqual(enc.encodeMessage(msg(4, 8, 50, 1, hex('040506'))), hex(`
      84 00001e 040506                    # fmt 2: only the delta changed (30)
    `));
    assert.deepEqual(enc.encodeMessage(msg(4, 8, 80, 1, hex('070809'))), hex(`
      c4 070809                           # fmt 3: delta 30 again
    `));
    assert.deepEqual(enc.encodeMessage(msg(4, 9, 80, 1, hex('0a0b0c'))), hex(`
      44 000000 000003 09 0a0b0c          # fmt 1: type changed
    `));
  });

  it('uses fmt 0 when the stream id changes or the timestamp goes backwards', () => {
    const enc = new ChunkEncoder();
    enc.encode(msg(4, 8, 100, 1, hex('00')));
    assert.deepEqual(enc.encodeMessage(msg(4, 8, 110, 2, hex('00'))), hex('04 00006e 000001 08 02000000 00'));
    assert.deepEqual(enc.encodeMessage(msg(4, 8, 90, 2, hex('00'))), hex('04 00005a 000001 08 02000000 00'));
  });

  it('never uses fmt 3 right after a fmt 0 with a nonzero timestamp (peers disagree on its delta)', () => {
    const enc = new ChunkEncoder();
    enc.encode(msg(3, 20, 1000, 0, hex('00')));
    assert.deepEqual(enc.encodeMessage(msg(3, 20, 2000, 0, hex('00'))), hex('83 0003e8 00   # fmt 2, delta 1000'));
    assert.deepEqual(enc.encodeMessage(msg(3, 20, 3000, 0, hex('00'))), hex('c3 00         # now fmt 3 is safe'));
  });

  it('writes 1-, 2- and 3-byte basic headers', () => {
    const cases: Array<[number, string]> = [[2, '02'], [63, '3f'], [64, '00 00'], [319, '00 ff'], [320, '01 00 01'], [65599, '01 ff ff']];
    for (const [csid, basic] of cases) {
      const enc = new ChunkEncoder(1);
      assert.deepEqual(
        enc.encodeMessage(msg(csid, 8, 0, 0, hex('aabb'))),
        hex(`${basic} 000000 000002 08 00000000 aa   # fmt 0, then chunk 2 as fmt 3:
             ${basic.replace(/^(..)/, (b) => (parseInt(b, 16) | 0xc0).toString(16))} bb`),
        `csid ${csid}`,
      );
    }
  });

  it('splits at the chunk size and repeats the extended timestamp on continuation chunks', () => {
    const enc = new ChunkEncoder(2);
    assert.deepEqual(enc.encodeMessage(msg(6, 9, 0x01000000, 1, hex('0102030405'))), hex(`
      06 ffffff 000005 09 01000000 01000000 0102   # fmt 0, ts field 0xffffff + extended ts
      c6 01000000 0304                             # fmt 3 continuation + extended ts
      c6 01000000 05
    `));
  });

  it('extended deltas, and fmt 3 repeating an extended delta carries the 4 bytes', () => {
    const enc = new ChunkEncoder();
    enc.encode(msg(4, 8, 0, 1, hex('00')));
    enc.encode(msg(4, 8, 5, 1, hex('00'))); // fmt 2 delta 5
    assert.deepEqual(enc.encodeMessage(msg(4, 8, 0x01000005, 1, hex('01'))), hex('84 ffffff 01000000 01'));
    assert.deepEqual(enc.encodeMessage(msg(4, 8, 0x02000005, 1, hex('02'))), hex('c4 01000000 02'));
  });

  it('a timestamp passing 2^32 is a small forward delta', () => {
    const enc = new ChunkEncoder();
    enc.encode(msg(4, 8, 0xfffffff0, 1, hex('00')));
    assert.deepEqual(enc.encodeMessage(msg(4, 8, 0x1_0000_0010, 1, hex('00'))), hex('84 000020 00'));
    assert.deepEqual(enc.encodeMessage(msg(4, 8, 0x30, 1, hex('00'))), hex('c4 00'));
  });

  it('returns payload subarrays without copying', () => {
    const payload = Buffer.alloc(300, 7);
    const parts = new ChunkEncoder().encode(msg(6, 9, 0, 1, payload));
    assert.equal(parts.length, 6); // header, 128, cont, 128, cont, 44
    for (const i of [1, 3, 5]) assert.equal(parts[i]!.buffer, payload.buffer);
    assert.equal(parts[1]!.byteOffset, payload.byteOffset);
    assert.equal(parts[3]!.byteOffset, payload.byteOffset + 128);
  });

  it('a zero-length message is a header only', () => {
    assert.deepEqual(new ChunkEncoder().encode(msg(3, 20, 0, 0, Buffer.alloc(0))), [hex('03 000000 000000 14 00000000')]);
  });

  it('rejects bad chunk sizes and message fields', () => {
    assert.throws(() => new ChunkEncoder(0), RangeError);
    assert.throws(() => new ChunkEncoder().setChunkSize(0x80000000), RangeError);
    assert.throws(() => new ChunkEncoder().setChunkSize(1.5), RangeError);
    const enc = new ChunkEncoder();
    assert.throws(() => enc.encode(msg(1, 8, 0, 0, Buffer.alloc(1))), RangeError);
    assert.throws(() => enc.encode(msg(65600, 8, 0, 0, Buffer.alloc(1))), RangeError);
    assert.throws(() => enc.encode(msg(3, 256, 0, 0, Buffer.alloc(1))), RangeError);
    assert.throws(() => enc.encode(msg(3, 8, 0, -1, Buffer.alloc(1))), RangeError);
    assert.throws(() => enc.encode(msg(3, 8, 0, 0, Buffer.alloc(0x1000000))), RangeError);
    enc.setChunkSize(4096);
    assert.equal(enc.chunkSize, 4096);
  });
});

/** A random message sequence over a few chunk streams with awkward timestamps. */
function randomMessages(seed: number, count: number, maxLength: number): RtmpMessage[] {
  const rand = prng(seed);
  const csids = [2, 3, 4, 5, 6, 63, 64, 319, 320, 65599];
  const clock = new Map<number, number>();
  const out: RtmpMessage[] = [];
  for (let i = 0; i < count; i++) {
    const csid = csids[randInt(rand, 0, csids.length - 1)]!;
    let ts = clock.get(csid) ?? [0, 0xffffff - 40, 0xffff_ffff - 60, 1000][randInt(rand, 0, 3)]!;
    const r = rand();
    if (r < 0.05) ts -= randInt(rand, 1, 5000); // backwards: forces fmt 0
    else if (r < 0.1) ts += randInt(rand, 0xffffff, 0x3000000); // extended delta
    else if (r < 0.5) ts += randInt(rand, 0, 40);
    // else: same delta pattern as before often repeats: keep ts + 0
    clock.set(csid, ts);
    const lengthPick = rand();
    const length =
      lengthPick < 0.1 ? 0 : lengthPick < 0.6 ? randInt(rand, 1, 64) : randInt(rand, 1, maxLength);
    const payload = Buffer.alloc(length);
    for (let j = 0; j < length; j++) payload[j] = (i * 31 + j) & 0xff;
    const typeId = [8, 9, 18, 20][randInt(rand, 0, 3)]!;
    const streamId = rand() < 0.9 ? 1 : randInt(rand, 0, 3);
    out.push(msg(csid, typeId, ts, streamId, payload));
  }
  return out;
}

/** Encodes `messages` at `chunkSize` (announced by a leading Set Chunk Size) into one buffer. */
function encodeStream(messages: RtmpMessage[], chunkSize: number): { bytes: Buffer; sent: RtmpMessage[] } {
  const enc = new ChunkEncoder();
  const parts: Buffer[] = [];
  const sent: RtmpMessage[] = [];
  if (chunkSize !== 128) {
    const scs = setChunkSize(chunkSize);
    parts.push(...enc.encode(scs));
    enc.setChunkSize(chunkSize);
    sent.push(scs);
  }
  for (const m of messages) {
    parts.push(...enc.encode(m));
    sent.push({ ...m, timestamp: ts32(m.timestamp) });
  }
  return { bytes: Buffer.concat(parts), sent };
}

describe('ChunkEncoder → ChunkDecoder round trips', () => {
  const plans: Array<{ chunkSize: number; count: number; maxLength: number; feeders: Array<[string, Feeder]> }> = [
    { chunkSize: 1, count: 60, maxLength: 40, feeders: [['whole', feedWhole], ['byte by byte', feedByteByByte]] },
    { chunkSize: 128, count: 300, maxLength: 600, feeders: [['whole', feedWhole], ['byte by byte', feedByteByByte]] },
    { chunkSize: 4096, count: 200, maxLength: 20000, feeders: [['whole', feedWhole], ['random', feedRandomSplits(7)]] },
    { chunkSize: 65536, count: 60, maxLength: 200000, feeders: [['whole', feedWhole], ['random', feedRandomSplits(8)]] },
  ];
  for (const { chunkSize, count, maxLength, feeders } of plans) {
    for (const seed of [1, 2, 3]) {
      it(`chunk size ${chunkSize}, seed ${seed}`, () => {
        const messages = randomMessages(seed * 1000 + chunkSize, count, maxLength);
        const { bytes, sent } = encodeStream(messages, chunkSize);
        for (const [name, feed] of feeders) {
          const dec = new ChunkDecoder();
          const got = feed(dec, bytes);
          assert.equal(got.length, sent.length, name);
          got.forEach((m, i) => assert.deepStrictEqual(m, sent[i], `${name}: message ${i}`));
          assert.equal(dec.chunkSize, chunkSize);
        }
      });
    }
  }

  it('crosses 0xffffff and wraps past 2^32 on one chunk stream, at every chunk size', () => {
    for (const chunkSize of [1, 128, 4096, 65536]) {
      const start = 0xffff_ff00;
      const messages: RtmpMessage[] = [];
      for (let ts = 0xfffff0; ts < 0x1000010; ts += 7) messages.push(msg(6, 9, ts, 1, Buffer.alloc(3, ts & 0xff)));
      for (let ts = start; ts < start + 0x200; ts += 33) messages.push(msg(6, 9, ts, 1, Buffer.alloc(200, 1)));
      const { bytes, sent } = encodeStream(messages, chunkSize);
      const got = feedRandomSplits(chunkSize)(new ChunkDecoder(), bytes);
      assert.deepStrictEqual(got, sent, `chunk size ${chunkSize}`);
      assert.ok(sent.some((m) => m.timestamp < 0x200 && m.streamId === 1), 'wrapped past 2^32');
    }
  });
});
