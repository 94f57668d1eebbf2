/**
 * RTMP wire properties: the chunk decoder on random and mutated streams
 * (typed errors only, the same outcome whatever the split, buffered bytes
 * bounded by the chunk size and the limits), encoder → decoder round trips
 * of message sequences with Set Chunk Size changes, client and server
 * handshakes on hostile bytes, and parseControl.
 */
import fc from 'fast-check';
import type { BufferList } from '../../src/bytes/buffer-list.js';
import { LimitError, ProtocolError, HandshakeError } from '../../src/errors.js';
import { ChunkDecoder } from '../../src/rtmp/chunk-decoder.js';
import { ChunkEncoder } from '../../src/rtmp/chunk-encoder.js';
import {
  abort,
  acknowledgement,
  parseControl,
  setBufferLength,
  setChunkSize,
  setPeerBandwidth,
  userControl,
  windowAckSize,
} from '../../src/rtmp/control.js';
import { ClientHandshake, HANDSHAKE_SIZE } from '../../src/rtmp/handshake.js';
import type { RtmpMessage } from '../../src/rtmp/message.js';
import { ServerHandshake } from '../../src/rtmp/server-handshake.js';
import { ts32 } from '../../src/media/timestamp.js';
import { bytes, check, errorKey, guarded, mutated, peekPrivate, pieces, prop, splits, type NamedProperty } from './harness.js';

// ---------------------------------------------------------------- chunk stream

/** One step of a generated session: a message, a chunk size change, or an Abort. */
type Op =
  | { op: 'msg'; msg: RtmpMessage }
  | { op: 'chunkSize'; size: number }
  | { op: 'abort'; csid: number };

const csid = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 2, max: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom(63, 64, 65, 319, 320, 321, 65599) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 65599 }) },
);

/** Timestamp steps that exercise format 0..3 headers, extended timestamps and wrap-around. */
const tsStep = fc.oneof(
  fc.constantFrom(0, 33, 40),
  fc.integer({ min: 0, max: 100 }),
  fc.integer({ min: 0xfffff0, max: 0x1000010 }),
  fc.integer({ min: -100, max: 0 }),
  fc.nat({ max: 0xffffffff }),
);

const payloadLength = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 120, max: 140 }), fc.integer({ min: 0, max: 700 }));

const rawMsg = fc.record({
  csid,
  // 1 and 2 (Set Chunk Size, Abort) are generated as their own ops.
  typeId: fc.oneof(fc.constantFrom(8, 9, 18, 20, 3, 4, 5, 6), fc.integer({ min: 3, max: 255 })),
  streamId: fc.oneof(fc.constantFrom(0, 1), fc.nat({ max: 0xffffffff })),
  tsStep,
  length: payloadLength,
  fill: fc.nat({ max: 255 }),
});

const ops: fc.Arbitrary<Op[]> = fc
  .array(
    fc.oneof(
      { weight: 10, arbitrary: rawMsg.map((m) => ({ kind: 'msg' as const, m })) },
      { weight: 1, arbitrary: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 100, max: 1000 }), fc.constant(4096)).map((size) => ({ kind: 'size' as const, size })) },
      { weight: 1, arbitrary: csid.map((c) => ({ kind: 'abort' as const, c })) },
    ),
    { maxLength: 14 },
  )
  .map((raw) => {
    let ts = 0;
    return raw.map((r): Op => {
      if (r.kind === 'size') return { op: 'chunkSize', size: r.size };
      if (r.kind === 'abort') return { op: 'abort', csid: r.c };
      ts += r.m.tsStep;
      const payload = Buffer.alloc(r.m.length);
      for (let i = 0; i < payload.length; i++) payload[i] = (r.m.fill + i * 7) & 0xff;
      return { op: 'msg', msg: { csid: r.m.csid, typeId: r.m.typeId, streamId: r.m.streamId, timestamp: ts, payload } };
    });
  });

