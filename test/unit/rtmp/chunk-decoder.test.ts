import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LimitError, ProtocolError } from '../../../src/errors.js';
import type { Limits } from '../../../src/limits.js';
import { ChunkDecoder } from '../../../src/rtmp/chunk-decoder.js';
import type { RtmpMessage } from '../../../src/rtmp/message.js';
import { everyFeeder, feedByteByByte, feedWhole, hex } from '../../helpers/split-feed.js';

/** Bytes 0, 1, 2, ... n-1 (mod 256): easy to spot misplaced chunk bodies. */
function seq(n: number, start = 0): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (start + i) & 0xff));
}

function msg(csid: number, typeId: number, timestamp: number, streamId: number, payload: Buffer): RtmpMessage {
  return { csid, typeId, timestamp, streamId, payload };
}

/** Decodes `data` with every feeding strategy and asserts each gives `expected`. */
function assertDecodes(data: Buffer, expected: RtmpMessage[], limits?: Partial<Limits>): void {
  for (const { name, feed } of everyFeeder(data.length)) {
    const dec = new ChunkDecoder(limits);
    assert.deepStrictEqual(feed(dec, data), expected, name);
    assert.equal(dec.bytesReceived, data.length, `${name}: bytesReceived`);
  }
}

/** Asserts every feeding strategy throws `type` and that the decoder stays failed. */
function assertRejects(data: Buffer, type: new (...args: never[]) => Error, limits?: Partial<Limits>): void {
  for (const { name, feed } of everyFeeder(data.length)) {
    const dec = new ChunkDecoder(limits);
    assert.throws(() => feed(dec, data), type, name);
    assert.throws(() => dec.push(Buffer.alloc(0)), type, `${name}: error is sticky`);
  }
}

describe('ChunkDecoder: chunk formats', () => {
  it('fmt 0 single chunk on csid 3', () => {
    const data = hex(`
      03         # basic header: fmt 0, csid 3
      000010     # timestamp 16
      000004     # message length 4
      14         # type 20 (AMF0 command)
      01000000   # message stream id 1 (little-endian)
      deadbeef   # payload
    `);
    assertDecodes(data, [msg(3, 20, 16, 1, hex('deadbeef'))]);
  });

  it('fmt 0 message of length 0', () => {
    const data = hex(`
      03 000005 000000 12 00000000   # fmt 0, csid 3, ts 5, length 0, type 18, stream 0
      03 000006 000001 12 00000000   # next message, length 1
      ff                             # payload
    `);
    assertDecodes(data, [msg(3, 18, 5, 0, Buffer.alloc(0)), msg(3, 18, 6, 0, hex('ff'))]);
  });

  it('fmt 0 message split into fmt 3 continuation chunks (chunk size 128)', () => {
    const body = seq(300);
    const data = Buffer.concat([
      hex('04 000064 00012c 09 01000000'), // fmt 0, csid 4, ts 100, length 300, video, stream 1
      body.subarray(0, 128),
      hex('c4'), // fmt 3, csid 4: continuation
      body.subarray(128, 256),
      hex('c4'),
      body.subarray(256),
    ]);
    assertDecodes(data, [msg(4, 9, 100, 1, body)]);
  });

  it('fmt 1 and fmt 2 add deltas; fmt 3 starting a message reuses the delta', () => {
    const data = hex(`
      04 0003e8 000002 08 01000000  aaaa   # fmt 0, csid 4, ts 1000, length 2, audio, stream 1
      44 000021 000003 08           bbbbbb # fmt 1: delta 33, length 3, audio
      84 000021                     cccccc # fmt 2: delta 33 (length 3 kept)
      c4                            dddddd # fmt 3: new message, delta 33 again
      84 000000                     eeeeee # fmt 2: delta 0
    `);
    assertDecodes(data, [
      msg(4, 8, 1000, 1, hex('aaaa')),
      msg(4, 8, 1033, 1, hex('bbbbbb')),
      msg(4, 8, 1066, 1, hex('cccccc')),
      msg(4, 8, 1099, 1, hex('dddddd')),
      msg(4, 8, 1099, 1, hex('eeeeee')),
    ]);
  });

  it('fmt 3 right after fmt 0 uses the fmt 0 timestamp as its delta (ffmpeg, librtmp)', () => {
    const data = hex(`
      03 000064 000001 14 00000000  01   # fmt 0, csid 3, ts 100, length 1
      c3                            02   # fmt 3 new message: delta 100 -> ts 200
      c3                            03   # and again -> ts 300
    `);
    assertDecodes(data, [msg(3, 20, 100, 0, hex('01')), msg(3, 20, 200, 0, hex('02')), msg(3, 20, 300, 0, hex('03'))]);
  });

  it('deltas wrap modulo 2^32', () => {
    const data = hex(`
      04 ffffff 000001 08 01000000 fffffff0  01   # fmt 0, ts field 0xffffff -> extended ts 0xfffffff0
      84 000020                              02   # fmt 2: delta 0x20 -> ts 0x10 after wrapping
    `);
    assertDecodes(data, [msg(4, 8, 0xfffffff0, 1, hex('01')), msg(4, 8, 0x10, 1, hex('02'))]);
  });

  it('chunks of two chunk streams interleave', () => {
    const video = seq(200);
    const data = Buffer.concat([
      hex('06 000000 0000c8 09 01000000'), // fmt 0, csid 6, ts 0, length 200, video
      video.subarray(0, 128),
      hex('04 000000 000002 08 01000000 abcd'), // fmt 0, csid 4: a whole audio message in between
      hex('c6'), // fmt 3 continuation of csid 6
      video.subarray(128),
    ]);
    assertDecodes(data, [msg(4, 8, 0, 1, hex('abcd')), msg(6, 9, 0, 1, video)]);
  });
});

