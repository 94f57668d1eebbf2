import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { h264AacArgs, inputArgs, outputArgs, splitArgs, StderrTail, testPatternArgs } from '../../../src/pipeline/ffmpeg-args.js';
import { quoteStderr } from '../../../src/pipeline/ffmpeg.js';
import { UsageError } from '../../../src/errors.js';

/** Each text with the words a POSIX shell makes of it (no expansions involved). */
const SPLITS: Array<[string, string[]]> = [
  ['', []],
  ['   ', []],
  ['-f lavfi', ['-f', 'lavfi']],
  ['  -f\tv4l2 \n -framerate 30  ', ['-f', 'v4l2', '-framerate', '30']],
  ["-metadata 'title=My Show'", ['-metadata', 'title=My Show']],
  ['-metadata "title=My Show"', ['-metadata', 'title=My Show']],
  ['-metadata title="My Show"', ['-metadata', 'title=My Show']],
  ["a'b c'd", ['ab cd']],
  ["''", ['']],
  ['"" x', ['', 'x']],
  ["'it''s'", ['its']],
  ['"it\'s"', ["it's"]],
  ["'a\\b'", ['a\\b']],
  ['"a\\b"', ['a\\b']],
  ['"a\\"b"', ['a"b']],
  ['"a\\\\b"', ['a\\b']],
  ['a\\ b', ['a b']],
  ['a\\\'b', ["a'b"]],
  ['-vf "scale=640:-2,fps=30"', ['-vf', 'scale=640:-2,fps=30']],
  ["-i 'sine=frequency=440:sample_rate=48000'", ['-i', 'sine=frequency=440:sample_rate=48000']],
  ['x\\\ny', ['xy']],
];

test('splitArgs splits words like a shell: blanks, single and double quotes, backslashes', () => {
  for (const [text, want] of SPLITS) assert.deepEqual(splitArgs(text, '--ffmpeg-args'), want, JSON.stringify(text));
});

test('splitArgs agrees with /bin/sh on the table (but for newlines, which end a shell command and are blanks to us)', (t) => {
  if (spawnSync('sh', ['-c', 'true']).status !== 0) return t.skip('no /bin/sh');
  for (const [text] of SPLITS.filter(([x]) => !x.includes('\n'))) {
    // The shell is only the oracle here; the product never runs one.
    const out = spawnSync('sh', ['-c', `printf '%s\\0' ${text}`], { encoding: 'utf8' });
    const words = text.trim() === '' ? [] : out.stdout.split('\0').slice(0, -1);
    assert.deepEqual(splitArgs(text, 'x'), words, JSON.stringify(text));
  }
});

test('splitArgs rejects an unclosed quote or a trailing backslash with a UsageError naming the option', () => {
  for (const text of ["-f 'lavfi", '-f "lavfi', 'abc\\', `"a\\"`]) {
    assert.throws(() => splitArgs(text, '--ffmpeg-args'), (e: unknown) => e instanceof UsageError && e.message.startsWith('--ffmpeg-args: '), text);
  }
});

test('splitArgs keeps $, backquotes, globs and ~ literally (no expansion without a shell)', () => {
  assert.deepEqual(splitArgs('$HOME `id` *.flv ~ "$x"', 'o'), ['$HOME', '`id`', '*.flv', '~', '$x']);
});

test('StderrTail keeps only the end, drops the partial first line, and lists the last non-blank lines', () => {
  const tail = new StderrTail(64);
  for (let i = 0; i < 1000; i++) tail.push(`line ${i}\n`);
  assert.ok(tail.toString().length <= 64);
  assert.match(tail.toString(), /^line \d+\n/, 'starts on a whole line');
  assert.deepEqual(tail.lines(2), ['line 998', 'line 999']);
  tail.push('frame=  10 fps=0.0\rframe=  20 fps=0.0\r\n\n   \nError: boom\n');
  assert.deepEqual(tail.lines(3), ['frame=  10 fps=0.0', 'frame=  20 fps=0.0', 'Error: boom']);
  assert.deepEqual(tail.lines(0), []);
});

