/**
 * FLV and codec properties: the FLV reader on random and mutated files (typed
 * errors only, the same events whatever the split, buffering bounded by
 * maxFlvTagSize), write → read round trips, and the codec configuration and
 * tag header parsers on hostile bytes.
 */
import fc from 'fast-check';
import type { BufferList } from '../../src/bytes/buffer-list.js';
import { FlvFormatError, LimitError, MediaFormatError } from '../../src/errors.js';
import { FlvReader, type FlvEvent } from '../../src/flv/reader.js';
import { FLV_TAG_HEADER_SIZE } from '../../src/flv/tag.js';
import { encodeFlvHeader, encodeFlvTag, FLV_TAG_OVERHEAD, writeFlvTagInto } from '../../src/flv/writer.js';
import { parseAudioSpecificConfig } from '../../src/media/aac.js';
import { parseAudioTagHeader } from '../../src/media/audio-tag.js';
import { parseAvcDecoderConfig, parseSps } from '../../src/media/avc.js';
import { PacketType, type MediaPacket } from '../../src/media/packet.js';
import { parseVideoTagHeader } from '../../src/media/video-tag.js';
import { hex } from '../helpers/hex.js';
import { bytes, check, errorKey, guarded, mutated, peekPrivate, pieces, prop, splits, type NamedProperty } from './harness.js';

// ---------------------------------------------------------------- FLV

const packet: fc.Arbitrary<MediaPacket> = fc.record({
  type: fc.constantFrom(PacketType.Audio, PacketType.Video, PacketType.Data),
  timestamp: fc.oneof(fc.nat({ max: 100_000 }), fc.nat({ max: 0xffffffff }), fc.constantFrom(0xffffff, 0x1000000, 0xffffffff)),
  payload: fc.oneof(bytes(16), bytes(400)),
});

export const flvFile = fc
  .tuple(fc.boolean(), fc.boolean(), fc.array(packet, { maxLength: 8 }), fc.boolean())
  .map(([audio, video, packets, batched]) => ({ audio, video, packets, bytes: writeFlv(audio, video, packets, batched) }));

/** Writes a file with encodeFlvTag or, when `batched`, writeFlvTagInto. */
function writeFlv(audio: boolean, video: boolean, packets: MediaPacket[], batched: boolean): Buffer {
  const parts: Buffer[] = [encodeFlvHeader({ audio, video })];
  if (batched) {
    const size = packets.reduce((n, p) => n + FLV_TAG_OVERHEAD + p.payload.length, 0);
    const out = Buffer.alloc(size);
    let at = 0;
    for (const p of packets) at = writeFlvTagInto(out, at, p);
    parts.push(out);
  } else {
    for (const p of packets) parts.push(...encodeFlvTag(p));
  }
  return Buffer.concat(parts);
}

const flvBytes = flvFile.map((f) => f.bytes);

const SMALL_TAG_LIMIT = 256;

function eventKey(e: FlvEvent): string {
  switch (e.kind) {
    case 'header':
      return `header ${e.hasAudio} ${e.hasVideo} ${e.dataOffset}`;
    case 'tag':
      return `tag@${e.offset} ${e.packet.type} ${e.packet.timestamp} ${e.packet.payload.toString('hex')}`;
    case 'warning':
      return `warning@${e.offset} ${e.message}`;
  }
}

/** Feeds a file in pieces, then `end()`; checks buffering after each push. */
function readFlv(data: Buffer, cuts: number[], small: boolean): { events: string[]; error: string | undefined } {
  const maxTag = small ? SMALL_TAG_LIMIT : 0xffffff;
  const reader = new FlvReader(small ? { limits: { maxFlvTagSize: SMALL_TAG_LIMIT } } : undefined);
  const events: string[] = [];
  const take = (evs: FlvEvent[]): void => {
    for (const e of evs) {
      if (e.kind === 'tag') check(e.packet.payload.length <= maxTag, 'a tag body exceeds maxFlvTagSize');
      events.push(eventKey(e));
    }
  };
  for (const piece of pieces(data, cuts)) {
    const r = guarded('FlvReader.push', () => reader.push(piece));
    if (!r.ok) {
      check(r.error instanceof FlvFormatError || r.error instanceof LimitError, `FlvReader threw ${r.error.code}`);
      return { events, error: errorKey(r.error) };
    }
    take(r.value);
    const buffered = peekPrivate<BufferList>(reader, 'list').length;
    check(buffered <= Math.max(maxTag, FLV_TAG_HEADER_SIZE), `reader buffers ${buffered} bytes (tag limit ${maxTag})`);
  }
  const r = guarded('FlvReader.end', () => reader.end());
  if (!r.ok) {
    check(r.error instanceof FlvFormatError || r.error instanceof LimitError, `FlvReader.end threw ${r.error.code}`);
    return { events, error: errorKey(r.error) };
  }
  take(r.value);
  return { events, error: undefined };
}

