import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HandshakeError } from '../../../src/errors.js';
import { ClientHandshake, type HandshakeStep } from '../../../src/rtmp/handshake.js';
import { everyFeeder, type Pushable } from '../../helpers/split-feed.js';

const fixedRandom = (n: number): Buffer => Buffer.alloc(n, 0xab);

/** S1 with arbitrary time and version fields and a recognisable body. */
function s1(): Buffer {
  const b = Buffer.alloc(1536);
  b.writeUInt32BE(0x01020304, 0); // server time
  b.writeUInt32BE(0x0d0e0a0d, 4); // nonzero "zero" field (e.g. a server version): accepted
  for (let i = 8; i < 1536; i++) b[i] = i & 0xff;
  return b;
}

/** Adapts the handshake to the feeders: each push yields its step if anything happened. */
function pushable(hs: ClientHandshake): Pushable<HandshakeStep> {
  return { push: (b) => { const step = hs.push(b); return step.send || step.done ? [step] : []; } };
}

function collect(steps: HandshakeStep[]): { c2: Buffer[]; done: boolean; rest: Buffer } {
  return {
    c2: steps.flatMap((s) => (s.send ? [s.send] : [])),
    done: steps.some((s) => s.done),
    rest: Buffer.concat(steps.flatMap((s) => (s.rest ? [s.rest] : []))),
  };
}

describe('ClientHandshake', () => {
  it('start() sends C0 + C1: version 3, time, zero, random', () => {
    const out = new ClientHandshake({ random: fixedRandom, epochMs: 0x11223344 }).start();
    assert.equal(out.length, 1537);
    assert.equal(out[0], 3); //                                    C0: version
    assert.equal(out.readUInt32BE(1), 0x11223344); //               C1 time
    assert.equal(out.readUInt32BE(5), 0); //                        C1 zero
    assert.deepEqual(out.subarray(9), Buffer.alloc(1528, 0xab)); // C1 random
  });

  it('defaults: time 0 and crypto random bytes', () => {
    const a = new ClientHandshake().start();
    const b = new ClientHandshake().start();
    assert.equal(a.readUInt32BE(1), 0);
    assert.notDeepEqual(a.subarray(9), b.subarray(9));
  });

  it('echoes S1 as C2 once and finishes after S2, handing back later bytes, for every split', () => {
    const s2 = Buffer.alloc(1536, 0x55); // does not echo C1: accepted
    const after = Buffer.from('020000000000040100000000000010', 'hex');
    const input = Buffer.concat([Buffer.from([3]), s1(), s2, after]);
    for (const { name, feed } of everyFeeder(input.length)) {
      const hs = new ClientHandshake({ random: fixedRandom });
      hs.start();
      const got = collect(feed(pushable(hs), input));
      assert.equal(got.c2.length, 1, name);
      assert.deepEqual(got.c2[0], s1(), name);
      assert.ok(got.done && hs.done, name);
      assert.deepEqual(got.rest, after, name);
    }
  });

  it('reports C2 before S2 arrives and no rest when S2 ends the input', () => {
    const hs = new ClientHandshake();
    const first = hs.push(Buffer.concat([Buffer.from([3]), s1()]));
    assert.deepEqual(first, { done: false, send: s1() });
    assert.deepEqual(hs.push(Buffer.alloc(1000)), { done: false });
    assert.deepEqual(hs.push(Buffer.alloc(536)), { done: true });
    assert.deepEqual(hs.push(Buffer.from('aa', 'hex')), { done: true, rest: Buffer.from('aa', 'hex') });
  });

  it('C2 does not alias the input buffer', () => {
    const input = Buffer.concat([Buffer.from([3]), s1()]);
    const c2 = new ClientHandshake().push(input).send!;
    input.fill(0);
    assert.deepEqual(c2, s1());
  });

  const bad: Array<[string, number, RegExp]> = [
    ['HTTP answer', 0x48, /text, not RTMP \(looks like HTTP\)/],
    ['TLS handshake record', 0x16, /TLS.*rtmps/],
    ['TLS alert', 0x15, /TLS/],
    ['SSH banner', 0x53, /looks like SSH/],
    ['HTML', 0x3c, /looks like HTML/],
    ['other text', 0x7b, /text, not RTMP \(starts with '\{'\)/],
    ['RTMPE', 0x06, /encrypted RTMPE/],
    ['unknown version', 0x00, /unsupported RTMP version byte 0x00/],
    ['unknown binary', 0xfe, /unsupported RTMP version byte 0xfe/],
  ];
  for (const [name, byte, message] of bad) {
    it(`rejects S0 = ${name} on the first byte`, () => {
      const hs = new ClientHandshake();
      hs.start();
      assert.throws(() => hs.push(Buffer.from([byte])), (e: unknown) => {
        assert.ok(e instanceof HandshakeError);
        assert.equal(e.code, 'RTMP_ERR_HANDSHAKE');
        assert.match(e.message, message);
        return true;
      });
    });
  }

  it('rejects an HTTP reply given whole', () => {
    const hs = new ClientHandshake();
    assert.throws(() => hs.push(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')), /looks like HTTP/);
  });

  it('rejects a random source of the wrong size and a second start()', () => {
    assert.throws(() => new ClientHandshake({ random: () => Buffer.alloc(3) }).start(), RangeError);
    const hs = new ClientHandshake();
    hs.start();
    assert.throws(() => hs.start());
  });
});
