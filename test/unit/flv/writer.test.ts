import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LimitError } from '../../../src/errors.js';
import { FlvReader } from '../../../src/flv/reader.js';
import { encodeFlvHeader, encodeFlvTag, writeFlvTagInto } from '../../../src/flv/writer.js';
import { PacketType, type MediaPacket } from '../../../src/media/packet.js';
import { parseVideoTagHeader } from '../../../src/media/video-tag.js';
import { hex } from '../../helpers/hex.js';
import { everyFeeder, feedWhole, type Feeder } from '../../helpers/split-feed.js';

test('encodeFlvHeader is the 9-byte header plus PreviousTagSize0', () => {
  assert.deepEqual(encodeFlvHeader({ audio: true, video: false }), hex('464c56 01 04 00000009 // header, audio only', '00000000 // PreviousTagSize0'));
});

test('encodeFlvTag returns header, the untouched payload and PreviousTagSize', () => {
  const payload = hex('af 01 2110 // AAC raw frame');
  const [header, body, trailer] = encodeFlvTag({ type: PacketType.Audio, timestamp: 0x01020304, payload });
  assert.deepEqual(header, hex('08 // audio', '000004 // DataSize', '020304 // Timestamp', '01 // TimestampExtended', '000000 // StreamID'));
  assert.equal(body, payload, 'the same Buffer object: never copied');
  assert.deepEqual(trailer, hex('0000000f // 11 + 4'));
  assert.throws(() => encodeFlvTag({ type: PacketType.Video, timestamp: 0, payload: Buffer.alloc(0x1000000) }), LimitError);
});

test('writeFlvTagInto matches encodeFlvTag', () => {
  const packet = { type: PacketType.Video, timestamp: 0xabcdef12, payload: hex('17 01 000000 aabbcc') };
  const target = Buffer.alloc(40);
  const end = writeFlvTagInto(target, 3, packet);
  assert.equal(end, 3 + 11 + 8 + 4);
  assert.deepEqual(target.subarray(3, end), Buffer.concat(encodeFlvTag(packet)));
});

function readAll(data: Buffer, feed: Feeder): MediaPacket[] {
  const reader = new FlvReader();
  const events = [...feed(reader, data), ...reader.end()];
  assert.deepEqual(events.filter((e) => e.kind === 'warning'), []);
  return events.flatMap((e) => (e.kind === 'tag' ? [e.packet] : []));
}

test('write then read round-trips timestamps above 24 bits and near 2^32, and a negative composition time', () => {
  const packets: MediaPacket[] = [
    { type: PacketType.Data, timestamp: 0, payload: hex('02 000a 6f6e4d65746144617461 // "onMetaData"', '05 // null') },
    { type: PacketType.Video, timestamp: 0, payload: hex('17 00 000000 01640028 // AVC sequence header (start)') },
    { type: PacketType.Audio, timestamp: 0xffffff, payload: hex('af 01 aa // largest 24-bit timestamp') },
    { type: PacketType.Video, timestamp: 0x1000000, payload: hex('27 01 ffffd8 00000001 09 // composition time -40') },
    { type: PacketType.Audio, timestamp: 0x7fffffff, payload: hex('af 01 bb') },
    { type: PacketType.Audio, timestamp: 0x80000000, payload: hex('af 01 cc // sign bit of the extended byte set') },
    { type: PacketType.Video, timestamp: 0xfffffffe, payload: hex('17 01 fffc18 00 // composition time -1000') },
    { type: PacketType.Audio, timestamp: 0xffffffff, payload: Buffer.alloc(0) },
  ];
  const file = Buffer.concat([encodeFlvHeader({ audio: true, video: true }), ...packets.flatMap((p) => encodeFlvTag(p))]);
  const expected = packets.map((p) => ({ type: p.type, timestamp: p.timestamp, payload: p.payload }));
  assert.deepEqual(readAll(file, feedWhole), expected);
  for (const { name, feed } of everyFeeder(file.length)) assert.deepEqual(readAll(file, feed), expected, name);
  const back = readAll(file, feedWhole);
  assert.equal(parseVideoTagHeader(back[3]!.payload)?.compositionTime, -40);
  assert.equal(parseVideoTagHeader(back[6]!.payload)?.compositionTime, -1000);
});
