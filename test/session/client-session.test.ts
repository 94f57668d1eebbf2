import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAmf0 } from '../../src/amf/amf0.js';
import { ChunkDecoder } from '../../src/rtmp/chunk-decoder.js';
import { ChunkEncoder } from '../../src/rtmp/chunk-encoder.js';
import * as control from '../../src/rtmp/control.js';
import { decodeCommand } from '../../src/rtmp/commands.js';
import { MessageType, UserControlEvent, type RtmpMessage } from '../../src/rtmp/message.js';
import { ClientSession, type SessionEvent } from '../../src/rtmp/session.js';
import { feedByteByByte, feedRandomSplits, feedWhole, type Feeder } from '../helpers/split-feed.js';

/** Encodes what a server would send, as one byte string. */
function serverBytes(msgs: RtmpMessage[], chunkSize = 128): Buffer {
  const enc = new ChunkEncoder(chunkSize);
  return Buffer.concat(msgs.flatMap((m) => enc.encode(m)));
}

function cmd(streamId: number, ...values: Parameters<typeof encodeAmf0>): RtmpMessage {
  return { csid: 3, typeId: MessageType.CommandAmf0, timestamp: 0, streamId, payload: encodeAmf0(...values) };
}

/** Adapts the session to the split feeders: collects events and outbound bytes. */
function run(session: ClientSession, data: Buffer, feed: Feeder): { events: SessionEvent[]; out: Buffer } {
  const outs: Buffer[] = [];
  const events = feed({ push: (b: Buffer) => { const r = session.handleInput(b); outs.push(...r.out); return r.events; } }, data);
  return { events, out: Buffer.concat(outs) };
}

/** Messages a client sent, decoded. */
function sent(bytes: Buffer): RtmpMessage[] {
  return new ChunkDecoder().push(bytes);
}

const feeders: Array<[string, Feeder]> = [['whole', feedWhole], ['byte by byte', feedByteByByte], ['random splits', feedRandomSplits(7)]];

for (const [name, feed] of feeders) {
  test(`connect _result, onBWDone and createStream results are matched to their requests (${name})`, () => {
    const s = new ClientSession({ chunkSize: 4096 });
    // One decoder sees all client output in order, as the server would.
    const wire = new ChunkDecoder();
    const begin = wire.push(Buffer.concat(s.begin()));
    assert.deepEqual(begin.map((m) => m.typeId), [MessageType.SetChunkSize]);
    const c = s.connect({ app: 'live', tcUrl: 'rtmp://h/live' });
    const cs = s.call('createStream', null);
    const requests = wire.push(Buffer.concat([...c.out, ...cs.out])).map((m) => decodeCommand(m));
    assert.deepEqual(requests.map((r) => [r.name, r.transactionId]), [['connect', c.transactionId], ['createStream', cs.transactionId]]);
    const input = serverBytes([
      control.windowAckSize(5_000_000),
      control.setPeerBandwidth(5_000_000, 2),
      control.setChunkSize(4096),
      cmd(0, '_result', c.transactionId, { fmsVer: 'FMS/3,0,1,123' }, { level: 'status', code: 'NetConnection.Connect.Success' }),
      cmd(0, 'onBWDone', 0, null),
      cmd(0, '_result', cs.transactionId, null, 1),
    ]);
    const { events, out } = run(s, input, feed);
    const results = events.filter((e) => e.type === 'result');
    assert.equal(results.length, 2);
    assert.deepEqual(results.map((r) => r.type === 'result' && r.request), ['connect', 'createStream']);
    const other = events.find((e) => e.type === 'command');
    assert.ok(other && other.type === 'command' && other.command.name === 'onBWDone');
    // Window Acknowledgement Size is answered at once with an Acknowledgement (so the TCP ACK
    // rides on data: nginx-rtmp's Nagle-delayed replies would otherwise wait ~40 ms), and
    // Set Peer Bandwidth with our Window Acknowledgement Size (spec 5.4.5).
    const replies = wire.push(out);
    assert.deepEqual(replies.map((m) => m.typeId), [MessageType.Acknowledgement, MessageType.WindowAckSize]);
    assert.equal(replies[1]!.payload.readUInt32BE(0), 5_000_000);
    assert.equal(s.windowAckSize, 5_000_000);
    assert.equal(s.inChunkSize, 4096);
  });
}

test('acknowledgements are sent each time the server window of received bytes is reached', () => {
  const s = new ClientSession();
  s.addHandshakeBytes(3073);
  const window = 4000;
  const media = (i: number): RtmpMessage => ({ csid: 6, typeId: 9, timestamp: i * 40, streamId: 1, payload: Buffer.alloc(1000, i) });
  const input = serverBytes([control.windowAckSize(window), ...Array.from({ length: 20 }, (_, i) => media(i))]);
  const { out } = run(s, input, feedRandomSplits(3));
  const acks = sent(out).filter((m) => m.typeId === MessageType.Acknowledgement).map((m) => m.payload.readUInt32BE(0));
  // The first one answers the Window Acknowledgement Size itself: at least the handshake plus
  // that 16-byte message (more when the same read carried more).
  assert.ok(acks[0]! >= 3073 + 16 && acks[0]! < 3073 + window, `first ack ${acks[0]}`);
  // Then 20 kB of media plus headers over a 4000-byte window: at least 5 more, each a window apart, within the bytes received.
  assert.ok(acks.length >= 6, `expected >= 6 acks, got ${acks.length}`);
  for (let i = 1; i < acks.length; i++) assert.ok(acks[i]! - acks[i - 1]! >= window, `ack ${i} too early: ${acks.join(',')}`);
  assert.ok(acks.at(-1)! <= s.bytesReceived && s.bytesReceived - acks.at(-1)! < window);
});