describe('ChunkDecoder: basic header sizes', () => {
  const cases: Array<[number, string]> = [
    [2, '02'], //                1 byte: csid in the low 6 bits
    [63, '3f'], //               largest 1-byte id
    [64, '00 00'], //            2 bytes: 0, then csid - 64
    [319, '00 ff'], //           largest 2-byte id
    [320, '01 00 01'], //        3 bytes: 1, then csid - 64 little-endian (0x0100)
    [65599, '01 ff ff'], //      largest id
  ];
  for (const [csid, basic] of cases) {
    it(`csid ${csid} (${basic})`, () => {
      const data = hex(`${basic} 000007 000002 14 00000000 0102   # fmt 0, ts 7, length 2`);
      assertDecodes(data, [msg(csid, 20, 7, 0, hex('0102'))]);
    });
  }

  it('csid 64 written in the 3-byte form is the same chunk stream as the 2-byte form', () => {
    const data = hex(`
      01 00 00  000001 000001 08 00000000  aa   # fmt 0, csid 64 via the 3-byte form
      80 00     000001                     bb   # fmt 2, csid 64 via the 2-byte form: delta 1
    `);
    assertDecodes(data, [msg(64, 8, 1, 0, hex('aa')), msg(64, 8, 2, 0, hex('bb'))]);
  });

  it('fmt bits apply to the 2- and 3-byte forms', () => {
    const data = hex(`
      01 ff ff  000010 000001 09 02000000  01   # fmt 0, csid 65599, stream 2
      c1 ff ff                             02   # fmt 3, csid 65599: delta 16 -> ts 32
    `);
    assertDecodes(data, [msg(65599, 9, 16, 2, hex('01')), msg(65599, 9, 32, 2, hex('02'))]);
  });
});

