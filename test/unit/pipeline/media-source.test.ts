/**
 * Choosing the reader for an input: content first, the extension as a hint.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { detectMediaKind, sniffMediaKind } from '../../../src/pipeline/media-source.js';
import { hex } from '../../helpers/hex.js';

const FLV = hex('464c56 01 05 00000009 // "FLV", version 1, audio+video, header size 9');
const MP4 = hex('00000020 66747970 69736f6d // size 32, "ftyp", brand "isom"');
const MOV_OLD = hex('00000008 77696465 // size 8, "wide" (QuickTime without ftyp)');
const MKV = hex('1a45dfa3 9f 4286 81 01 // EBML header');

test('sniffMediaKind: FLV, ISO BMFF and EBML signatures; anything else is unknown', () => {
  assert.equal(sniffMediaKind(FLV), 'flv');
  assert.equal(sniffMediaKind(MP4), 'container');
  assert.equal(sniffMediaKind(MOV_OLD), 'container');
  assert.equal(sniffMediaKind(MKV), 'container');
  assert.equal(sniffMediaKind(hex('')), undefined);
  assert.equal(sniffMediaKind(hex('474000 // MPEG-TS sync byte')), undefined);
  assert.equal(sniffMediaKind(hex('00000020 66747970').subarray(0, 7)), undefined, 'too short to tell');
});

test('detectMediaKind: content wins over the extension; unknown content goes by extension, else FLV; stdin is FLV', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'media-source-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = async (name: string, bytes: Buffer): Promise<string> => {
    const p = path.join(dir, name);
    await writeFile(p, bytes);
    return p;
  };
  assert.equal(await detectMediaKind(await file('really-flv.mp4', FLV)), 'flv');
  assert.equal(await detectMediaKind(await file('really-mp4.flv', MP4)), 'container');
  assert.equal(await detectMediaKind(await file('garbage.MKV', Buffer.from('hello world!'))), 'container');
  assert.equal(await detectMediaKind(await file('garbage.bin', Buffer.from('hello world!'))), 'flv');
  assert.equal(await detectMediaKind(await file('stream.ts', hex('47 4000 10 // MPEG-TS packet header'))), 'container', 'so the refusal can name MPEG-TS');
  assert.equal(await detectMediaKind(await file('empty.webm', Buffer.alloc(0))), 'container');
  assert.equal(await detectMediaKind(path.join(dir, 'missing.mp4')), 'flv', 'the FLV reader reports the missing file');
  assert.equal(await detectMediaKind('-'), 'flv');
  assert.equal(await detectMediaKind(dir), 'flv', 'a directory: the FLV reader says so');
});
