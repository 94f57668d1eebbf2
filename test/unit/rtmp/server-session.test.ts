import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeAmf0 } from '../../../src/amf/amf0.js';
import { PacketType, type MediaPacket } from '../../../src/media/packet.js';
import { ChunkDecoder } from '../../../src/rtmp/chunk-decoder.js';
import { ChunkEncoder } from '../../../src/rtmp/chunk-encoder.js';
import { decodeCommand } from '../../../src/rtmp/commands.js';
import * as control from '../../../src/rtmp/control.js';
import { MessageType, UserControlEvent, type RtmpMessage } from '../../../src/rtmp/message.js';
import { ServerSession, type ServerSessionEvent } from '../../../src/rtmp/server-session.js';
import { ClientSession, type SessionEvent } from '../../../src/rtmp/session.js';
import { hex } from '../../helpers/hex.js';
import { everyFeeder, feedByteByByte, feedRandomSplits, feedWhole, type Feeder } from '../../helpers/split-feed.js';

const feeders: Array<[string, Feeder]> = [['whole', feedWhole], ['byte by byte', feedByteByByte], ['random splits', feedRandomSplits(11)]];

/** Feeds client bytes to the server; returns its events and replies. */
function toServer(s: ServerSession, bytes: Buffer[], feed: Feeder = feedWhole): { events: ServerSessionEvent[]; out: Buffer[] } {
  const out: Buffer[] = [];
  const events = feed({ push: (b: Buffer) => { const r = s.handleInput(b); out.push(...r.out); return r.events; } }, Buffer.concat(bytes));
  return { events, out };
}

/** Feeds server bytes to the client; returns its events and replies. */
function toClient(c: ClientSession, bytes: Buffer[], feed: Feeder = feedWhole): { events: SessionEvent[]; out: Buffer[] } {
  const out: Buffer[] = [];
  const events = feed({ push: (b: Buffer) => { const r = c.handleInput(b); out.push(...r.out); return r.events; } }, Buffer.concat(bytes));
  return { events, out };
}

/** What a client would send, chunked at 128 bytes. */
function clientBytes(msgs: RtmpMessage[]): Buffer {
  const enc = new ChunkEncoder(128);
  return Buffer.concat(msgs.flatMap((m) => enc.encode(m)));
}

function cmd(streamId: number, ...values: Parameters<typeof encodeAmf0>): RtmpMessage {
  return { csid: 3, typeId: MessageType.CommandAmf0, timestamp: 0, streamId, payload: encodeAmf0(...values) };
}

/** A connected pair: client connect accepted, one stream created. */
function connectedPair(feed: Feeder): { c: ClientSession; s: ServerSession; streamId: number } {
  const c = new ClientSession({ chunkSize: 4096 });
  const s = new ServerSession();
  const connect = c.connect({ app: 'live', tcUrl: 'rtmp://127.0.0.1/live', flashVer: 'FMLE/3.0', type: 'nonprivate' });
  const up = toServer(s, [...c.begin(), ...connect.out], feed);
  const ev = up.events.find((e) => e.type === 'connect');
  assert.ok(ev && ev.type === 'connect');
  assert.equal(ev.app, 'live');
  assert.equal(ev.tcUrl, 'rtmp://127.0.0.1/live');
  assert.equal(ev.params['flashVer'], 'FMLE/3.0');
  const down = toClient(c, [...up.out, ...s.acceptConnect(ev.transactionId)], feed);
  const result = down.events.find((e) => e.type === 'result');
  assert.ok(result && result.type === 'result' && result.ok && result.request === 'connect');
  assert.equal(c.inChunkSize, 4096);
  assert.equal(c.windowAckSize, 5_000_000);
  assert.equal(c.peerBandwidth, 5_000_000);
  // The client's Acknowledgement and Window Acknowledgement Size reach the server as control events.
  const acks = toServer(s, down.out, feed).events.map((e) => (e.type === 'control' ? e.control.type : e.type));
  assert.deepEqual(acks, ['ack', 'windowAckSize']);
  const cs = c.call('createStream', null);
  const created = toServer(s, cs.out, feed).events[0];
  assert.ok(created && created.type === 'createStream');
  const { out, streamId } = s.acceptCreateStream(created.transactionId);
  const r = toClient(c, out, feed).events[0];
  assert.ok(r && r.type === 'result' && r.request === 'createStream');
  assert.deepEqual(r.command.args, [streamId]);
  return { c, s, streamId };
}