describe('ChunkDecoder: extended timestamps', () => {
  it('fmt 0 extended timestamp, repeated on fmt 3 continuation chunks', () => {
    const body = seq(260);
    const data = Buffer.concat([
      hex('06 ffffff 000104 09 01000000'), // fmt 0, csid 6, ts field 0xffffff, length 260, video
      hex('01000000'), //                     extended timestamp 0x01000000
      body.subarray(0, 128),
      hex('c6 01000000'), //                  fmt 3 continuation + extended timestamp again
      body.subarray(128, 256),
      hex('c6 01000000'),
      body.subarray(256),
    ]);
    assertDecodes(data, [msg(6, 9, 0x01000000, 1, body)]);
  });

  it('tolerates a different value in the continuation extended field (ignored, as ffmpeg does)', () => {
    const body = seq(130);
    const data = Buffer.concat([
      hex('06 ffffff 000082 09 01000000 01000000'), // fmt 0, ext ts 0x01000000, length 130
      body.subarray(0, 128),
      hex('c6 00000021'), //                           continuation with a delta-like value
      body.subarray(128),
    ]);
    assertDecodes(data, [msg(6, 9, 0x01000000, 1, body)]);
  });

  it('extended delta on fmt 1, then fmt 3 new messages carrying the 4 bytes', () => {
    const data = hex(`
      04 000000 000001 08 01000000           01   # fmt 0, csid 4, ts 0
      44 ffffff 000001 08 01000000           02   # fmt 1: delta field 0xffffff, extended delta 0x01000000
      c4 01000000                            03   # fmt 3 new message: extended delta again
      84 000005                              04   # fmt 2: small delta, no extended field any more
      c4                                     05   # fmt 3: delta 5, no extended field
    `);
    assertDecodes(data, [
      msg(4, 8, 0, 1, hex('01')),
      msg(4, 8, 0x01000000, 1, hex('02')),
      msg(4, 8, 0x02000000, 1, hex('03')),
      msg(4, 8, 0x02000005, 1, hex('04')),
      msg(4, 8, 0x0200000a, 1, hex('05')),
    ]);
  });

  it('timestamp exactly 0xffffff is sent extended', () => {
    const data = hex('03 ffffff 000001 14 00000000 00ffffff 07   # fmt 0, ext ts 0x00ffffff');
    assertDecodes(data, [msg(3, 20, 0xffffff, 0, hex('07'))]);
  });
});

describe('ChunkDecoder: Set Chunk Size and Abort', () => {
  it('applies Set Chunk Size before the next chunk and returns it', () => {
    const body = seq(300);
    const data = Buffer.concat([
      hex('02 000000 000004 01 00000000 0000012c'), // Set Chunk Size 300 on csid 2
      hex('03 000000 00012c 14 00000000'), //          300-byte message: now a single chunk
      body,
    ]);
    const expected = [msg(2, 1, 0, 0, hex('0000012c')), msg(3, 20, 0, 0, body)];
    assertDecodes(data, expected);
    const dec = new ChunkDecoder();
    assert.equal(dec.chunkSize, 128);
    feedWhole(dec, data);
    assert.equal(dec.chunkSize, 300);
  });

  it('Set Chunk Size between two chunks of another chunk stream changes the next chunk', () => {
    const body = seq(300);
    const data = Buffer.concat([
      hex('06 000000 00012c 09 01000000'), // fmt 0, csid 6, length 300
      body.subarray(0, 128), //               first chunk at size 128
      hex('02 000000 000004 01 00000000 00001000'), // Set Chunk Size 4096
      hex('c6'), //                           continuation: the remaining 172 bytes in one chunk
      body.subarray(128),
    ]);
    assertDecodes(data, [msg(2, 1, 0, 0, hex('00001000')), msg(6, 9, 0, 1, body)]);
  });

  it('chunk size 1', () => {
    const data = hex(`
      02 000000 000004 01 00000000 00000001   # Set Chunk Size 1
      03 000000 000003 14 00000000 aa         # fmt 0, length 3, first byte
      c3 bb                                   # fmt 3 continuation
      c3 cc
    `);
    assertDecodes(data, [msg(2, 1, 0, 0, hex('00000001')), msg(3, 20, 0, 0, hex('aabbcc'))]);
  });

  it('Abort drops the partial message on that chunk stream', () => {
    const data = Buffer.concat([
      hex('04 000000 0000c8 08 01000000'), // fmt 0, csid 4, length 200
      seq(128), //                            first chunk; 72 bytes still missing
      hex('02 000000 000004 02 00000000 00000004'), // Abort csid 4
      hex('04 000010 000002 08 01000000 abcd'), // csid 4 may start afresh with fmt 0
    ]);
    assertDecodes(data, [msg(2, 2, 0, 0, hex('00000004')), msg(4, 8, 16, 1, hex('abcd'))]);
  });

  it('Abort of an unknown chunk stream is harmless', () => {
    const data = hex('02 000000 000004 02 00000000 00000009');
    assertDecodes(data, [msg(2, 2, 0, 0, hex('00000009'))]);
  });
});