test('StderrTail: a line longer than the limit keeps its end; chunks may split lines and characters', () => {
  const tail = new StderrTail(10);
  tail.push('x'.repeat(100));
  assert.equal(tail.toString(), 'x'.repeat(10));
  const t2 = new StderrTail(100);
  t2.push('first par');
  t2.push('t\nsecond');
  t2.push(Buffer.from(' é\n'));
  assert.deepEqual(t2.lines(5), ['first part', 'second é']);
});

test('quoteStderr: ffmpeg context addresses shortened, lines joined, long text capped at its end', () => {
  assert.equal(quoteStderr(['[flv @ 0x559003917f40] Codec mpeg4 is not supported', 'Invalid argument']), '[flv] Codec mpeg4 is not supported | Invalid argument');
  const long = quoteStderr(['a'.repeat(2000), 'the end']);
  assert.ok(long.length <= 601 && long.endsWith(' | the end'));
});

const ENC = { preset: 'veryfast', gop: { seconds: 2 }, videoBitrate: '2500k', audioBitrate: '128k' } as const;

/** The value following `flag` in args. */
function valueOf(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

test('h264AacArgs: libx264 yuv420p, a fixed GOP in frames when the rate is known, else forced keyframes by time', () => {
  const withFps = h264AacArgs({ ...ENC, fps: 30 });
  assert.equal(valueOf(withFps, '-c:v'), 'libx264');
  assert.equal(valueOf(withFps, '-pix_fmt'), 'yuv420p');
  assert.equal(valueOf(withFps, '-g'), '60');
  assert.equal(valueOf(withFps, '-keyint_min'), '60');
  assert.equal(valueOf(withFps, '-bufsize'), '5000k');
  assert.equal(valueOf(withFps, '-c:a'), 'aac');
  const noFps = h264AacArgs(ENC);
  assert.equal(valueOf(noFps, '-g'), undefined);
  assert.equal(valueOf(noFps, '-force_key_frames'), 'expr:gte(t,n_forced*2)');
  assert.equal(valueOf(h264AacArgs({ ...ENC, gop: { frames: 25 } }), '-g'), '25');
  assert.equal(valueOf(h264AacArgs({ ...ENC, videoBitrate: '3M' }), '-bufsize'), '6M');
});

test('testPatternArgs: two lavfi inputs, drawtext only with a font, duration, FLV on stdout', () => {
  const base = { ...ENC, size: { width: 640, height: 360 }, fps: 25, sampleRate: 48000, zeroLatency: true };
  const plain = testPatternArgs(base);
  assert.equal(plain.filter((a) => a === 'lavfi').length, 2);
  assert.equal(valueOf(plain, '-i'), 'testsrc2=size=640x360:rate=25');
  assert.equal(valueOf(plain, '-tune'), 'zerolatency');
  assert.equal(valueOf(plain, '-t'), undefined);
  assert.deepEqual(plain.slice(-3), ['-f', 'flv', 'pipe:1']);
  const timed = testPatternArgs({ ...base, fontFile: '/fonts/Mono.ttf', durationMs: 2500 });
  assert.match(valueOf(timed, '-i')!, /^testsrc2=size=640x360:rate=25,drawtext=fontfile=\/fonts\/Mono\.ttf:.*text='%\{pts\\:hms\}/);
  assert.equal(valueOf(timed, '-t'), '2.5');
});

test('inputArgs: input options before -i, codec copy unless encoding; outputArgs reads FLV on stdin', () => {
  const copy = inputArgs({ inputArgs: ['-f', 'v4l2'], input: '/dev/video0', durationMs: 1000 });
  assert.deepEqual(copy.slice(copy.indexOf('-f'), copy.indexOf('-i') + 2), ['-f', 'v4l2', '-i', '/dev/video0']);
  assert.equal(valueOf(copy, '-c'), 'copy');
  assert.equal(valueOf(copy, '-t'), '1');
  assert.equal(valueOf(inputArgs({ inputArgs: [], input: '-' }), '-i'), 'pipe:0');
  assert.equal(valueOf(inputArgs({ inputArgs: [], input: 'x.avi', encode: ENC }), '-c:v'), 'libx264');
  const out = outputArgs(['-c', 'copy', 'out.ts']);
  assert.deepEqual(out.slice(-7), ['-f', 'flv', '-i', 'pipe:0', '-c', 'copy', 'out.ts']);
  assert.ok(out.includes('-nostdin'));
});
