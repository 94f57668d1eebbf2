/**
 * `rtmp flv check` and `rtmp flv fix` as a user runs them: exit codes, the
 * one stderr line with its byte offset, JSON on stdout, in-place repair that
 * ffprobe then reads packet for packet, rewriting with -o, and refusals.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { probePackets, requirePeer, rtmpCli, sampleFlv, tempDir, type ProbedPacket } from '../helpers/peers.js';
import { assertOneErrorLine } from '../helpers/assert-cli.js';

/** The sample's onMetaData tag: header at 13, 11 + body + 4 bytes. */
async function sample(): Promise<{ bytes: Buffer; metaEnd: number }> {
  const bytes = await readFile(sampleFlv);
  return { bytes, metaEnd: 13 + 11 + bytes.readUIntBE(14, 3) + 4 };
}

/** ffprobe's packets of `fixed` are the source's first packets of each track, hash for hash. */
function assertPrefixOf(fixed: ProbedPacket[], source: ProbedPacket[]): void {
  for (const kind of ['video', 'audio'] as const) {
    const a = fixed.filter((p) => p.codecType === kind);
    const b = source.filter((p) => p.codecType === kind).slice(0, a.length);
    assert.ok(a.length > 0, `some ${kind}`);
    assert.deepEqual(a.map((p) => [p.dts, p.hash]), b.map((p) => [p.dts, p.hash]), kind);
  }
}

test('flv check: a whole file exits 0 with a readable report; --json is one document', async () => {
  const r = await rtmpCli(['flv', 'check', sampleFlv]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /: ok\n/);
  assert.match(r.stdout.toString(), /127 video, 218 audio, 1 script data/);
  assert.equal(r.stderr, '');
  const j = await rtmpCli(['flv', 'check', '--json', sampleFlv]);
  assert.equal(j.code, 0, j.stderr);
  const doc = JSON.parse(j.stdout.toString()) as { schema: string; state: string; tags: { video: number } };
  assert.equal(doc.schema, 'rtmp-toolkit/flv-check@1');
  assert.equal(doc.state, 'ok');
  assert.equal(doc.tags.video, 127);
});

test('flv check on a cut file exits 11 naming the partial tag and its offset; fix in place makes it ok', async (t) => {
  const dir = await tempDir('flv-cli');
  const file = path.join(dir, 'cut.flv');
  const { bytes } = await sample();
  await writeFile(file, bytes.subarray(0, 100_000));
  const r = await rtmpCli(['flv', 'check', file]);
  assert.equal(r.code, 11, r.stderr);
  assertOneErrorLine(r.stderr, /is repairable: partial audio tag \(52 of 176 body bytes\) at byte offset 99933.*rtmp flv fix/);
  assert.match(r.stdout.toString(), /repairable/);

  const j = await rtmpCli(['flv', 'check', '--json', file]);
  assert.equal(j.code, 11);
  const doc = JSON.parse(j.stdout.toString()) as { state: string; tail: { lastTagEnd: number; partial: { bytes: number } } };
  assert.equal(doc.state, 'repairable');
  assert.deepEqual([doc.tail.lastTagEnd, doc.tail.partial.bytes], [99_933, 67]);

  const fix = await rtmpCli(['flv', 'fix', file]);
  assert.equal(fix.code, 0, fix.stderr);
  assert.match(fix.stderr, /repaired .*cut a .* partial tail at byte offset 99933/);
  const fixed = await readFile(file);
  assert.equal(fixed.length, 99_937);
  // Only the tail and the two metadata doubles changed.
  assert.deepEqual(fixed.subarray(13 + 11 + 268 + 4), bytes.subarray(13 + 11 + 268 + 4, 99_937));
  const again = await rtmpCli(['flv', 'check', '--json', file]);
  assert.equal(again.code, 0, again.stderr);
  const after = JSON.parse(again.stdout.toString()) as { metadata: { duration: number; filesize: number }; durationMs: number };
  assert.equal(after.metadata.filesize, 99_937);
  assert.equal(after.metadata.duration, after.durationMs / 1000);
  const noop = await rtmpCli(['flv', 'fix', file]);
  assert.equal(noop.code, 0);
  assert.match(noop.stderr, /nothing to repair/);

  if (!requirePeer(t, 'ffprobe')) return;
  assertPrefixOf(await probePackets(file), await probePackets(sampleFlv));
});