/** Encodes a session; returns the bytes and the messages the decoder must deliver. */
function encodeOps(list: Op[]): { wire: Buffer; expected: RtmpMessage[]; finalChunkSize: number } {
  const enc = new ChunkEncoder();
  const parts: Buffer[] = [];
  const expected: RtmpMessage[] = [];
  const send = (m: RtmpMessage): void => {
    parts.push(...enc.encode(m));
    expected.push({ ...m, timestamp: ts32(m.timestamp) });
  };
  for (const o of list) {
    if (o.op === 'msg') send(o.msg);
    else if (o.op === 'abort') send(abort(o.csid));
    else {
      send(setChunkSize(o.size));
      enc.setChunkSize(o.size);
    }
  }
  return { wire: Buffer.concat(parts), expected, finalChunkSize: enc.chunkSize };
}

const validStream = ops.map((o) => encodeOps(o).wire);

/** Limits small enough that generated input reaches them. */
const SMALL_CHUNK_LIMITS = { maxMessageSize: 1024, maxChunkSize: 512, maxChunkStreams: 6 };

/** Decoded message without its payload buffer identity, for comparing runs. */
function msgKey(m: RtmpMessage): string {
  return `${m.csid}/${m.typeId}/${m.streamId}/${m.timestamp}/${m.payload.toString('hex')}`;
}

/**
 * Feeds `data` in `cuts` pieces; checks after every push that the decoder
 * buffers fewer bytes than one chunk plus a header and that partial messages
 * stay within the limits. Returns the messages and the error, if any.
 */
function feedChunks(data: Buffer, cuts: number[], limits: typeof SMALL_CHUNK_LIMITS | undefined): { msgs: string[]; error: string | undefined } {
  const dec = new ChunkDecoder(limits);
  const maxMessage = limits?.maxMessageSize ?? 16 * 1024 * 1024;
  const maxStreams = limits?.maxChunkStreams ?? 64;
  const msgs: string[] = [];
  for (const piece of pieces(data, cuts)) {
    const r = guarded('ChunkDecoder.push', () => dec.push(piece));
    if (!r.ok) {
      check(r.error instanceof ProtocolError || r.error instanceof LimitError, `ChunkDecoder threw ${r.error.code}`);
      return { msgs, error: errorKey(r.error) };
    }
    for (const m of r.value) {
      check(m.payload.length <= maxMessage, `delivered a ${m.payload.length}-byte message past maxMessageSize`);
      msgs.push(msgKey(m));
    }
    const buffered = peekPrivate<BufferList>(dec, 'input').length;
    check(buffered < Math.max(dec.chunkSize, 18), `decoder holds ${buffered} unparsed bytes with chunk size ${dec.chunkSize}`);
    const streams = peekPrivate<Map<number, { payload: Buffer | undefined }>>(dec, 'streams');
    check(streams.size <= maxStreams, `decoder holds ${streams.size} chunk streams`);
    for (const s of streams.values()) {
      check(s.payload === undefined || s.payload.length <= maxMessage, 'a partial message buffer exceeds maxMessageSize');
    }
  }
  return { msgs, error: undefined };
}

function chunkInvariants(data: Buffer, cuts: number[], small: boolean): void {
  const limits = small ? SMALL_CHUNK_LIMITS : undefined;
  const whole = feedChunks(data, [], limits);
  const split = feedChunks(data, cuts, limits);
  check(split.error === whole.error, `split feed ended with ${split.error}, whole feed with ${whole.error}`);
  if (whole.error === undefined) {
    check(split.msgs.join('|') === whole.msgs.join('|'), 'split feed delivered different messages than the whole feed');
  } else {
    // A throwing push drops what it completed, so a split feed may deliver more, never something else.
    check(whole.msgs.every((m, i) => split.msgs[i] === m), 'split feed messages are not an extension of the whole feed');
  }
}

/** A format 0 chunk header on csid 3 declaring `length` bytes. */
function fmt0Header(length: number, typeId = 9): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x03;
  h.writeUIntBE(length, 4, 3);
  h[7] = typeId;
  return h;
}

