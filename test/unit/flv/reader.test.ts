import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FlvFormatError, LimitError } from '../../../src/errors.js';
import { FlvReader, type FlvEvent, type FlvReaderOptions } from '../../../src/flv/reader.js';
import { hex } from '../../helpers/hex.js';
import { everyFeeder, feedByteByByte, feedRandomSplits, feedWhole, type Feeder } from '../../helpers/split-feed.js';

const SAMPLE = fileURLToPath(new URL('../../../../test/fixtures/sample.flv', import.meta.url));

const HEADER = hex('464c56 // "FLV"', '01 // version', '05 // audio + video', '00000009 // DataOffset');
const TAG_SIZE_0 = hex('00000000 // PreviousTagSize0');
const SCRIPT_TAG = hex(
  '12 000005 000000 00 000000 // script data, 5 bytes, t=0',
  '02 0002 6869               // AMF0 string "hi"',
  '00000010                   // PreviousTagSize 16',
);
const AUDIO_TAG = hex(
  '08 000002 000017 00 000000 // audio, 2 bytes, t=23',
  'af 01                      // AAC raw',
  '0000000d                   // PreviousTagSize 13',
);
const VIDEO_TAG = hex(
  '09 000005 000028 00 000000 // video, 5 bytes, t=40',
  '27 01 ffffd8               // AVC inter frame, NALU, composition time -40',
  '00000010                   // PreviousTagSize 16',
);
const FILE = Buffer.concat([HEADER, TAG_SIZE_0, SCRIPT_TAG, AUDIO_TAG, VIDEO_TAG]);

/** Events and a final error in a comparable form. */
type Outcome = Array<Record<string, unknown>>;

function normalize(ev: FlvEvent): Record<string, unknown> {
  if (ev.kind !== 'tag') return { ...ev };
  const { type, timestamp, payload } = ev.packet;
  return { kind: 'tag', type, timestamp, payload: payload.toString('hex'), offset: ev.offset };
}

function describeError(err: unknown): Record<string, unknown> {
  assert.ok(err instanceof Error);
  return { error: err.name, message: err.message, offset: (err as { offset?: number }).offset };
}

function run(data: Buffer, feed: Feeder, opts?: FlvReaderOptions): Outcome {
  const reader = new FlvReader(opts);
  let failed = false;
  const target = {
    push(b: Buffer): Outcome {
      if (failed) return [];
      try {
        return reader.push(b).map(normalize);
      } catch (err) {
        failed = true;
        return [describeError(err)];
      }
    },
  };
  const out = feed(target, data);
  if (!failed) {
    try {
      out.push(...reader.end().map(normalize));
      assert.equal(reader.offset, data.length, 'every byte is consumed at the end');
    } catch (err) {
      out.push(describeError(err));
    }
  }
  return out;
}

/** Runs `data` through every feeding strategy, asserts they agree, and returns the outcome. */
function outcome(data: Buffer, opts?: FlvReaderOptions): Outcome {
  const expected = run(data, feedWhole, opts);
  for (const { name, feed } of everyFeeder(data.length)) assert.deepEqual(run(data, feed, opts), expected, name);
  return expected;
}

test('reads header and tags identically whole, byte by byte and split at every offset', () => {
  assert.deepEqual(outcome(FILE), [
    { kind: 'header', hasAudio: true, hasVideo: true, dataOffset: 9 },
    { kind: 'tag', type: 18, timestamp: 0, payload: '0200026869', offset: 13 },
    { kind: 'tag', type: 8, timestamp: 23, payload: 'af01', offset: 33 },
    { kind: 'tag', type: 9, timestamp: 40, payload: '2701ffffd8', offset: 50 },
  ]);
});

test('payloads are views of the pushed chunk when they arrive in one read', () => {
  const reader = new FlvReader();
  const events = reader.push(FILE);
  const tag = events.find((e) => e.kind === 'tag');
  assert.ok(tag?.kind === 'tag');
  assert.equal(tag.packet.payload.buffer, FILE.buffer);
  assert.equal(reader.offset, FILE.length);
});