describe('ChunkDecoder: payload buffers', () => {
  it('returns a single-chunk message in one input buffer as a view', () => {
    const input = hex('03 000000 000004 14 00000000 01020304');
    const [m] = new ChunkDecoder().push(input);
    assert.equal(m!.payload.buffer, input.buffer);
  });

  it('counts bytesReceived across pushes, including partial chunks', () => {
    const dec = new ChunkDecoder();
    dec.push(hex('03 000000'));
    dec.push(hex('000004'));
    assert.equal(dec.bytesReceived, 7);
  });
});

describe('ChunkDecoder: errors', () => {
  it('message longer than maxMessageSize: LimitError as soon as the header is read', () => {
    const header = hex('03 000000 000065 14 00000000   # fmt 0, length 101');
    assertRejects(header, LimitError, { maxMessageSize: 100 });
    try {
      new ChunkDecoder({ maxMessageSize: 100 }).push(header);
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof LimitError);
      assert.equal(e.limit, 'maxMessageSize');
      assert.equal(e.value, 101);
      assert.equal(e.code, 'RTMP_ERR_LIMIT');
    }
  });

  it('fmt 1 growing the length past maxMessageSize is caught too', () => {
    const data = hex(`
      03 000000 000001 14 00000000 00   # fmt 0, length 1
      43 000000 000065 14               # fmt 1, length 101
    `);
    assertRejects(data, LimitError, { maxMessageSize: 100 });
  });

  it('more chunk streams than maxChunkStreams: LimitError', () => {
    const data = hex(`
      03 000000 000001 14 00000000 00
      04 000000 000001 08 00000000 00
      05 000000 000001 09 00000000 00   # third chunk stream
    `);
    assertRejects(data, LimitError, { maxChunkStreams: 2 });
    assert.equal(feedWhole(new ChunkDecoder({ maxChunkStreams: 3 }), data).length, 3);
  });

  it('fmt 1, 2 or 3 on a chunk stream never seen: ProtocolError', () => {
    assertRejects(hex('43 000000 000001 14 00'), ProtocolError);
    assertRejects(hex('83 000000 00'), ProtocolError);
    assertRejects(hex('c3 00'), ProtocolError);
  });

  it('Set Chunk Size 0: ProtocolError', () => {
    assertRejects(hex('02 000000 000004 01 00000000 00000000'), ProtocolError);
  });

  it('Set Chunk Size with the top bit set: ProtocolError', () => {
    assertRejects(hex('02 000000 000004 01 00000000 80000080'), ProtocolError);
  });

  it('Set Chunk Size above maxChunkSize: LimitError', () => {
    assertRejects(hex('02 000000 000004 01 00000000 00010001'), LimitError, { maxChunkSize: 65536 });
  });

  it('Set Chunk Size or Abort with a short payload: ProtocolError', () => {
    assertRejects(hex('02 000000 000002 01 00000000 0080'), ProtocolError);
    assertRejects(hex('02 000000 000003 02 00000000 000004'), ProtocolError);
  });

  it('a new message header while a message is incomplete: ProtocolError', () => {
    const data = Buffer.concat([
      hex('04 000000 0000c8 08 01000000'),
      seq(128),
      hex('84 000010'), // fmt 2 on csid 4 before the message finished
    ]);
    assertRejects(data, ProtocolError);
  });

  it('messages before the error are still delivered by earlier pushes', () => {
    const dec = new ChunkDecoder();
    assert.equal(feedByteByByte(dec, hex('03 000000 000001 14 00000000 00')).length, 1);
    assert.throws(() => dec.push(hex('45 000000 000001 14')), ProtocolError);
  });
});
