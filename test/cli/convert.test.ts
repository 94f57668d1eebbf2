/**
 * `rtmp flv convert` refusals as a user meets them: one stderr line, the
 * documented exit code (2 when the options alone rule the output out, 3 when
 * the input does), and no output file left behind. Conversions themselves
 * are checked frame by frame in test/interop/container-play.test.ts.
 */
import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { PacketType } from '../../src/media/packet.js';
import { FlvFileSink } from '../../src/pipeline/flv-file-sink.js';
import { rtmpCli, sampleFlv, tempDir } from '../helpers/peers.js';

const dir = await tempDir('convert-cli');

async function refused(args: string[], code: number, re: RegExp, output?: string): Promise<void> {
  const r = await rtmpCli(['flv', 'convert', ...args]);
  assert.equal(r.code, code, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `one stderr line:\n${r.stderr}`);
  assert.match(lines[0]!, re);
  if (output) await assert.rejects(stat(output), { code: 'ENOENT' }, `${output} is not left behind`);
}

test('options that rule the output out exit 2 before reading anything', async () => {
  await refused(['-', path.join(dir, 'a.mp4')], 2, /stdin needs --fragmented/);
});

test('a codec the container cannot hold exits 3 naming codec and container; no file is left', async () => {
  const nelly = path.join(dir, 'nellymoser.flv');
  const sink = await FlvFileSink.open(nelly);
  // SoundFormat 6 (Nellymoser), 44 kHz, 16-bit, mono, then a few bytes of a frame.
  for (let ts = 0; ts < 100; ts += 26) await sink.write({ type: PacketType.Audio, timestamp: ts, payload: Buffer.from([0x6e, 1, 2, 3, 4]) });
  await sink.close();
  const out = path.join(dir, 'nellymoser.mp4');
  await refused([nelly, out, '--fragmented'], 3, /^error: cannot write Nellymoser audio into MP4: rtmp writes H\.264, HEVC, AV1, VP9 and VP8 video and AAC, Opus, MP3, AC-3 and FLAC audio/, out);
  // WebM takes VP8/VP9/AV1 and Opus only: H.264 is refused once the stream says so.
  const webm = path.join(dir, 'a.webm');
  await refused([sampleFlv, webm], 3, /^error: cannot write H\.264\/AVC video into WebM: WebM holds only VP8, VP9 or AV1 video and Opus audio; use \.mkv/, webm);
});

test('unreadable input, no media, or an existing output exit 3', async () => {
  await refused([path.join(dir, 'missing.flv'), path.join(dir, 'm.mkv')], 3, /cannot open '.*missing\.flv': no such file or directory/, path.join(dir, 'm.mkv'));
  const empty = path.join(dir, 'empty.flv');
  await (await FlvFileSink.open(empty)).close();
  await refused([empty, path.join(dir, 'e.mp4')], 3, /holds no audio or video to convert/, path.join(dir, 'e.mp4'));
  const exists = path.join(dir, 'exists.mp4');
  await writeFile(exists, 'x');
  await refused([sampleFlv, exists], 3, /exists; use --force to overwrite/);
  const r = await rtmpCli(['flv', 'convert', '--force', '--quiet', sampleFlv, exists]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok((await stat(exists)).size > 100_000);
});