test('a file that ends right after the header has zero tags', () => {
  const header = { kind: 'header', hasAudio: true, hasVideo: true, dataOffset: 9 };
  assert.deepEqual(outcome(HEADER), [header]);
  assert.deepEqual(outcome(Buffer.concat([HEADER, TAG_SIZE_0])), [header]);
});

test('a missing final PreviousTagSize is accepted silently, a partial one is a warning', () => {
  const noTrailer = Buffer.concat([HEADER, TAG_SIZE_0, AUDIO_TAG.subarray(0, AUDIO_TAG.length - 4)]);
  assert.deepEqual(outcome(noTrailer).map((e) => e['kind']), ['header', 'tag']);
  const partial = Buffer.concat([noTrailer, hex('0000')]);
  const out = outcome(partial);
  assert.deepEqual(out.map((e) => e['kind']), ['header', 'tag', 'warning']);
  assert.match(String(out[2]?.['message']), /truncated PreviousTagSize: 2 of 4 bytes/);
});

test('input that is not FLV fails at offset 0, as soon as the first byte is wrong', () => {
  const out = outcome(Buffer.from('<!DOCTYPE html><html></html>'));
  assert.equal(out.length, 1);
  assert.equal(out[0]?.['error'], 'FlvFormatError');
  assert.equal(out[0]?.['offset'], 0);
  assert.match(String(out[0]?.['message']), /not an FLV file/);
  assert.throws(() => new FlvReader().push(hex('00')), FlvFormatError);
  assert.throws(() => new FlvReader().end(), /empty/);
});

test('a bad version or DataOffset is an error; extra header bytes are skipped with a warning', () => {
  assert.match(String(outcome(hex('464c56 03 // version 3', '05 00000009 00000000'))[0]?.['message']), /unsupported FLV version 3/);
  assert.match(String(outcome(hex('464c56 01 05 00000005 // DataOffset 5'))[0]?.['message']), /DataOffset 5/);
  const extended = Buffer.concat([hex('464c56 01 04 0000000c // DataOffset 12', 'aabbcc // 3 unknown header bytes'), TAG_SIZE_0, AUDIO_TAG]);
  const out = outcome(extended);
  assert.deepEqual(out[0], { kind: 'header', hasAudio: true, hasVideo: false, dataOffset: 12 });
  assert.equal(out[1]?.['kind'], 'warning');
  assert.deepEqual(out[2], { kind: 'tag', type: 8, timestamp: 23, payload: 'af01', offset: 16 });
  const cutInHeader = outcome(hex('464c56 01 04 00000010 // DataOffset 16', 'aabb // only 2 of 7 extra bytes'));
  assert.match(String(cutInHeader.at(-1)?.['message']), /input ended inside the 16-byte FLV header: 5 bytes missing/);
});

test('a truncated header at end of input is an error', () => {
  const out = outcome(hex('464c56 01 05 0000 // 7 of 9 header bytes'));
  assert.match(String(out[0]?.['message']), /ended after 7 bytes/);
});

test('a nonzero PreviousTagSize0 and a PreviousTagSize mismatch are warnings and reading continues', () => {
  const badSize0 = Buffer.concat([HEADER, hex('00000007 // PreviousTagSize0 should be 0'), AUDIO_TAG]);
  const out0 = outcome(badSize0);
  assert.deepEqual(out0[1], { kind: 'warning', message: 'PreviousTagSize0 is 7, expected 0', offset: 9 });
  assert.equal(out0[2]?.['kind'], 'tag');

  const wrong = Buffer.from(AUDIO_TAG);
  wrong.writeUInt32BE(99, AUDIO_TAG.length - 4);
  const out = outcome(Buffer.concat([HEADER, TAG_SIZE_0, wrong, VIDEO_TAG]));
  assert.deepEqual(out.map((e) => e['kind']), ['header', 'tag', 'warning', 'tag']);
  assert.deepEqual(out[2], { kind: 'warning', message: 'PreviousTagSize is 99, expected 13 for the tag at offset 13', offset: 26 });
});