/**
 * Chunks of several chunk streams interleaved, as peers send audio and video:
 * each message is encoded whole, cut into its chunks, and the chunks of
 * different chunk streams are merged in a generated order (each stream's own
 * order kept). Every chunk stream must get back exactly its messages.
 */
function interleavedRoundTrip(list: Op[], size: number, schedule: number[], cuts: number[]): void {
  const enc = new ChunkEncoder();
  const head = enc.encodeMessage(setChunkSize(size));
  enc.setChunkSize(size);
  const queues = new Map<number, Buffer[]>();
  const expected = new Map<number, string[]>();
  for (const o of list) {
    if (o.op !== 'msg') continue;
    const bufs = enc.encode(o.msg);
    const chunks: Buffer[] = [Buffer.concat(bufs.slice(0, 2))];
    for (let i = 2; i < bufs.length; i += 2) chunks.push(Buffer.concat([bufs[i]!, bufs[i + 1]!]));
    queues.set(o.msg.csid, [...(queues.get(o.msg.csid) ?? []), ...chunks]);
    expected.set(o.msg.csid, [...(expected.get(o.msg.csid) ?? []), msgKey({ ...o.msg, timestamp: ts32(o.msg.timestamp) })]);
  }
  const parts: Buffer[] = [head];
  const live = [...queues.values()].filter((q) => q.length > 0);
  for (let i = 0; live.length > 0; i++) {
    const k = (schedule.length === 0 ? 0 : schedule[i % schedule.length]!) % live.length;
    const q = live[k]!;
    parts.push(q.shift()!);
    if (q.length === 0) live.splice(k, 1);
  }
  const dec = new ChunkDecoder();
  const got = new Map<number, string[]>();
  for (const piece of pieces(Buffer.concat(parts), cuts)) {
    const r = guarded('ChunkDecoder.push', () => dec.push(piece));
    check(r.ok, () => `decoder refused interleaved chunks: ${r.ok ? '' : r.error.message}`);
    for (const m of r.value) if (m.typeId !== 1) got.set(m.csid, [...(got.get(m.csid) ?? []), msgKey(m)]);
  }
  for (const [c, want] of expected) {
    const have = got.get(c) ?? [];
    check(have.join('|') === want.join('|'), `chunk stream ${c}: got ${have.length} messages, sent ${want.length}, or they differ`);
  }
  check([...got.keys()].every((c) => expected.has(c)), 'messages on a chunk stream nothing was sent on');
}

// ---------------------------------------------------------------- handshake

/** S0+S1+S2 (or C0+C1+C2) followed by some chunk-stream bytes. */
const handshakeBytes = fc.tuple(bytes(2 * HANDSHAKE_SIZE, 2 * HANDSHAKE_SIZE), bytes(40)).map(([body, rest]) => Buffer.concat([Buffer.from([3]), body, rest]));

const handshakeInput = fc.oneof(
  { weight: 3, arbitrary: handshakeBytes },
  { weight: 2, arbitrary: mutated(handshakeBytes, 3) },
  { weight: 1, arbitrary: bytes(64) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 * HANDSHAKE_SIZE + 8 }).map((n) => Buffer.concat([Buffer.from([3]), Buffer.alloc(n, 0xab)])) },
);

type AnyHandshake = ClientHandshake | ServerHandshake;

/**
 * Feeds hostile bytes to one side and checks the whole observable behaviour:
 * a version byte other than 3 is a HandshakeError; otherwise the reply comes
 * once 1537 bytes are in, `done` once 3073 are, and every later byte comes
 * back as `rest`, in order. Never more than one handshake block is buffered.
 */
