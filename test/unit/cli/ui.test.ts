import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Reporter } from '../../../src/cli/ui.js';

/** A reporter writing into a string (not a TTY: no colour, no animation). */
function capture(opts: ConstructorParameters<typeof Reporter>[0] = {}): { rep: Reporter; text: () => string } {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, cb) { text += String(chunk); cb(); } }) as unknown as NodeJS.WriteStream;
  return { rep: new Reporter({ ...opts, stream }), text: () => text };
}

test('long secrets are hidden wherever they appear, including URL-encoded', () => {
  const { rep, text } = capture({ secrets: ['live_abc123', 'p@ss word'] });
  rep.info('publishing live_abc123 with p%40ss%20word and p@ss word');
  assert.equal(text(), 'publishing **** with **** and ****\n');
});

test('short secrets are hidden only where quoted, so ordinary words stay readable', () => {
  const { rep, text } = capture({ secrets: ['dur'] });
  rep.info("-> CommandAMF0 'publish' 0 null 'dur' 'live' (duration reached)");
  assert.equal(text(), "-> CommandAMF0 'publish' 0 null '****' 'live' (duration reached)\n");
});

test('--quiet silences info and warnings but never the error line; debug needs --verbose', () => {
  const q = capture({ quiet: true, secrets: ['secretkey'] });
  q.rep.info('hello');
  q.rep.warn('careful');
  q.rep.debug('trace');
  q.rep.error('failed for secretkey');
  assert.equal(q.text(), 'error: failed for ****\n');
  const v = capture({ verbose: true });
  v.rep.debug('trace line');
  assert.equal(v.text(), 'trace line\n');
});