test('an unknown tag type is skipped with a warning', () => {
  const unknown = hex('0f 000003 000000 00 000000 // TagType 15 (reserved), 3 bytes', '010203', '0000000e // PreviousTagSize 14');
  const out = outcome(Buffer.concat([HEADER, TAG_SIZE_0, unknown, AUDIO_TAG]));
  assert.deepEqual(out[1], { kind: 'warning', message: 'unknown tag type 15 at offset 13 (3 bytes); skipped', offset: 13 });
  assert.deepEqual(out[2], { kind: 'tag', type: 8, timestamp: 23, payload: 'af01', offset: 31 });
  assert.equal(out.length, 3);
});

test('a tag larger than maxFlvTagSize is a LimitError after the tags before it', () => {
  const opts = { limits: { maxFlvTagSize: 4 } };
  const out = outcome(Buffer.concat([HEADER, TAG_SIZE_0, AUDIO_TAG, VIDEO_TAG]), opts);
  assert.deepEqual(out.map((e) => e['kind'] ?? e['error']), ['header', 'tag', 'LimitError']);
  assert.match(String(out[2]?.['message']), /FLV tag body at offset 30: 5 exceeds the limit maxFlvTagSize=4/);
  // The header event found in the same push is delivered first; the error follows on the next call and sticks.
  const reader = new FlvReader(opts);
  assert.deepEqual(reader.push(Buffer.concat([HEADER, TAG_SIZE_0, VIDEO_TAG])).map((e) => e.kind), ['header']);
  assert.throws(() => reader.end(), LimitError);
  assert.throws(() => reader.push(AUDIO_TAG), LimitError);
  const fresh = new FlvReader(opts);
  fresh.push(HEADER);
  assert.throws(() => fresh.push(Buffer.concat([TAG_SIZE_0, VIDEO_TAG])), LimitError, 'thrown at once when nothing came before it');
});

test('a filtered (encrypted) tag is an error', () => {
  const filtered = hex('28 000002 000000 00 000000 // filter bit + audio', 'af01 0000000d');
  const out = outcome(Buffer.concat([HEADER, TAG_SIZE_0, filtered]));
  assert.deepEqual(out[1], {
    error: 'FlvFormatError',
    message: 'encrypted/filtered tags are not supported at byte offset 13',
    offset: 13,
  });
});

test('a truncated last tag is a warning, never an exception', () => {
  const cut = Buffer.concat([HEADER, TAG_SIZE_0, AUDIO_TAG, VIDEO_TAG.subarray(0, 14)]);
  const out = outcome(cut);
  assert.deepEqual(out.at(-1), {
    kind: 'warning',
    message: 'truncated tag at offset 30: expected 16 bytes, got 14; treated as end of input',
    offset: 30,
  });
  const cutHeader = outcome(Buffer.concat([HEADER, TAG_SIZE_0, VIDEO_TAG.subarray(0, 6)]));
  assert.match(String(cutHeader.at(-1)?.['message']), /truncated tag header at offset 13: expected 11 bytes, got 6/);
});

test('push after end is a usage error', () => {
  const reader = new FlvReader();
  reader.push(HEADER);
  reader.end();
  assert.deepEqual(reader.end(), []);
  assert.throws(() => reader.push(AUDIO_TAG), /after end/);
});

test('the sample fixture reads cleanly in any chunking', () => {
  const data = readFileSync(SAMPLE);
  const whole = run(data, feedWhole);
  assert.deepEqual(whole[0], { kind: 'header', hasAudio: true, hasVideo: true, dataOffset: 9 });
  const tags = whole.filter((e) => e['kind'] === 'tag');
  assert.equal(whole.filter((e) => e['kind'] === 'warning').length, 0);
  assert.equal(tags.length, 1 + 3 + 125 + 217, 'onMetaData, AVC/AAC sequence headers, AVC end of sequence, 125 video and 217 audio frames');
  assert.equal(tags[0]?.['type'], 18);
  assert.equal(tags.filter((e) => e['type'] === 9).length, 127);
  assert.equal(tags.filter((e) => e['type'] === 8).length, 218);
  assert.deepEqual(run(data, feedByteByByte), whole);
  assert.deepEqual(run(data, feedRandomSplits(7)), whole);
});