const media: MediaPacket[] = [
  { type: PacketType.Data, timestamp: 0, payload: encodeAmf0('@setDataFrame', 'onMetaData', { width: 320 }) },
  { type: PacketType.Video, timestamp: 0, payload: Buffer.from([0x17, 0, 0, 0, 0, 1, 2, 3]) },
  { type: PacketType.Audio, timestamp: 0, payload: Buffer.from([0xaf, 0, 0x12, 0x10]) },
  { type: PacketType.Video, timestamp: 40, payload: Buffer.alloc(10_000, 0x27) }, // spans chunks of 4096 and 128
  { type: PacketType.Audio, timestamp: 0xffffff + 5, payload: Buffer.from([0xaf, 1, 9]) }, // extended timestamp
];

describe('ServerSession with our ClientSession, in memory', () => {
  for (const [name, feed] of feeders) {
    it(`connect, createStream, publish and media arrive intact (${name})`, () => {
      const { c, s, streamId } = connectedPair(feed);
      assert.equal(streamId, 1);
      const pub = toServer(s, [...c.notify('releaseStream', ['key']), ...c.notify('FCPublish', ['key']), ...c.streamCommand(streamId, 'publish', ['key', 'live'])], feed);
      assert.deepEqual(pub.events.map((e) => e.type), ['releaseStream', 'fcPublish', 'publish']);
      const p = pub.events[2];
      assert.ok(p && p.type === 'publish');
      assert.deepEqual([p.streamId, p.name, p.publishType], [streamId, 'key', 'live']);
      // releaseStream and FCPublish are settled with _result; the client sees them as results.
      const replies = toClient(c, [...pub.out, ...s.streamBegin(streamId), ...s.status(streamId, 'status', 'NetStream.Publish.Start', 'Start publishing.')], feed).events;
      assert.deepEqual(replies.map((e) => (e.type === 'result' ? e.request : e.type)), ['releaseStream', 'FCPublish', 'control', 'status']);
      const st = replies[3];
      assert.ok(st && st.type === 'status' && st.info.code === 'NetStream.Publish.Start' && st.streamId === streamId);
      const got = toServer(s, media.flatMap((m) => c.sendMedia(streamId, m)), feed).events;
      assert.deepEqual(got, media.map((packet) => ({ type: 'media', streamId, packet })));
    });

    it(`play: statuses, stream begin and media reach the client unchanged (${name})`, () => {
      const { c, s, streamId } = connectedPair(feed);
      const play = toServer(s, [...c.streamCommand(streamId, 'play', ['key', -2, -1, true]), ...c.setBufferLength(streamId, 3000)], feed).events;
      assert.deepEqual(play, [
        { type: 'play', streamId, name: 'key', start: -2, duration: -1, reset: true },
        { type: 'setBufferLength', streamId, ms: 3000 },
      ]);
      const down = [
        ...s.streamBegin(streamId),
        ...s.status(streamId, 'status', 'NetStream.Play.Reset', 'Playing and resetting stream.'),
        ...s.status(streamId, 'status', 'NetStream.Play.Start', 'Started playing stream.'),
        ...media.flatMap((m) => s.sendMedia(streamId, m)),
        ...s.status(streamId, 'status', 'NetStream.Play.UnpublishNotify', 'Stream unpublished.'),
        ...s.streamEof(streamId),
      ];
      const events = toClient(c, down, feed).events;
      const codes = events.map((e) => (e.type === 'status' ? e.info.code : e.type === 'control' && e.control.type === 'userControl' ? `uc${e.control.event}` : e.type));
      assert.deepEqual(codes, ['uc0', 'NetStream.Play.Reset', 'NetStream.Play.Start', ...media.map(() => 'media'), 'NetStream.Play.UnpublishNotify', 'uc1']);
      assert.deepEqual(events.filter((e) => e.type === 'media').map((e) => e.type === 'media' && e.packet), media);
    });
  }

  it('deleteStream frees the stream id; closeStream and FCUnpublish are reported, not answered', () => {
    const { c, s, streamId } = connectedPair(feedWhole);
    const { events: evs, out } = toServer(s, [...c.streamCommand(streamId, 'closeStream', []), ...c.notify('FCUnpublish', ['key']), ...c.streamCommand(0, 'deleteStream', [streamId])]);
    assert.deepEqual(evs.map((e) => e.type), ['closeStream', 'fcUnpublish', 'deleteStream']);
    assert.equal(out.length, 0, 'FCUnpublish is not answered: the client is hanging up');
    assert.equal(s.openStreams.size, 0);
  });
});

