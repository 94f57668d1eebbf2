import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HandshakeError } from '../../../src/errors.js';
import { ClientHandshake, type HandshakeStep } from '../../../src/rtmp/handshake.js';
import { ServerHandshake } from '../../../src/rtmp/server-handshake.js';
import { hex } from '../../helpers/hex.js';
import { everyFeeder, type Pushable } from '../../helpers/split-feed.js';

const fixedRandom = (n: number): Buffer => Buffer.alloc(n, 0xcd);

/** C1 as a client sends it: time, zero, random (a recognisable pattern). */
function c1(): Buffer {
  const b = Buffer.alloc(1536);
  b.writeUInt32BE(0x00000000, 0); // time
  b.writeUInt32BE(0x80000702, 4); // version field of a Flash-style client: accepted, we answer plainly
  for (let i = 8; i < 1536; i++) b[i] = (i * 7) & 0xff;
  return b;
}

/** Adapts the handshake to the feeders: each push yields its step if anything happened. */
function pushable(hs: ServerHandshake): Pushable<HandshakeStep> {
  return { push: (b) => { const step = hs.push(b); return step.send || step.done ? [step] : []; } };
}

describe('ServerHandshake', () => {
  it('answers S0+S1+S2 once C0+C1 are in and finishes after C2, handing back later bytes, for every split', () => {
    const c2 = Buffer.alloc(1536, 0x11); // any 1536 bytes: only the length matters
    const after = hex(
      '02 000000 000004 01 00000000 // basic header fmt 0 csid 2, ts 0, length 4, Set Chunk Size, stream 0',
      '00001000                     // size 4096',
    );
    const input = Buffer.concat([Buffer.from([3]), c1(), c2, after]);
    for (const { name, feed } of everyFeeder(input.length)) {
      const hs = new ServerHandshake({ random: fixedRandom, epochMs: 0x01020304 });
      const steps = feed(pushable(hs), input);
      const sent = steps.flatMap((s) => (s.send ? [s.send] : []));
      assert.equal(sent.length, 1, name);
      const out = sent[0]!;
      assert.equal(out.length, 3073, name);
      assert.equal(out[0], 3, name); //                                   S0: version
      assert.equal(out.readUInt32BE(1), 0x01020304, name); //              S1 time
      assert.equal(out.readUInt32BE(5), 0, name); //                       S1 zero: plain handshake
      assert.deepEqual(out.subarray(9, 1537), Buffer.alloc(1528, 0xcd), name); // S1 random
      assert.deepEqual(out.subarray(1537), c1(), name); //                 S2 echoes C1
      assert.ok(steps.some((s) => s.done) && hs.done, name);
      assert.deepEqual(Buffer.concat(steps.flatMap((s) => (s.rest ? [s.rest] : []))), after, name);
      assert.equal(hs.bytesRead, 1 + 1536 * 2, name);
    }
  });

  it('sends S0+S1+S2 before C2 arrives (clients wait for S2 before sending C2)', () => {
    const hs = new ServerHandshake();
    const step = hs.push(Buffer.concat([Buffer.from([3]), c1()]));
    assert.ok(step.send);
    assert.equal(step.done, false);
    assert.equal(hs.push(Buffer.alloc(1535)).done, false);
    assert.equal(hs.push(Buffer.alloc(1)).done, true);
  });

  it('rejects a wrong C0 on its first byte, naming what the client probably is', () => {
    const cases: Array<[number, RegExp]> = [
      [0x47, /looks like HTTP/], // 'G' of GET
      [0x16, /TLS/],
      [0x06, /RTMPE/],
      [0x00, /version byte 0x00/],
    ];
    for (const [byte, re] of cases) {
      const hs = new ServerHandshake();
      assert.throws(() => hs.push(Buffer.from([byte])), (e: unknown) => e instanceof HandshakeError && e.code === 'RTMP_ERR_HANDSHAKE' && re.test(e.message));
    }
  });

  it('completes against our ClientHandshake in memory', () => {
    const client = new ClientHandshake();
    const server = new ServerHandshake();
    const s = server.push(client.start());
    assert.ok(s.send);
    const c = client.push(s.send);
    assert.ok(c.done && c.send);
    const end = server.push(c.send);
    assert.ok(end.done && end.rest === undefined);
    assert.deepEqual(server.push(Buffer.from([1, 2])), { done: true, rest: Buffer.from([1, 2]) });
  });
});
