import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RtmpClient } from '../../src/client/rtmp-client.js';
import { startPublish } from '../../src/pipeline/publish.js';
import { UserControlEvent } from '../../src/rtmp/message.js';
import { refuseWithStatus, startFakeServer } from '../helpers/fake-server.js';

const quick = { timeoutMs: 1500 };

test('connect, createStream and publish against a scripted server, in FMLE order', async () => {
  const server = await startFakeServer();
  try {
    const client = await RtmpClient.connect(server.url('live', 'key1'), { ...quick, role: 'publish' });
    assert.equal(client.connectResult?.information?.code, 'NetConnection.Connect.Success');
    const stream = await startPublish(client, 'key1', 'live');
    assert.equal(stream.id, 1);
    stream.write({ type: 9, timestamp: 0, payload: Buffer.from([0x17, 0, 0, 0, 0, 1, 2]) });
    await stream.unpublish();
    await client.close();
    const names = server.connections[0]!.commands.map((c) => c.name);
    assert.deepEqual(names.slice(0, 5), ['connect', 'releaseStream', 'FCPublish', 'createStream', 'publish']);
    // After unpublish: FCUnpublish and deleteStream.
    await waitFor(() => server.connections[0]!.commands.some((c) => c.name === 'deleteStream'));
    assert.ok(names.length >= 5);
    const connect = server.connections[0]!.commands[0]!;
    const obj = connect.commandObject as Record<string, unknown>;
    assert.equal(obj['app'], 'live');
    assert.equal(obj['tcUrl'], `rtmp://127.0.0.1:${server.port}/live`);
    assert.equal(obj['type'], 'nonprivate');
    assert.match(String(obj['flashVer']), /^FMLE\/3\.0/);
  } finally {
    await server.close();
  }
});

test('a refused publish is a RemoteStatusError carrying the server status code', async () => {
  const server = await startFakeServer(refuseWithStatus('publish', 'NetStream.Publish.BadName', 'Already publishing'));
  try {
    const client = await RtmpClient.connect(server.url('live', 'taken'), quick);
    await assert.rejects(startPublish(client, 'taken', 'live'), (e: Error & { code?: string; status?: string }) => {
      assert.equal(e.code, 'RTMP_ERR_REMOTE_STATUS');
      assert.equal(e.status, 'NetStream.Publish.BadName');
      assert.match(e.message, /BadName.*Already publishing/);
      return true;
    });
    client.destroy();
  } finally {
    await server.close();
  }
});

test('a rejected connect (_error) names the app and the status code', async () => {
  const server = await startFakeServer({
    onCommand: (conn, cmd) => {
      if (cmd.name !== 'connect') return false;
      conn.command(0, '_error', cmd.transactionId, null, { level: 'error', code: 'NetConnection.Connect.Rejected', description: 'no such app' });
      return true;
    },
  });
  try {
    await assert.rejects(RtmpClient.connect(server.url('nope', 'k'), quick), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'RTMP_ERR_REMOTE_STATUS');
      assert.match(e.message, /rejected connect to app 'nope': NetConnection\.Connect\.Rejected \(no such app\)/);
      return true;
    });
  } finally {
    await server.close();
  }
});

test('handshake failures are typed: HTTP answer, garbage version, closed, silent server', async () => {
  const cases: Array<[Parameters<typeof startFakeServer>[0], string, RegExp]> = [
    [{ handshake: 'http' }, 'RTMP_ERR_HANDSHAKE', /HTTP/],
    [{ handshake: 'garbage' }, 'RTMP_ERR_HANDSHAKE', /version/],
    [{ handshake: 'close' }, 'RTMP_ERR_HANDSHAKE', /closed the connection during the RTMP handshake/],
    [{ handshake: 'silent' }, 'RTMP_ERR_TIMEOUT', /handshake/],
  ];
  for (const [script, code, re] of cases) {
    const server = await startFakeServer(script);
    try {
      await assert.rejects(RtmpClient.connect(server.url('live', 'k'), { timeoutMs: 300 }), (e: Error & { code?: string }) => {
        assert.equal(e.code, code, `${script?.handshake}: ${e.message}`);
        assert.match(e.message, re);
        return true;
      });
    } finally {
      await server.close();
    }
  }
});

test('a refused TCP connection is a ConnectionError naming the address', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  await assert.rejects(RtmpClient.connect(`rtmp://127.0.0.1:${port}/live/k`, quick), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'RTMP_ERR_CONNECTION');
    assert.match(e.message, new RegExp(`refused by 127\\.0\\.0\\.1:${port}`));
    return true;
  });
});

test('a server that never answers createStream hits the step timeout', async () => {
  const server = await startFakeServer({ onCommand: (_c, cmd) => cmd.name === 'createStream' });
  try {
    const client = await RtmpClient.connect(server.url('live', 'k'), { timeoutMs: 300 });
    await assert.rejects(client.createStream(), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'RTMP_ERR_TIMEOUT');
      assert.match(e.message, /createStream/);
      return true;
    });
    client.destroy();
  } finally {
    await server.close();
  }
});

