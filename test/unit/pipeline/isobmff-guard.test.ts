/**
 * The MP4 sample-table check that runs before mediabunny expands the tables:
 * each count must fit its box, and stts/ctts must not describe more samples
 * than stsz holds (ISO/IEC 14496-12 8.6.1.2, 8.6.1.3, 8.7.3, 8.7.4, 8.7.5).
 * Files are built box by box.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ContainerError } from '../../../src/errors.js';
import { checkIsobmffTables } from '../../../src/pipeline/isobmff-guard.js';

/** A box: 32-bit size, type, payload. */
function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
}

/** A full box: version 0, flags 0, then 32-bit words. */
function fullBox(type: string, ...words: number[]): Buffer {
  const body = Buffer.alloc(4 + words.length * 4);
  words.forEach((w, i) => body.writeUInt32BE(w, 4 + i * 4));
  return box(type, body);
}

interface Tables {
  stts?: number[];
  ctts?: number[];
  stsz?: number[];
  stco?: number[];
  stsc?: number[];
}

/** ftyp, a moov with one track of three samples, and an mdat of 300 bytes. */
function mp4(t: Tables = {}): Buffer {
  const stbl = box(
    'stbl',
    fullBox('stts', ...(t.stts ?? [1, 3, 512])),
    fullBox('ctts', ...(t.ctts ?? [1, 3, 0])),
    fullBox('stsz', ...(t.stsz ?? [0, 3, 100, 100, 100])),
    fullBox('stsc', ...(t.stsc ?? [1, 1, 3, 1])),
    fullBox('stco', ...(t.stco ?? [1, 64])),
  );
  const moov = box('moov', box('trak', box('mdia', box('minf', stbl))));
  return Buffer.concat([box('ftyp', Buffer.from('isom\0\0\0\0isom', 'latin1')), moov, box('mdat', Buffer.alloc(300))]);
}

async function check(bytes: Buffer): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'isobmff-guard-'));
  try {
    const file = path.join(dir, 'x.mp4');
    await writeFile(file, bytes);
    await checkIsobmffTables(file, bytes.length);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const rejects = (bytes: Buffer, message: RegExp): Promise<void> =>
  assert.rejects(check(bytes), (e: unknown) => e instanceof ContainerError && e.code === 'RTMP_ERR_CONTAINER' && message.test(e.message), message.source);

test('consistent tables pass, as do files that are not plain ISO BMFF', async () => {
  await check(mp4());
  await check(mp4({ stsz: [100, 3] })); // constant sample size
  await check(Buffer.from('FLV\x01\x05\0\0\0\x09', 'latin1'));
  await check(Buffer.alloc(0));
  // A last box with size 0 runs to the end of the file.
  const whole = mp4();
  const zeroSized = Buffer.from(whole);
  zeroSized.writeUInt32BE(0, whole.length - 308);
  await check(zeroSized);
});

test('stts or ctts describing more samples than stsz holds (a corrupt count) is refused with the box and its offset', async () => {
  await rejects(mp4({ stts: [1, 0x7f000003, 512] }), /corrupt MP4 index: stts at byte offset \d+ describes 2130706435 samples, stsz holds 3$/);
  await rejects(mp4({ ctts: [2, 3, 0, 0xc9000000, 0] }), /ctts at byte offset \d+ describes 3372220419 samples, stsz holds 3$/);
});

test('stsc runs that hold more samples than stsz, or go backwards, are refused', async () => {
  await check(mp4({ stsc: [2, 1, 2, 1, 2, 1, 1], stco: [2, 64, 264] })); // 2 samples in chunk 1, then 1 per chunk
  await rejects(mp4({ stsc: [1, 1, 0x6d000001, 1] }), /stsc at byte offset \d+ entry 0 \(first chunk 1, 1828716545 samples per chunk\) does not fit 3 samples/);
  await rejects(mp4({ stsc: [2, 5, 1, 1, 3, 1, 1] }), /stsc at byte offset \d+ entry 1 \(first chunk 3/);
  await rejects(mp4({ stsc: [2, 1, 3, 1, 3, 1, 1] }), /places 6 samples before entry 1, stsz holds 3/);
});

test('entry counts larger than their box, and constant sizes larger than the file, are refused', async () => {
  await rejects(mp4({ stts: [1000, 3, 512] }), /stts at byte offset \d+ declares 1000 entries, more than its \d+ bytes hold/);
  await rejects(mp4({ stsz: [0, 1000, 100, 100, 100] }), /stsz at byte offset \d+ lists 1000 sample sizes/);
  await rejects(mp4({ stsz: [1_000_000, 3] }), /stsz at byte offset \d+ declares 3 samples of 1000000 bytes, more than the file holds/);
  await rejects(mp4({ stco: [0xffffffff, 64] }), /stco at byte offset \d+ declares 4294967295 entries/);
});

test('boxes running past their parent or the file are refused', async () => {
  const bad = mp4();
  const moovAt = bad.indexOf('moov', 0, 'latin1') - 4;
  const trakAt = bad.indexOf('trak', 0, 'latin1') - 4;
  const pastParent = Buffer.from(bad);
  pastParent.writeUInt32BE(pastParent.readUInt32BE(trakAt) + 100, trakAt);
  await rejects(pastParent, /a trak at byte offset \d+ runs past its parent/);
  const pastEnd = Buffer.from(bad);
  pastEnd.writeUInt32BE(0x7fffffff, moovAt);
  await rejects(pastEnd, new RegExp(`the moov box at byte offset ${moovAt} runs past the end of the file`));
});