function handshakeProperty(side: 'client' | 'server', data: Buffer, cuts: number[], mode: 'simple' | 'digest' = 'simple'): void {
  // Digest mode: hostile S1s carry no valid digest, so C2 still echoes S1.
  const hs: AnyHandshake = side === 'client' ? new ClientHandshake({ random: (n) => Buffer.alloc(n, 0x5a), mode }) : new ServerHandshake({ random: (n) => Buffer.alloc(n, 0x5a) });
  if (hs instanceof ClientHandshake) hs.start();
  const sent: Buffer[] = [];
  const rest: Buffer[] = [];
  let done = false;
  for (const piece of pieces(data, cuts)) {
    const r = guarded(`${side} handshake push`, () => hs.push(piece));
    if (!r.ok) {
      check(r.error instanceof HandshakeError, `${side} handshake threw ${r.error.code}`);
      check(data[0] !== 3, `${side} handshake refused version byte 3: ${r.error.message}`);
      return;
    }
    if (r.value.send) sent.push(r.value.send);
    if (r.value.rest) rest.push(r.value.rest);
    check(!done || r.value.done, `${side} handshake went back from done`);
    done = r.value.done;
    if (!done) check(peekPrivate<BufferList>(hs, 'input').length < HANDSHAKE_SIZE, `${side} handshake buffers a whole block`);
  }
  check(data.length === 0 || data[0] === 3, `${side} handshake accepted version byte ${data[0]}`);
  const total = 1 + 2 * HANDSHAKE_SIZE;
  check(done === data.length >= total, `${side} handshake done=${done} after ${data.length} bytes`);
  check(sent.length === (data.length >= 1 + HANDSHAKE_SIZE ? 1 : 0), `${side} handshake sent ${sent.length} replies`);
  const reply = sent[0];
  if (reply) {
    const c1 = data.subarray(1, 1 + HANDSHAKE_SIZE);
    if (side === 'client') check(reply.equals(c1), 'C2 is not an exact echo of S1');
    else check(reply.length === total && reply[0] === 3 && reply.subarray(1 + HANDSHAKE_SIZE).equals(c1), 'S0+S1+S2 is malformed or S2 does not echo C1');
  }
  const after = Buffer.concat(rest);
  check(after.equals(data.subarray(Math.min(total, data.length))), `${side} handshake rest differs from the bytes after the handshake`);
}

// ---------------------------------------------------------------- control

const controlBuilders: fc.Arbitrary<{ msg: RtmpMessage; want: Record<string, unknown> }> = fc.oneof(
  fc.integer({ min: 1, max: 0x7fffffff }).map((n) => ({ msg: setChunkSize(n), want: { type: 'setChunkSize', size: n } })),
  fc.nat({ max: 0xffffffff }).map((n) => ({ msg: abort(n), want: { type: 'abort', csid: n } })),
  fc.nat({ max: 0xffffffff }).map((n) => ({ msg: acknowledgement(n), want: { type: 'ack', sequence: n } })),
  fc.nat({ max: 0xffffffff }).map((n) => ({ msg: windowAckSize(n), want: { type: 'windowAckSize', size: n } })),
  fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 2 })).map(([n, t]) => ({ msg: setPeerBandwidth(n, t), want: { type: 'setPeerBandwidth', size: n, limitType: t } })),
  fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })).map(([s, ms]) => ({
    msg: setBufferLength(s, ms),
    want: { type: 'userControl', event: 3, streamId: s, bufferLength: ms },
  })),
  fc.tuple(fc.constantFrom(0, 1, 2, 4), fc.nat({ max: 0xffffffff })).map(([e, s]) => ({ msg: userControl(e, s), want: { type: 'userControl', event: e, streamId: s } })),
  fc.tuple(fc.constantFrom(6, 7), fc.nat({ max: 0xffffffff })).map(([e, t]) => ({ msg: userControl(e, t), want: { type: 'userControl', event: e, timestamp: t } })),
);

/** Bytes a control message of `typeId` needs, by event for User Control; undefined if not a control type. */
function controlNeeds(typeId: number, payload: Buffer): number | undefined {
  switch (typeId) {
    case 1: case 2: case 3: case 5: return 4;
    case 6: return 5;
    case 4: {
      if (payload.length < 2) return 2;
      const ev = payload.readUInt16BE(0);
      return ev === 3 ? 10 : [0, 1, 2, 4, 6, 7].includes(ev) ? 6 : 2;
    }
    default: return undefined;
  }
}