test('flv fix on a file cut inside or before its last PreviousTagSize writes it back: byte for byte the original', async () => {
  const dir = await tempDir('flv-cli');
  const { bytes } = await sample();
  for (const missing of [2, 4]) {
    const file = path.join(dir, `pts-${missing}.flv`);
    await writeFile(file, bytes.subarray(0, bytes.length - missing));
    const r = await rtmpCli(['flv', 'check', file]);
    assert.equal(r.code, 11);
    assertOneErrorLine(r.stderr, new RegExp(`(partial|missing) PreviousTagSize.* at byte offset ${bytes.length - 4}`));
    const fix = await rtmpCli(['flv', 'fix', file]);
    assert.equal(fix.code, 0, fix.stderr);
    assert.match(fix.stderr, /wrote the last PreviousTagSize/);
    assert.deepEqual(await readFile(file), bytes, `${missing} bytes missing`);
  }
});

test('flv check/fix on garbage mid-file: damaged at its offset, exit 11, file untouched', async () => {
  const dir = await tempDir('flv-cli');
  const file = path.join(dir, 'garbage.flv');
  const { bytes } = await sample();
  const at = 13 + 11 + 268 + 4; // the first media tag
  const bad = Buffer.concat([bytes.subarray(0, at), Buffer.alloc(40, 0xab), bytes.subarray(at)]);
  await writeFile(file, bad);
  const r = await rtmpCli(['flv', 'check', file]);
  assert.equal(r.code, 11);
  assertOneErrorLine(r.stderr, new RegExp(`is damaged: not a tag header .* at byte offset ${at}`));
  const fix = await rtmpCli(['flv', 'fix', file]);
  assert.equal(fix.code, 11);
  assertOneErrorLine(fix.stderr, new RegExp(`damaged: .*byte offset ${at}; not modified`));
  assert.deepEqual(await readFile(file), bad);
});

test('flv fix without onMetaData needs -o; -o writes a repaired copy, refusing to overwrite without --force', async () => {
  const dir = await tempDir('flv-cli');
  const file = path.join(dir, 'nometa.flv');
  const out = path.join(dir, 'out.flv');
  const { bytes, metaEnd } = await sample();
  const noMeta = Buffer.concat([bytes.subarray(0, 13), bytes.subarray(metaEnd, 120_000)]);
  await writeFile(file, noMeta);
  const check = await rtmpCli(['flv', 'check', file]);
  assert.equal(check.code, 11);
  assertOneErrorLine(check.stderr, /is repairable: partial .* at byte offset \d+/);

  const inPlace = await rtmpCli(['flv', 'fix', file]);
  assert.equal(inPlace.code, 11);
  assertOneErrorLine(inPlace.stderr, /has no onMetaData tag; use -o/);
  assert.deepEqual(await readFile(file), noMeta, 'not modified');

  const copy = await rtmpCli(['flv', 'fix', file, '-o', out]);
  assert.equal(copy.code, 0, copy.stderr);
  const ok = await rtmpCli(['flv', 'check', out]);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout.toString());

  const exists = await rtmpCli(['flv', 'fix', file, '-o', out]);
  assert.equal(exists.code, 3);
  assertOneErrorLine(exists.stderr, /exists; use --force/);
  const forced = await rtmpCli(['flv', 'fix', file, '-o', out, '--force']);
  assert.equal(forced.code, 0, forced.stderr);
});

test('flv check on something that is not FLV, or missing, is an input error (3)', async () => {
  const dir = await tempDir('flv-cli');
  const file = path.join(dir, 'x.txt');
  await writeFile(file, 'hello world');
  const r = await rtmpCli(['flv', 'check', file]);
  assert.equal(r.code, 3);
  assertOneErrorLine(r.stderr, /not an FLV file/);
  const missing = await rtmpCli(['flv', 'check', path.join(dir, 'nope.flv')]);
  assert.equal(missing.code, 3);
  assertOneErrorLine(missing.stderr, /no such file/);
});