function flvInvariants(data: Buffer, cuts: number[], small: boolean): void {
  const whole = readFlv(data, [], small);
  const split = readFlv(data, cuts, small);
  check(split.error === whole.error, `split read ended with ${split.error}, whole read with ${whole.error}`);
  check(split.events.join('\n') === whole.events.join('\n'), 'split read produced different events than the whole read');
}

const flvLike = fc.oneof(
  bytes(200),
  fc.tuple(bytes(200), fc.constantFrom(1, 2, 5)).map(([b, v]) => Buffer.concat([Buffer.from([0x46, 0x4c, 0x56, 1, v, 0, 0, 0, 9]), b])),
);

// ---------------------------------------------------------------- codecs

const AVC_RECORDS = [
  hex('01 42c00d ff e1 0016 6742c00dda0507ec0440000003004000000f03c50aa8 01 0004 68ce0fc8'),
  hex('01 4d401f ff e1 0019 674d401feca02802dd80880000030008000003019078c18cb0 01 0004 68ef8fc8'),
  hex('01 640028 ff e1 0019 67640028acd940780227e5c04400000fa40003a9803c60c658 01 0004 68ef8fcb fdf8f800'),
];

/** The SPS NAL unit of a record built by this file's vectors (one SPS, 16-bit length at offset 6). */
function spsOf(record: Buffer): Buffer {
  return record.subarray(8, 8 + record.readUInt16BE(6));
}

const ASC_VECTORS = [
  hex('12 10 56 e5 00'),
  hex('11 88 56 e5 00'),
  hex('11 80 04 c4 01 00 20 00 0d 4c61766335392e33372e313030 56 e5 00'),
  hex('2b 92 08 00'),
  hex('eb 09 88 00'),
  hex('13 10 56 e5 98'),
];

const avcRecord = fc.oneof(bytes(64), mutated(fc.constantFrom(...AVC_RECORDS)), mutated(fc.constantFrom(...AVC_RECORDS), 12));
const spsNal = fc.oneof(
  bytes(48).map((b) => Buffer.concat([Buffer.from([0x67]), b])),
  mutated(fc.constantFrom(...AVC_RECORDS.map(spsOf))),
);
const asc = fc.oneof(bytes(24), mutated(fc.constantFrom(...ASC_VECTORS)));

const videoHeader = fc.oneof(
  bytes(24),
  fc.tuple(fc.nat({ max: 255 }), bytes(24)).map(([b0, rest]) => Buffer.concat([Buffer.from([b0 | 0x80]), rest])),
  fc.tuple(fc.integer({ min: 0, max: 7 }), fc.constantFrom(0x87, 0x97, 0xf7, 0x96, 0x86), fc.constantFrom('avc1', 'hvc1', 'av01'), bytes(8)).map(([n, b0, cc, rest]) =>
    Buffer.concat([Buffer.from([b0, n]), Buffer.alloc(n + 1), Buffer.from([0x01]), Buffer.from(cc, 'latin1'), rest]),
  ),
);
const audioHeader = fc.oneof(
  bytes(24),
  fc.tuple(fc.integer({ min: 0, max: 15 }), bytes(24)).map(([t, rest]) => Buffer.concat([Buffer.from([0x90 | t]), rest])),
  fc.tuple(fc.integer({ min: 0, max: 255 }), bytes(12)).map(([n, rest]) => Buffer.concat([Buffer.from([0x97, 0xff, n >> 8, n & 0xff]), rest])),
);

// ---------------------------------------------------------------- properties