// ---------------------------------------------------------------- properties

export const rtmpProperties: NamedProperty[] = [
  prop('chunk.random-bytes', 400, [fc.oneof(bytes(300), fc.tuple(validStream, bytes(64)).map(([a, b]) => Buffer.concat([a, b]))), splits, fc.boolean()], (data, cuts, small) =>
    chunkInvariants(data, cuts, small),
  ),
  prop('chunk.mutated-stream', 400, [mutated(validStream), splits, fc.boolean()], (data, cuts, small) => chunkInvariants(data, cuts, small)),
  prop('chunk.roundtrip', 300, [ops, splits], (list, cuts) => {
    const { wire, expected, finalChunkSize } = encodeOps(list);
    const dec = new ChunkDecoder();
    const got: RtmpMessage[] = [];
    for (const piece of pieces(wire, cuts)) {
      const r = guarded('ChunkDecoder.push', () => dec.push(piece));
      check(r.ok, () => `decoder refused the encoder's output: ${r.ok ? '' : r.error.message}`);
      got.push(...r.value);
    }
    check(got.length === expected.length, `decoded ${got.length} messages, sent ${expected.length}`);
    for (let i = 0; i < got.length; i++) {
      const a = msgKey(got[i]!);
      const b = msgKey(expected[i]!);
      check(a === b, () => `message ${i} differs: got ${a.slice(0, 80)}, sent ${b.slice(0, 80)}`);
    }
    check(dec.chunkSize === finalChunkSize, `decoder chunk size ${dec.chunkSize}, encoder ${finalChunkSize}`);
  }),
  prop('chunk.interleaved-roundtrip', 200, [ops, fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 100, max: 1000 })), fc.array(fc.nat({ max: 1000 }), { maxLength: 16 }), splits], (list, size, schedule, cuts) =>
    interleavedRoundTrip(list, size, schedule, cuts),
  ),
  prop('chunk.declared-size-limits', 200, [fc.integer({ min: 1, max: 0xffffff }), fc.nat({ max: 0xffffffff }), fc.integer({ min: 1, max: 12 })], (length, size, streams) => {
    const limits = { maxMessageSize: 4096, maxChunkSize: 8192, maxChunkStreams: 4 };
    // A message length past the limit fails on its header alone, before any payload or allocation.
    const r = guarded('ChunkDecoder.push', () => new ChunkDecoder(limits).push(fmt0Header(length)));
    if (length > limits.maxMessageSize) check(!r.ok && r.error instanceof LimitError && r.error.limit === 'maxMessageSize', `declared length ${length} was not refused on its header`);
    else check(r.ok, `declared length ${length} within the limit was refused`);
    // Set Chunk Size: top bit or zero is a ProtocolError, past maxChunkSize a LimitError.
    const body = Buffer.alloc(4);
    body.writeUInt32BE(size >>> 0, 0);
    const scs = Buffer.concat([fmt0Header(4, 1).fill(0x02, 0, 1), body]);
    const s = guarded('ChunkDecoder.push', () => new ChunkDecoder(limits).push(scs));
    if (size === 0 || size >= 0x80000000) check(!s.ok && s.error instanceof ProtocolError, `Set Chunk Size ${size} was not a ProtocolError`);
    else if (size > limits.maxChunkSize) check(!s.ok && s.error instanceof LimitError && s.error.limit === 'maxChunkSize', `Set Chunk Size ${size} was not refused`);
    else check(s.ok, `Set Chunk Size ${size} was refused`);
    // Chunk streams past maxChunkStreams.
    const many = Buffer.concat(Array.from({ length: streams }, (_, i) => Buffer.from([0x03 + i, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0])));
    const m = guarded('ChunkDecoder.push', () => new ChunkDecoder(limits).push(many));
    if (streams > limits.maxChunkStreams) check(!m.ok && m.error instanceof LimitError && m.error.limit === 'maxChunkStreams', `${streams} chunk streams were accepted`);
    else check(m.ok && m.value.length === streams, `${streams} chunk streams were refused`);
  }),
  prop('handshake.client', 300, [handshakeInput, splits], (data, cuts) => handshakeProperty('client', data, cuts)),
  prop('handshake.client-digest', 300, [handshakeInput, splits], (data, cuts) => handshakeProperty('client', data, cuts, 'digest')),
  prop('handshake.server', 300, [handshakeInput, splits], (data, cuts) => handshakeProperty('server', data, cuts)),
  prop('handshake.client-server', 100, [splits, splits, bytes(32)], (cutsA, cutsB, extra) => {
    const client = new ClientHandshake();
    const server = new ServerHandshake();
    const c0c1 = client.start();
    let s = { send: undefined as Buffer | undefined, done: false };
    for (const p of pieces(c0c1, cutsA)) s = { ...s, ...server.push(p) };
    const s012 = s.send;
    check(s012 !== undefined, 'server did not answer C0+C1');
    let c: { send?: Buffer; done: boolean; rest?: Buffer } = { done: false };
    const rest: Buffer[] = [];
    for (const p of pieces(Buffer.concat([s012, extra]), cutsB)) {
      c = client.push(p);
      if (c.rest) rest.push(c.rest);
      if (c.send) s = { ...s, ...server.push(c.send) };
    }
    check(client.done && server.done, 'handshake did not complete');
    check(Buffer.concat(rest).equals(extra), 'client rest differs from the bytes after S2');
    check(s012.subarray(1 + HANDSHAKE_SIZE).equals(c0c1.subarray(1)), 'S2 does not echo C1');
  }),
  prop('handshake.digest-client-server', 100, [fc.constantFrom(0 as const, 1 as const), bytes(HANDSHAKE_SIZE, HANDSHAKE_SIZE), splits], (scheme, random, cuts) => {
    // Any C1 randomness, any scheme: both sides find and verify each other's digests.
    const client = new ClientHandshake({ mode: 'digest', scheme, random: (n) => Buffer.concat([random, random]).subarray(0, n) });
    const server = new ServerHandshake();
    const s012 = server.push(client.start()).send;
    check(s012 !== undefined, 'server did not answer C0+C1');
    let c2: Buffer | undefined;
    for (const p of pieces(s012, cuts)) {
      const r = client.push(p);
      check(r.warnings === undefined, `client warned: ${r.warnings?.join('; ')}`);
      c2 ??= r.send;
    }
    check(c2 !== undefined && server.push(c2).done, 'server did not take C2');
    check(server.info.clientDigest === scheme && server.info.c2Signed === true, `server info ${JSON.stringify(server.info)}`);
    check(client.done && client.info.serverDigest === scheme && client.info.s2Signed === true, `client info ${JSON.stringify(client.info)}`);
  }),
  prop('control.parse-random', 500, [fc.oneof(fc.integer({ min: 0, max: 8 }), fc.nat({ max: 255 })), bytes(14)], (typeId, payload) => {
    const r = guarded('parseControl', () => parseControl({ csid: 2, typeId, timestamp: 0, streamId: 0, payload }));
    const needs = controlNeeds(typeId, payload);
    if (needs === undefined) check(r.ok && r.value === undefined, `type ${typeId} is not a control message but parsed`);
    else if (payload.length < needs) check(!r.ok && r.error instanceof ProtocolError, `type ${typeId} with ${payload.length} bytes (needs ${needs}) did not throw ProtocolError`);
    else check(r.ok && r.value !== undefined, `type ${typeId} with ${payload.length} bytes was refused`);
  }),
  prop('control.builders-roundtrip', 300, [controlBuilders], ({ msg, want }) => {
    const r = guarded('parseControl', () => parseControl(msg));
    check(r.ok, 'parseControl refused a built message');
    check(JSON.stringify(r.value) === JSON.stringify(want), () => `parsed ${JSON.stringify(r.ok ? r.value : null)}, built ${JSON.stringify(want)}`);
  }),
];
