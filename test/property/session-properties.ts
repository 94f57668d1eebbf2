/**
 * Session properties: the sans-I/O client and server sessions fed a hostile
 * peer's message stream (generated commands with arbitrary arguments, control
 * messages of any length, aggregates, unknown types; then mutated and split)
 * only ever raise typed errors, and answer with a bounded number of bytes.
 */
import fc from 'fast-check';
import { encodeAmf0 } from '../../src/amf/amf0.js';
import type { AmfValue } from '../../src/amf/value.js';
import { ChunkEncoder } from '../../src/rtmp/chunk-encoder.js';
import type { RtmpMessage } from '../../src/rtmp/message.js';
import { ServerSession } from '../../src/rtmp/server-session.js';
import { ClientSession } from '../../src/rtmp/session.js';
import { amf0ValueArbitrary } from './amf-properties.js';
import { bytes, check, guarded, mutated, pieces, prop, splits, type NamedProperty } from './harness.js';

const commandName = fc.oneof(
  fc.constantFrom('_result', '_error', 'onStatus', 'connect', 'createStream', 'publish', 'play', 'deleteStream', 'closeStream', 'releaseStream', 'FCPublish', 'FCUnpublish', 'onBWDone', '|RtmpSampleAccess'),
  fc.string({ maxLength: 8 }),
);

const statusObject = fc.record({
  level: fc.constantFrom('status', 'error', 'warning'),
  code: fc.constantFrom('NetStream.Publish.Start', 'NetStream.Play.Start', 'NetStream.Play.Stop', 'NetConnection.Connect.Success', 'Weird.Code'),
  description: fc.string({ maxLength: 8 }),
}) as fc.Arbitrary<AmfValue>;

const txn = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.double(), fc.constant(NaN));

const commandPayload = fc
  .tuple(commandName, txn, fc.oneof(fc.constant(null), statusObject, amf0ValueArbitrary, fc.constant({ app: 'live', tcUrl: 'rtmp://x/live' } as AmfValue)), fc.array(fc.oneof(statusObject, amf0ValueArbitrary, fc.string({ maxLength: 6 })), { maxLength: 3 }))
  .map(([name, t, obj, args]) => encodeAmf0(name, t, obj, ...args));

/** An aggregate body: FLV-style sub-messages, possibly lying about their sizes. */
const aggregatePayload = fc
  .array(fc.tuple(fc.constantFrom(8, 9, 18, 7), fc.nat({ max: 0xffffffff }), bytes(20), fc.integer({ min: -3, max: 3 })), { maxLength: 4 })
  .map((subs) =>
    Buffer.concat(
      subs.map(([type, ts, body, lie]) => {
        const h = Buffer.alloc(11);
        h[0] = type;
        h.writeUIntBE(Math.max(0, body.length + lie), 1, 3);
        h.writeUIntBE(ts & 0xffffff, 4, 3);
        h[7] = ts >>> 24;
        const back = Buffer.alloc(4);
        back.writeUInt32BE(11 + body.length, 0);
        return Buffer.concat([h, body, back]);
      }),
    ),
  );

const peerMessage: fc.Arbitrary<RtmpMessage> = fc
  .tuple(
    fc.integer({ min: 3, max: 8 }),
    fc.oneof(
      { weight: 4, arbitrary: fc.tuple(fc.constantFrom(20, 17), commandPayload) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(1, 2, 3, 4, 5, 6), bytes(12)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant(22), aggregatePayload) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(8, 9, 18, 15), bytes(24)) },
      { weight: 1, arbitrary: fc.tuple(fc.nat({ max: 255 }), bytes(16)) },
    ),
    fc.nat({ max: 3 }),
    fc.nat({ max: 100_000 }),
  )
  .map(([csid, [typeId, payload], streamId, timestamp]) => {
    // Command type 17 (AMF3) starts with a 0x00 format byte before AMF0 values.
    const body = typeId === 17 ? Buffer.concat([Buffer.from([0]), payload]) : payload;
    return { csid, typeId, streamId, timestamp, payload: body };
  });

/** A peer's stream: optionally a valid connect first, then generated messages, chunked at the default size. */
const peerStream = fc.tuple(fc.boolean(), fc.array(peerMessage, { maxLength: 8 })).map(([connectFirst, msgs]) => {
  const enc = new ChunkEncoder();
  const parts: Buffer[] = [];
  if (connectFirst) parts.push(enc.encodeMessage({ csid: 3, typeId: 20, streamId: 0, timestamp: 0, payload: encodeAmf0('connect', 1, { app: 'live', tcUrl: 'rtmp://h/live' }) }));
  for (const m of msgs) parts.push(enc.encodeMessage(m));
  return Buffer.concat(parts);
});

const hostileStream = fc.oneof({ weight: 3, arbitrary: peerStream }, { weight: 2, arbitrary: mutated(peerStream) });

/** Feeds `data` to a session; typed errors only; replies at most a fixed size per message and per push. */
function sessionProperty(side: 'client' | 'server', data: Buffer, cuts: number[]): void {
  const client = side === 'client' ? new ClientSession() : undefined;
  const server = side === 'server' ? new ServerSession() : undefined;
  if (client) {
    client.begin();
    client.connect({ app: 'live', tcUrl: 'rtmp://h/live' });
    client.call('createStream', null);
  }
  let replied = 0;
  let pushes = 0;
  for (const piece of pieces(data, cuts)) {
    pushes++;
    const r = guarded(`${side} session handleInput`, () => (client ? client.handleInput(piece) : server!.handleInput(piece)));
    if (!r.ok) return;
    replied += r.value.out.reduce((n, b) => n + b.length, 0);
  }
  // Each incoming message can cause one small reply (ack, ping response, window size, _result).
  check(replied <= 64 * (pushes + data.length / 11 + 1), `${side} session replied ${replied} bytes to ${data.length}`);
}

export const sessionProperties: NamedProperty[] = [
  prop('session.client-hostile-server', 300, [hostileStream, splits], (data, cuts) => sessionProperty('client', data, cuts)),
  prop('session.server-hostile-client', 300, [hostileStream, splits], (data, cuts) => sessionProperty('server', data, cuts)),
];
