import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkDecoder } from '../../../src/rtmp/chunk-decoder.js';
import { ChunkEncoder } from '../../../src/rtmp/chunk-encoder.js';
import * as control from '../../../src/rtmp/control.js';
import { LimitError } from '../../../src/errors.js';

/** The first chunk (header + 128 bytes) of a 600-byte video message on `csid`. */
function firstChunk(csid: number): Buffer {
  const [header, body] = new ChunkEncoder(128).encode({ csid, typeId: 9, timestamp: 0, streamId: 1, payload: Buffer.alloc(600, csid) });
  return Buffer.concat([header!, body!]);
}

test('messages being assembled at once are capped by maxPendingBytes, before allocating', () => {
  const d = new ChunkDecoder({ maxPendingBytes: 1000 });
  assert.deepEqual(d.push(firstChunk(4)), []);
  assert.throws(() => d.push(firstChunk(5)), (e: unknown) => {
    assert.ok(e instanceof LimitError);
    assert.equal(e.limit, 'maxPendingBytes');
    assert.equal(e.value, 1200);
    return true;
  });
});

test('an Abort releases what its message held, and completed messages release theirs', () => {
  const d = new ChunkDecoder({ maxPendingBytes: 1000 });
  d.push(firstChunk(4));
  d.push(new ChunkEncoder(128).encodeMessage(control.abort(4)));
  assert.deepEqual(d.push(firstChunk(5)), [], 'room again after the abort');
  // Finish csid 5's message: its 600 bytes are released once it completes.
  const rest = new ChunkEncoder(128).encode({ csid: 5, typeId: 9, timestamp: 0, streamId: 1, payload: Buffer.alloc(600, 5) }).slice(2);
  const done = d.push(Buffer.concat(rest));
  assert.equal(done.length, 1);
  assert.equal(done[0]!.payload.length, 600);
  assert.deepEqual(d.push(firstChunk(6)), [], 'room again once csid 5 completed');
  assert.throws(() => d.push(firstChunk(7)), LimitError, 'csid 6 and 7 together exceed it');
});
