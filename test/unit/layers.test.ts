import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const srcRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

/** Modules the pure codec layers must never import: no sockets, files, processes or timers. */
const forbidden = /from\s+'node:(net|tls|fs|fs\/promises|child_process|timers|timers\/promises|dgram|http|https)'/;
const timerCall = /\b(setTimeout|setInterval|setImmediate)\s*\(/;

/** Which layers each layer may import (imports only point down). */
const allowed: Record<string, string[]> = {
  bytes: ['bytes'],
  amf: ['bytes', 'amf'],
  media: ['bytes', 'amf', 'media'],
  flv: ['bytes', 'amf', 'media', 'flv'],
  rtmp: ['bytes', 'amf', 'media', 'flv', 'rtmp'],
};

for (const layer of Object.keys(allowed)) {
  test(`src/${layer} is pure and imports only lower layers`, () => {
    const dir = path.join(srcRoot, layer);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 0, `no files in src/${layer}`);
    for (const f of files) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      assert.doesNotMatch(text, forbidden, `src/${layer}/${f} imports an I/O module`);
      assert.doesNotMatch(text, timerCall, `src/${layer}/${f} uses a timer`);
      for (const m of text.matchAll(/from\s+'\.\.\/([a-z-]+)\//g)) {
        assert.ok(allowed[layer]!.includes(m[1]!), `src/${layer}/${f} imports src/${m[1]} (not below it)`);
      }
    }
  });
}