test('a Ping Request is answered with a Ping Response carrying the same timestamp', () => {
  const s = new ClientSession();
  const payload = Buffer.alloc(6);
  payload.writeUInt16BE(UserControlEvent.PingRequest, 0);
  payload.writeUInt32BE(123456, 2);
  const { out, events } = run(s, serverBytes([{ csid: 2, typeId: 4, timestamp: 0, streamId: 0, payload }]), feedByteByByte);
  const [reply] = sent(out);
  assert.ok(reply);
  assert.equal(reply.typeId, MessageType.UserControl);
  assert.equal(reply.payload.readUInt16BE(0), UserControlEvent.PingResponse);
  assert.equal(reply.payload.readUInt32BE(2), 123456);
  assert.equal(events.length, 1);
});

test('onStatus becomes a status event with its information object; one without a code is a protocol error', () => {
  const s = new ClientSession();
  const { events } = run(s, serverBytes([cmd(1, 'onStatus', 0, null, { level: 'error', code: 'NetStream.Publish.BadName', description: 'Already publishing' })]), feedWhole);
  const ev = events[0];
  assert.ok(ev && ev.type === 'status');
  assert.equal(ev.streamId, 1);
  assert.equal(ev.info.code, 'NetStream.Publish.BadName');
  assert.equal(ev.info.level, 'error');
  assert.throws(() => s.handleInput(serverBytes([cmd(1, 'onStatus', 0, null, { level: 'status' })])), { code: 'RTMP_ERR_PROTOCOL' });
});

test('media and data messages become packets with payload and timestamps untouched; AMF3 data loses its format byte', () => {
  const s = new ClientSession();
  const input = serverBytes([
    { csid: 6, typeId: 9, timestamp: 0x1000000, streamId: 1, payload: Buffer.from([0x17, 1, 0, 0, 0, 9, 9]) },
    { csid: 4, typeId: 8, timestamp: 0x1000010, streamId: 1, payload: Buffer.from([0xaf, 1, 5]) },
    { csid: 5, typeId: 15, timestamp: 0, streamId: 1, payload: Buffer.concat([Buffer.from([0]), encodeAmf0('onMetaData', { a: 1 })]) },
  ]);
  const { events } = run(s, input, feedByteByByte);
  const packets = events.flatMap((e) => (e.type === 'media' ? [e.packet] : []));
  assert.deepEqual(packets.map((p) => [p.type, p.timestamp]), [[9, 0x1000000], [8, 0x1000010], [18, 0]]);
  assert.deepEqual([...packets[0]!.payload], [0x17, 1, 0, 0, 0, 9, 9]);
  assert.deepEqual(packets[2]!.payload, encodeAmf0('onMetaData', { a: 1 }));
});

test('aggregate messages are split into their sub-messages with rebased timestamps', () => {
  const sub = (type: number, ts: number, body: Buffer): Buffer => {
    const h = Buffer.alloc(11);
    h[0] = type;
    h.writeUIntBE(body.length, 1, 3);
    h.writeUIntBE(ts & 0xffffff, 4, 3);
    h[7] = ts >>> 24;
    const back = Buffer.alloc(4);
    back.writeUInt32BE(11 + body.length);
    return Buffer.concat([h, body, back]);
  };
  const payload = Buffer.concat([sub(9, 5000, Buffer.from([0x27, 1])), sub(8, 5020, Buffer.from([0xaf, 1])), sub(9, 5040, Buffer.from([0x27, 1]))]);
  const s = new ClientSession();
  const { events } = run(s, serverBytes([{ csid: 6, typeId: 22, timestamp: 100, streamId: 1, payload }]), feedWhole);
  const ts = events.flatMap((e) => (e.type === 'media' ? [[e.packet.type, e.packet.timestamp]] : []));
  assert.deepEqual(ts, [[9, 100], [8, 120], [9, 140]]);
  const bad = Buffer.from(payload.subarray(0, 14));
  assert.throws(() => new ClientSession().handleInput(serverBytes([{ csid: 6, typeId: 22, timestamp: 0, streamId: 1, payload: bad }])), { code: 'RTMP_ERR_PROTOCOL' });
});

test('sendMedia puts audio, video and data on their own chunk streams with the payload unchanged', () => {
  const s = new ClientSession();
  const v = Buffer.alloc(300, 1);
  const out = Buffer.concat([
    ...s.sendMedia(1, { type: 9, timestamp: 40, payload: v }),
    ...s.sendMedia(1, { type: 8, timestamp: 41, payload: Buffer.from([0xaf, 1]) }),
  ]);
  const msgs = sent(out);
  assert.deepEqual(msgs.map((m) => [m.csid, m.typeId, m.timestamp, m.streamId]), [[6, 9, 40, 1], [4, 8, 41, 1]]);
  assert.deepEqual(msgs[0]!.payload, v);
});
