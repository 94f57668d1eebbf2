/**
 * The Flash Player 9 digest handshake: vectors recomputed here with
 * node:crypto straight from the published algorithm (librtmp handshake.h,
 * ffmpeg rtmpproto.c, nginx-rtmp ngx_rtmp_handshake.c) — none of the
 * implementation's helpers — then client against server in memory for both
 * offset schemes and every way of splitting the bytes, and the loose
 * servers the client must tolerate.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { findDigest, FMS_KEY, FP_KEY } from '../../../src/rtmp/digest.js';
import { ClientHandshake, type HandshakeStep } from '../../../src/rtmp/handshake.js';
import { ServerHandshake } from '../../../src/rtmp/server-handshake.js';
import { everyFeeder, type Pushable } from '../../helpers/split-feed.js';

// The keys as published: text, then the same 32 bytes for both.
const TAIL = Buffer.from([
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1, 0x02, 0x9e, 0x7e, 0x57,
  0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab, 0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
]);
const PLAYER_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001'), TAIL]); // 62 bytes
const SERVER_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Media Server 001'), TAIL]); // 68 bytes

const hmac = (key: Buffer, data: Buffer): Buffer => createHmac('sha256', key).update(data).digest();

/** Scheme 0: offset bytes 8..11, digest at sum % 728 + 12; scheme 1: bytes 772..775, at sum % 728 + 776. */
function offsetOf(p: Buffer, scheme: 0 | 1): number {
  const base = scheme === 0 ? 8 : 772;
  return ((p[base]! + p[base + 1]! + p[base + 2]! + p[base + 3]!) % 728) + base + 4;
}

/** HMAC over the packet with the 32 digest bytes left out. */
function digestOf(p: Buffer, offset: number, key: Buffer): Buffer {
  return hmac(key, Buffer.concat([p.subarray(0, offset), p.subarray(offset + 32)]));
}

/** A deterministic "random" source: a counter pattern, different on each call. */
function counterRandom(): (n: number) => Buffer {
  let call = 0;
  return (n) => {
    call++;
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = (i * 31 + call * 17) & 0xff;
    return b;
  };
}

function clientPushable(hs: ClientHandshake): Pushable<HandshakeStep> {
  return { push: (b) => { const s = hs.push(b); return s.send || s.done || s.warnings ? [s] : []; } };
}

describe('digest handshake vectors (recomputed with node:crypto)', () => {
  for (const scheme of [0, 1] as const) {
    it(`C1 in digest mode, scheme ${scheme}: version 9.0.124.2 and the HMAC (FP key, 30 bytes) at the scheme's offset`, () => {
      const out = new ClientHandshake({ mode: 'digest', scheme, random: counterRandom(), epochMs: 0x01020304 }).start();
      assert.equal(out[0], 3);
      const c1 = out.subarray(1);
      assert.equal(c1.readUInt32BE(0), 0x01020304); // time
      assert.deepEqual([...c1.subarray(4, 8)], [9, 0, 124, 2]); // version
      const offset = offsetOf(c1, scheme);
      assert.ok(offset >= (scheme === 0 ? 12 : 776) && offset + 32 <= (scheme === 0 ? 772 : 1536));
      const want = digestOf(c1, offset, PLAYER_KEY.subarray(0, 30));
      assert.deepEqual(c1.subarray(offset, offset + 32), want);
      // The rest is the random source's first call, untouched outside the digest.
      const random = counterRandom()(1528);
      assert.deepEqual(c1.subarray(8, offset), random.subarray(0, offset - 8));
      assert.deepEqual(c1.subarray(offset + 32), random.subarray(offset + 24));
    });
  }

  it('the keys are the published 62- and 68-byte keys', () => {
    assert.deepEqual(FP_KEY, PLAYER_KEY);
    assert.deepEqual(FMS_KEY, SERVER_KEY);
  });

  for (const scheme of [0, 1] as const) {
    it(`the server answers a scheme ${scheme} C1 with a digest S1 (FMS key, 36 bytes) and an S2 signed for C1's digest`, () => {
      const c0c1 = new ClientHandshake({ mode: 'digest', scheme, random: counterRandom() }).start();
      const c1 = c0c1.subarray(1);
      const c1Digest = c1.subarray(offsetOf(c1, scheme), offsetOf(c1, scheme) + 32);
      const server = new ServerHandshake({ random: counterRandom() });
      const out = server.push(c0c1).send!;
      assert.equal(out.length, 3073);
      const s1 = out.subarray(1, 1537);
      const s2 = out.subarray(1537);
      assert.notEqual(s1.readUInt32BE(4), 0, 'S1 names a server version');
      assert.ok(s1[4]! >= 3, 'ffmpeg checks the digest only when the first version byte is >= 3');
      // S1's digest in one of the schemes (the server uses the client's).
      const s1Offset = offsetOf(s1, scheme);
      assert.deepEqual(s1.subarray(s1Offset, s1Offset + 32), digestOf(s1, s1Offset, SERVER_KEY.subarray(0, 36)));
      // S2: last 32 bytes = HMAC(HMAC(68-byte FMS key, C1 digest), first 1504 bytes).
      assert.deepEqual(s2.subarray(1504), hmac(hmac(SERVER_KEY, c1Digest), s2.subarray(0, 1504)));
      assert.equal(server.info.clientDigest, scheme);
      assert.equal(server.info.clientVersion, '9.0.124.2');
    });
  }

  it('the client answers a digest S1 with C2 signed by HMAC(HMAC(62-byte FP key, S1 digest), first 1504 bytes)', () => {
    const client = new ClientHandshake({ mode: 'digest', random: counterRandom() });
    const server = new ServerHandshake({ random: counterRandom() });
    const answer = server.push(client.start()).send!;
    const s1 = answer.subarray(1, 1537);
    const found = [1, 0].map((s) => offsetOf(s1, s as 0 | 1)).find((o) => digestOf(s1, o, SERVER_KEY.subarray(0, 36)).equals(s1.subarray(o, o + 32)));
    assert.ok(found !== undefined);
    const step = client.push(answer);
    const c2 = step.send!;
    assert.deepEqual(c2.subarray(1504), hmac(hmac(PLAYER_KEY, s1.subarray(found, found + 32)), c2.subarray(0, 1504)));
    assert.equal(step.done, true);
    assert.equal(step.warnings, undefined);
    assert.deepEqual(client.info, { mode: 'digest', serverVersion: '3.5.1.1', serverDigest: 0, s2Signed: true });
    assert.equal(server.push(c2).done, true);
    assert.equal(server.info.c2Signed, true);
  });
});

