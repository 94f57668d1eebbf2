import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ffmpegPlayOutput, parseGop, parseSize, publishOperands } from '../../../src/cli/ffmpeg-options.js';
import { Reporter } from '../../../src/cli/ui.js';
import { UsageError } from '../../../src/errors.js';

test('--size, --gop and the publish operands are validated up front', () => {
  assert.deepEqual(parseSize('1280x720'), { width: 1280, height: 720 });
  for (const bad of ['1280', '1281x720', '0x0', '99999x2', 'axb']) assert.throws(() => parseSize(bad), UsageError, bad);
  assert.deepEqual(parseGop('2s'), { seconds: 2 });
  assert.deepEqual(parseGop('500ms'), { seconds: 0.5 });
  assert.deepEqual(parseGop('48'), { frames: 48 });
  assert.throws(() => parseGop('0'), UsageError);
  assert.deepEqual(publishOperands('rtmp://h/a/s', undefined, { testPattern: true }), ['test pattern', 'rtmp://h/a/s']);
  assert.deepEqual(publishOperands('in.flv', 'rtmp://h/a/s', {}), ['in.flv', 'rtmp://h/a/s']);
  assert.throws(() => publishOperands('in.flv', 'rtmp://h/a/s', { testPattern: true }), /no input with --test-pattern/);
  assert.throws(() => publishOperands('rtmp://h/a/s', undefined, {}), /usage: rtmp publish <input> <url>/);
  assert.throws(() => publishOperands('rtmp://h/a/s', undefined, { testPattern: true, transcode: true }), UsageError);
});

test('play takes exactly one of -o and --ffmpeg-output, and --ffmpeg-output needs arguments', async () => {
  const rep = new Reporter({ quiet: true });
  assert.equal(await ffmpegPlayOutput({ output: '-' }, rep), undefined);
  assert.equal(typeof (await ffmpegPlayOutput({ ffmpegOutput: '-c copy out.ts' }, rep)), 'function');
  await assert.rejects(ffmpegPlayOutput({}, rep), /needs -o/);
  await assert.rejects(ffmpegPlayOutput({ output: 'x.flv', ffmpegOutput: '-f null -' }, rep), /cannot be used together/);
  await assert.rejects(ffmpegPlayOutput({ ffmpegOutput: '  ' }, rep), /needs ffmpeg output arguments/);
  await assert.rejects(ffmpegPlayOutput({ ffmpegOutput: "-c copy 'out.ts" }, rep), /--ffmpeg-output: unclosed ' quote/);
});
