import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/errors.js';
import { PacketType, type MediaPacket } from '../../../src/media/packet.js';
import { ProbeAnalyzer } from '../../../src/pipeline/probe-analyzer.js';
import { evaluateExpectations, parseExpectation, parseExpectations } from '../../../src/pipeline/probe-checks.js';
import { finishMedia, newReport, type ProbeReport } from '../../../src/pipeline/probe-report.js';
import { synthStream, type StreamSpec } from './probe-stream.js';

/** A play report for a synthetic 1280x720 H.264 + AAC 44.1 kHz stereo stream. */
function report(spec: Partial<StreamSpec> = {}, startupMs: number | null = 800, keep: (p: MediaPacket) => boolean = () => true): ProbeReport {
  const r = newReport({ kind: 'rtmp', target: 'rtmp://h/live/****', mode: 'play' }, 5000);
  const a = new ProbeAnalyzer();
  for (const p of synthStream({ seconds: 5, ...spec })) if (keep(p)) a.push(p);
  finishMedia(r, a);
  r.measurements!.startupMs = startupMs;
  return r;
}

function check(text: string, r: ProbeReport): { ok: boolean; message: string } {
  const [result] = evaluateExpectations([parseExpectation(text)], r);
  return { ok: result!.ok, message: result!.message };
}

const clean = report();
const audioOnly = report({ meta: null }, null, (p) => p.type !== PacketType.Video);
const slow = report({ fps: 15, gop: 60, videoBytes: 1000, keyBytes: 4000 }, 4500);

test('every check kind passes and fails', () => {
  // [check, holds on `clean`, fails on `slow` (15 fps, 4 s GOP, ~170 kbit/s video, 4.5 s startup) or the other way round]
  const cases: Array<[string, ProbeReport, ProbeReport]> = [
    ['video=h264', clean, audioOnly],
    ['audio=aac', clean, clean],
    ['width=1280', clean, audioOnly],
    ['height=720', clean, audioOnly],
    ['min-fps=24', clean, slow],
    ['max-fps=26', clean, report({ fps: 50, gop: 100 })],
    ['max-gop=2s', clean, slow],
    ['max-gop=50f', clean, slow],
    ['min-bitrate=1000k', clean, slow],
    ['max-bitrate=0.5M', slow, clean],
    ['max-startup=3s', clean, slow],
    ['sample-rate=44.1k', clean, clean],
    ['channels=2', clean, clean],
    ['no-problems', clean, report({ meta: { framerate: 30 } })],
  ];
  for (const [text, good, bad] of cases) {
    assert.equal(check(text, good).ok, true, `${text} should hold: ${check(text, good).message}`);
    if (bad !== good) assert.equal(check(text, bad).ok, false, `${text} should fail`);
  }
  const wrong: Array<[string, RegExp]> = [
    ['video=vp6', /video is h264 \(H\.264\/AVC\)/],
    ['audio=mp3', /audio is aac/],
    ['width=1920', /width is 1280/],
    ['height=1080', /height is 720/],
    ['sample-rate=48000', /sample-rate is 44100/],
    ['channels=1', /channels is 2/],
  ];
  for (const [text, re] of wrong) {
    const r = check(text, clean);
    assert.equal(r.ok, false, text);
    assert.match(r.message, re);
  }
});

test('messages say what was measured and what was expected', () => {
  assert.equal(check('min-fps=29', clean).message, 'measured 25 fps, expected at least 29 fps');
  assert.equal(check('max-gop=1s', clean).message, 'longest GOP 2.00 s, expected at most 1.00 s');
  assert.equal(check('max-gop=25f', clean).message, 'longest GOP 50 frames, expected at most 25');
  assert.equal(check('max-startup=3s', slow).message, 'measured 4.50 s, expected at most 3.00 s');
  assert.match(check('min-bitrate=2000k', clean).message, /^measured 1\.\d\d Mbit\/s, expected at least 2\.00 Mbit\/s$/);
  assert.equal(check('no-problems', report({ meta: { framerate: 30 } })).message, 'problems: metadata-mismatch');
});

test('a check on something not measured fails and says why', () => {
  assert.deepEqual(check('video=none', audioOnly), { ok: true, message: 'video is absent' });
  assert.deepEqual(check('width=1280', audioOnly), { ok: false, message: 'no video' });
  assert.deepEqual(check('min-fps=1', audioOnly).ok, false);
  assert.deepEqual(check('max-gop=2s', audioOnly), { ok: false, message: 'no video' });
  const file = newReport({ kind: 'file', target: 'x.flv', mode: 'file' }, 5000);
  assert.deepEqual(check('max-startup=3s', file), { ok: false, message: 'a file has no network start-up time' });
  assert.deepEqual(check('max-startup=3s', report({}, null)), { ok: false, message: 'no keyframe arrived' });
  // One keyframe in 1.5 s (38 frames): the GOP is unknown, but longer than 1 s for sure.
  const oneKey = report({ seconds: 1.5, gop: 1000 });
  assert.deepEqual(check('max-gop=2s', oneKey), { ok: false, message: 'fewer than two keyframes in the window; measure longer with --duration' });
  assert.deepEqual(check('max-gop=1s', oneKey), { ok: false, message: 'no keyframe for 1.48 s, expected at most 1.00 s' });
});

test('parsing: values, units, aliases, commas; typos are usage errors', () => {
  assert.deepEqual(parseExpectation('min-bitrate=2000k'), { text: 'min-bitrate=2000k', kind: 'min-bitrate', value: 2_000_000 });
  assert.equal(parseExpectation('max-bitrate=2.5M').value, 2_500_000);
  assert.equal(parseExpectation('max-bitrate=800000').value, 800_000);
  assert.equal(parseExpectation('max-gop=1500ms').value, 1500);
  assert.deepEqual(parseExpectation('max-gop=50f'), { text: 'max-gop=50f', kind: 'max-gop', value: 50, frames: true });
  assert.equal(parseExpectation('max-startup=3').value, 3000, 'a bare number is seconds');
  assert.equal(parseExpectation('video=AVC').value, 'h264');
  assert.equal(parseExpectation('audio=pcmu').value, 'g711u');
  assert.equal(parseExpectation('sample-rate=48k').value, 48000);
  assert.deepEqual(parseExpectations(['video=h264,audio=aac', 'no-problems']).map((e) => e.kind), ['video', 'audio', 'no-problems']);
  const bad: Array<[string, RegExp]> = [
    ['fps=30', /unknown check 'fps'; known: video=<codec>/],
    ['min-fps=fast', /expected a frame rate/],
    ['min-fps=0', /expected a frame rate/],
    ['width=12.5', /expected a whole number/],
    ['max-gop=soon', /expected a duration such as 2s/],
    ['min-bitrate=lots', /expected a bitrate/],
    ['no-problems=yes', /takes no value/],
    ['video=', /expected a codec id/],
  ];
  for (const [text, re] of bad) assert.throws(() => parseExpectation(text), (e: unknown) => e instanceof UsageError && e.message.startsWith(`--expect ${text}:`) && re.test(e.message), text);
});