describe('digest handshake, client against server in memory', () => {
  for (const scheme of [0, 1] as const) {
    it(`scheme ${scheme}: both sides verify each other for every split of the server's bytes`, () => {
      const server = new ServerHandshake();
      const c0c1 = new ClientHandshake({ mode: 'digest', scheme, random: counterRandom() }).start();
      const answer = server.push(c0c1).send!;
      const after = Buffer.from([0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0x10, 0]);
      for (const { name, feed } of everyFeeder(answer.length + after.length)) {
        const client = new ClientHandshake({ mode: 'digest', scheme, random: counterRandom() });
        client.start();
        const steps = feed(clientPushable(client), Buffer.concat([answer, after]));
        assert.equal(steps.filter((s) => s.send).length, 1, name);
        assert.deepEqual(steps.flatMap((s) => s.warnings ?? []), [], name);
        assert.deepEqual(Buffer.concat(steps.flatMap((s) => (s.rest ? [s.rest] : []))), after, name);
        assert.equal(client.info.s2Signed, true, name);
        assert.equal(client.info.serverDigest, scheme, name);
      }
    });
  }

  it('a plain server (S1 version zero): C2 echoes S1, S2 need not echo C1, no warning', () => {
    const client = new ClientHandshake({ mode: 'digest' });
    client.start();
    const s1 = Buffer.alloc(1536, 0x5a);
    s1.writeUInt32BE(0, 4);
    const step = client.push(Buffer.concat([Buffer.from([3]), s1, Buffer.alloc(1536, 0x77)]));
    assert.deepEqual(step.send, s1);
    assert.equal(step.done, true);
    assert.equal(step.warnings, undefined);
    assert.deepEqual(client.info, { mode: 'digest', serverVersion: '0.0.0.0' });
  });

  it('an unusual S1 version without a valid digest (as YouTube answers) is a warning, not an error', () => {
    const client = new ClientHandshake({ mode: 'digest' });
    client.start();
    const s1 = Buffer.alloc(1536, 0x21);
    s1.writeUInt32BE(0x04000001, 4);
    const step = client.push(Buffer.concat([Buffer.from([3]), s1, Buffer.alloc(1536, 0x33)]));
    assert.deepEqual(step.send, s1, 'C2 falls back to echoing S1');
    assert.equal(step.done, true);
    assert.match(step.warnings?.join('\n') ?? '', /version 4\.0\.0\.1.*no valid digest/);
    assert.equal(client.info.serverDigest, undefined);
  });

  it('a digest S1 with an unsigned S2 completes with a warning', () => {
    const client = new ClientHandshake({ mode: 'digest', random: counterRandom() });
    const answer = new ServerHandshake().push(client.start()).send!;
    const tampered = Buffer.from(answer);
    tampered[tampered.length - 1]! ^= 0xff;
    const step = client.push(tampered);
    assert.equal(step.done, true);
    assert.match(step.warnings?.join('\n') ?? '', /S2 is not signed/);
    assert.equal(client.info.s2Signed, false);
  });

  it('the simple client sends no digest and the server answers plainly (S2 = C1)', () => {
    const c0c1 = new ClientHandshake({ mode: 'simple' }).start();
    assert.equal(c0c1.readUInt32BE(5), 0);
    const server = new ServerHandshake();
    const out = server.push(c0c1).send!;
    assert.equal(out.readUInt32BE(5), 0, 'S1 version zero');
    assert.deepEqual(out.subarray(1537), c0c1.subarray(1));
    assert.equal(server.info.clientDigest, undefined);
  });

  it('a C1 with a version but a broken digest gets the plain answer (as nginx-rtmp does)', () => {
    const c0c1 = new ClientHandshake({ mode: 'digest', random: counterRandom() }).start();
    c0c1[1 + offsetOf(c0c1.subarray(1), 0)]! ^= 1;
    assert.equal(findDigest(c0c1.subarray(1), FP_KEY.subarray(0, 30)), undefined);
    const server = new ServerHandshake();
    const out = server.push(c0c1).send!;
    assert.equal(out.readUInt32BE(5), 0);
    assert.deepEqual(out.subarray(1537), c0c1.subarray(1));
    assert.equal(server.info.clientDigest, undefined);
  });
});