test('play yields media until StreamEOF, as nginx-rtmp ends a live stream', async () => {
  const server = await startFakeServer({
    onCommand: (conn, cmd, msg) => {
      if (cmd.name !== 'play') return false;
      conn.userControl(UserControlEvent.StreamBegin, msg.streamId);
      conn.status(msg.streamId, 'status', 'NetStream.Play.Start', 'Start live');
      for (let i = 0; i < 5; i++) conn.media(msg.streamId, { type: 9, timestamp: i * 40, payload: Buffer.from([i === 0 ? 0x17 : 0x27, 1, 0, 0, 0, i]) });
      conn.userControl(UserControlEvent.StreamEof, msg.streamId);
      return true;
    },
  });
  try {
    const client = await RtmpClient.connect(server.url('live', 'k'), quick);
    // A player's connect carries capabilities and codec masks; play and Set Buffer Length follow createStream.
    const connect = server.connections[0]!.commands[0]!.commandObject as Record<string, unknown>;
    assert.deepEqual(
      [connect['flashVer'], connect['fpad'], connect['capabilities'], connect['audioCodecs'], connect['videoCodecs'], connect['videoFunction']],
      ['LNX 9,0,124,2', false, 15, 4071, 252, 1],
    );
    const stream = await client.createStream();
    await stream.play('k', { bufferMs: 1000 });
    const conn = server.connections[0]!;
    const play = conn.commands.find((c) => c.name === 'play');
    assert.deepEqual([play?.args[0], play?.args[1], play?.args[2], play?.args[3]], ['k', -2, -1, true]);
    const buffer = conn.received.find((m) => m.typeId === 4 && m.payload.readUInt16BE(0) === 3);
    assert.ok(buffer, 'Set Buffer Length sent');
    assert.deepEqual([buffer.payload.readUInt32BE(2), buffer.payload.readUInt32BE(6)], [stream.id, 1000]);
    const got: number[] = [];
    for await (const p of stream.packets()) got.push(p.timestamp);
    assert.deepEqual(got, [0, 40, 80, 120, 160]);
    assert.deepEqual(stream.end, { reason: 'eof' });
    await client.close();
  } finally {
    await server.close();
  }
});

test('play of a missing stream rejects with Play.StreamNotFound', async () => {
  const server = await startFakeServer(refuseWithStatus('play', 'NetStream.Play.StreamNotFound', 'No such stream'));
  try {
    const client = await RtmpClient.connect(server.url('vod', 'nope.flv'), quick);
    const stream = await client.createStream();
    await assert.rejects(stream.play('nope.flv'), (e: Error & { status?: string }) => {
      assert.equal(e.status, 'NetStream.Play.StreamNotFound');
      assert.match(e.message, /no such stream/);
      return true;
    });
    client.destroy();
  } finally {
    await server.close();
  }
});

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('over a long play the client acknowledges every window the server announced', async () => {
  const WINDOW = 100_000;
  const server = await startFakeServer({
    windowAckSize: WINDOW,
    onCommand: (conn, cmd, msg) => {
      if (cmd.name !== 'play') return false;
      conn.userControl(UserControlEvent.StreamBegin, msg.streamId);
      conn.status(msg.streamId, 'status', 'NetStream.Play.Start', 'Start live');
      // 2.5 MB of video: 25 windows.
      for (let i = 0; i < 250; i++) conn.media(msg.streamId, { type: 9, timestamp: i * 40, payload: Buffer.alloc(10_000, i === 0 ? 0x17 : 0x27) });
      conn.userControl(UserControlEvent.StreamEof, msg.streamId);
      return true;
    },
  });
  try {
    const client = await RtmpClient.connect(server.url('live', 'k'), quick);
    const stream = await client.createStream();
    await stream.play('k');
    let n = 0;
    for await (const p of stream.packets()) n += p.payload.length > 0 ? 1 : 0;
    assert.equal(n, 250);
    // Acknowledgements are computed after each socket read (up to 64 KiB), so each comes
    // one window, rounded up to a read, after the previous one.
    const READ = 65_536;
    const acksOf = (): number[] => server.connections[0]!.received.filter((m) => m.typeId === 3).map((m) => m.payload.readUInt32BE(0));
    await waitFor(() => (acksOf().at(-1) ?? 0) >= client.bytesReceived - WINDOW - READ);
    const acks = acksOf();
    assert.ok(acks.length >= Math.floor(2_500_000 / (WINDOW + READ)), `only ${acks.length} acknowledgements`);
    // The first answers the announcement at once; then one per window.
    for (let i = 2; i < acks.length; i++) {
      const step = acks[i]! - acks[i - 1]!;
      assert.ok(step >= WINDOW && step < WINDOW + READ, `step ${step} in ${acks.join(',')}`);
    }
    assert.ok(acks.at(-1)! <= client.bytesReceived);
    await client.close();
  } finally {
    await server.close();
  }
});