describe('ServerSession vectors and replies', () => {
  // connect(txn 1, {app: 'live', tcUrl: 'rtmp://h/live'}) in one chunk.
  const connectChunk = hex(
    '03 000000 00003a 14 00000000     // fmt 0 csid 3, ts 0, length 58, CommandAMF0, stream 0',
    '02 0007 636f6e6e656374           // "connect"',
    '00 3ff0000000000000              // transaction 1',
    '03                               // object',
    '0003 617070 02 0004 6c697665     //   app: "live"',
    '0005 746355726c 02 000d 72746d703a2f2f682f6c697665 // tcUrl: "rtmp://h/live"',
    '000009                           // object end',
  );

  it('decodes connect the same whole, byte by byte and split at every offset', () => {
    for (const { name, feed } of everyFeeder(connectChunk.length)) {
      const { events, out } = toServer(new ServerSession(), [connectChunk], feed);
      assert.equal(out.length, 0, name);
      assert.equal(events.length, 1, name);
      const ev = events[0];
      assert.ok(ev && ev.type === 'connect', name);
      assert.deepEqual([ev.transactionId, ev.app, ev.tcUrl, ev.objectEncoding], [1, 'live', 'rtmp://h/live', 0], name);
    }
  });

  it('acceptConnect: window 5000000, dynamic peer bandwidth, chunk size 4096 announced then applied, _result', () => {
    const s = new ServerSession();
    toServer(s, [connectChunk]);
    const wire = new ChunkDecoder();
    const msgs = wire.push(Buffer.concat([...s.acceptConnect(1), ...s.sendMedia(1, { type: PacketType.Video, timestamp: 0, payload: Buffer.alloc(4096, 1) })]));
    assert.deepEqual(msgs.map((m) => m.typeId), [5, 6, 1, 20, 9]);
    assert.equal(msgs[0]!.payload.readUInt32BE(0), 5_000_000);
    assert.deepEqual([...msgs[1]!.payload], [0x00, 0x4c, 0x4b, 0x40, 2]);
    assert.equal(msgs[2]!.payload.readUInt32BE(0), 4096);
    const result = decodeCommand(msgs[3]!);
    assert.equal(result.name, '_result');
    assert.equal(result.transactionId, 1);
    assert.deepEqual(result.commandObject, { fmsVer: 'FMS/3,0,1,123', capabilities: 31 });
    assert.deepEqual(result.args[0], { level: 'status', code: 'NetConnection.Connect.Success', description: 'Connection succeeded.', objectEncoding: 0 });
    assert.equal(wire.chunkSize, 4096);
    assert.equal(s.outChunkSize, 4096);
  });

  it('rejectConnect answers _error NetConnection.Connect.Rejected', () => {
    const s = new ServerSession();
    toServer(s, [connectChunk]);
    const [msg] = new ChunkDecoder().push(Buffer.concat(s.rejectConnect(1, 'no such app')));
    const e = decodeCommand(msg!);
    assert.equal(e.name, '_error');
    assert.deepEqual(e.args[0], { level: 'error', code: 'NetConnection.Connect.Rejected', description: 'no such app' });
  });

  it('sendMedia never copies the payload: chunk bodies are views of it', () => {
    const s = new ServerSession({ chunkSize: 128 });
    const payload = Buffer.alloc(1000, 7);
    const out = s.sendMedia(1, { type: PacketType.Video, timestamp: 0, payload });
    const bodies = out.filter((b) => b.buffer === payload.buffer);
    assert.equal(bodies.reduce((n, b) => n + b.length, 0), 1000);
  });

  it('acknowledges each window the client announced, and answers a Ping Request', () => {
    const s = new ServerSession();
    s.addHandshakeBytes(3073);
    const big = (i: number): RtmpMessage => ({ csid: 6, typeId: 9, timestamp: i * 40, streamId: 1, payload: Buffer.alloc(1000, i) });
    const pingPayload = Buffer.alloc(6);
    pingPayload.writeUInt16BE(UserControlEvent.PingRequest, 0);
    pingPayload.writeUInt32BE(4242, 2);
    const input = clientBytes([
      cmd(0, 'connect', 1, { app: 'a' }),
      control.windowAckSize(3000),
      ...Array.from({ length: 12 }, (_, i) => big(i)),
      { csid: 2, typeId: 4, timestamp: 0, streamId: 0, payload: pingPayload },
    ]);
    const { out } = toServer(s, [input], feedRandomSplits(5));
    const replies = new ChunkDecoder().push(Buffer.concat(out));
    const acks = replies.filter((m) => m.typeId === MessageType.Acknowledgement).map((m) => m.payload.readUInt32BE(0));
    assert.ok(acks.length >= 3, `acks ${acks.join(',')}`);
    for (let i = 1; i < acks.length; i++) assert.ok(acks[i]! - acks[i - 1]! >= 3000);
    assert.ok(acks.at(-1)! <= s.bytesReceived);
    const pong = replies.find((m) => m.typeId === MessageType.UserControl);
    assert.ok(pong);
    assert.equal(pong.payload.readUInt16BE(0), UserControlEvent.PingResponse);
    assert.equal(pong.payload.readUInt32BE(2), 4242);
  });

  it('AMF3 data loses its format byte; unknown commands are events, not errors', () => {
    const s = new ServerSession();
    const data = Buffer.concat([Buffer.from([0]), encodeAmf0('onTextData', { text: 'hi' })]);
    const evs = toServer(s, [clientBytes([cmd(0, 'connect', 1, { app: 'a' }), cmd(1, 'FCSubscribe', 2, null, 'x'), { csid: 5, typeId: 15, timestamp: 7, streamId: 1, payload: data }])]).events;
    assert.deepEqual(evs.map((e) => e.type), ['connect', 'command', 'media']);
    const m = evs[2];
    assert.ok(m && m.type === 'media');
    assert.deepEqual(m.packet, { type: PacketType.Data, timestamp: 7, payload: data.subarray(1) });
  });

  it('malformed requests are protocol errors; too many streams is a limit error', () => {
    const connect = cmd(0, 'connect', 1, { app: 'a' });
    const cases: Array<[RtmpMessage[], string, RegExp]> = [
      [[cmd(0, 'createStream', 1, null)], 'RTMP_ERR_PROTOCOL', /before connect/],
      [[cmd(0, 'connect', 1, null)], 'RTMP_ERR_PROTOCOL', /command object/],
      [[cmd(0, 'connect', 1, { app: 5 })], 'RTMP_ERR_PROTOCOL', /'app'/],
      [[connect, connect], 'RTMP_ERR_PROTOCOL', /second connect/],
      [[connect, cmd(1, 'publish', 0, null, 42)], 'RTMP_ERR_PROTOCOL', /stream name of publish/],
      [[connect, cmd(1, 'play', 0, null)], 'RTMP_ERR_PROTOCOL', /stream name of play/],
      [[connect, cmd(0, 'deleteStream', 0, null, 'one')], 'RTMP_ERR_PROTOCOL', /stream id of deleteStream/],
    ];
    for (const [msgs, code, re] of cases) {
      assert.throws(() => new ServerSession().handleInput(clientBytes(msgs)), (e: Error & { code?: string }) => e.code === code && re.test(e.message), re.source);
    }
    const s = new ServerSession({ maxStreams: 2 });
    toServer(s, [clientBytes([connect])]);
    s.acceptCreateStream(2);
    s.acceptCreateStream(3);
    assert.throws(() => s.acceptCreateStream(4), { code: 'RTMP_ERR_LIMIT' });
    // The default comes from limits.ts, where every limit lives.
    const fromLimits = new ServerSession({ limits: { maxStreamsPerConnection: 1 } });
    toServer(fromLimits, [clientBytes([connect])]);
    fromLimits.acceptCreateStream(2);
    assert.throws(() => fromLimits.acceptCreateStream(3), { code: 'RTMP_ERR_LIMIT', limit: 'maxStreamsPerConnection' });
  });
});