export const mediaProperties: NamedProperty[] = [
  prop('flv.roundtrip', 300, [flvFile, splits], (file, cuts) => {
    const got = readFlv(file.bytes, cuts, false);
    check(got.error === undefined, `reader refused the writer's file: ${got.error}`);
    const want: string[] = [`header ${file.audio} ${file.video} 9`];
    let offset = 13;
    for (const p of file.packets) {
      want.push(eventKey({ kind: 'tag', offset, packet: { ...p, timestamp: p.timestamp >>> 0 } }));
      offset += FLV_TAG_OVERHEAD + p.payload.length;
    }
    check(got.events.join('\n') === want.join('\n'), 'FLV round trip differs (events, offsets, timestamps or payloads)');
  }),
  prop('flv.random-bytes', 400, [flvLike, splits, fc.boolean()], (data, cuts, small) => flvInvariants(data, cuts, small)),
  prop('flv.mutated-file', 400, [mutated(flvBytes), splits, fc.boolean()], (data, cuts, small) => flvInvariants(data, cuts, small)),
  prop('flv.declared-tag-size', 200, [fc.integer({ min: 0, max: 0xffffff }), fc.constantFrom(8, 9, 18, 7)], (size, type) => {
    // A tag larger than the limit is refused on its 11-byte header, before its body is buffered.
    const header = Buffer.alloc(11);
    header[0] = type;
    header.writeUIntBE(size, 1, 3);
    const file = Buffer.concat([encodeFlvHeader({ audio: true, video: true }), header]);
    const reader = new FlvReader({ limits: { maxFlvTagSize: SMALL_TAG_LIMIT } });
    // The header event comes first; an error found in the same push is thrown by the next call.
    const r = guarded('FlvReader.push+end', () => [...reader.push(file), ...reader.end()]);
    if (size > SMALL_TAG_LIMIT) check(!r.ok && r.error instanceof LimitError && r.error.limit === 'maxFlvTagSize', `tag of ${size} bytes was not refused`);
    else check(r.ok, `tag header of ${size} bytes was refused`);
  }),
  prop('avc.decoder-config', 600, [avcRecord], (data) => {
    const r = guarded('parseAvcDecoderConfig', () => parseAvcDecoderConfig(data));
    if (!r.ok) return check(r.error instanceof MediaFormatError, `parseAvcDecoderConfig threw ${r.error.code}`);
    const c = r.value;
    check([1, 2, 4].includes(c.nalLengthSize) && c.sps.length > 0, 'inconsistent AVC record accepted');
    check(c.spsInfo.width > 0 && c.spsInfo.height > 0, `SPS gave a ${c.spsInfo.width}x${c.spsInfo.height} picture`);
  }),
  prop('avc.sps', 600, [spsNal], (nal) => {
    const r = guarded('parseSps', () => parseSps(nal));
    if (!r.ok) return check(r.error instanceof MediaFormatError, `parseSps threw ${r.error.code}`);
    check(r.value.width > 0 && r.value.height > 0, `SPS gave a ${r.value.width}x${r.value.height} picture`);
  }),
  prop('aac.audio-specific-config', 600, [asc], (data) => {
    const r = guarded('parseAudioSpecificConfig', () => parseAudioSpecificConfig(data));
    if (!r.ok) return check(r.error instanceof MediaFormatError, `parseAudioSpecificConfig threw ${r.error.code}`);
    check(r.value.sampleRate > 0 && r.value.outputSampleRate > 0, 'AAC config with a zero sample rate');
  }),
  prop('video-tag.header', 600, [videoHeader], (payload) => {
    // Documented as never throwing: any throw, even a typed one, is a violation.
    const r = guarded('parseVideoTagHeader', () => parseVideoTagHeader(payload));
    check(r.ok, () => `parseVideoTagHeader threw ${r.ok ? '' : r.error.code}`);
    if (r.value) check(r.value.headerSize >= 1 && r.value.headerSize <= payload.length, `headerSize ${r.value.headerSize} of a ${payload.length}-byte payload`);
  }),
  prop('audio-tag.header', 600, [audioHeader], (payload) => {
    const r = guarded('parseAudioTagHeader', () => parseAudioTagHeader(payload));
    check(r.ok, () => `parseAudioTagHeader threw ${r.ok ? '' : r.error.code}`);
    if (r.value) check(r.value.headerSize >= 1 && r.value.headerSize <= payload.length, `headerSize ${r.value.headerSize} of a ${payload.length}-byte payload`);
  }),
];
