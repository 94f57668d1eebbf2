/**
 * A scripted RTMP server on 127.0.0.1 built from the project's own codecs,
 * for session and client tests that need exact control over what a server
 * says (refusals, garbage, silence, odd orderings). By default it answers as
 * nginx-rtmp does; a script overrides any step.
 */
import net from 'node:net';
import { encodeAmf0 } from '../../src/amf/amf0.js';
import type { AmfValue } from '../../src/amf/value.js';
import { ChunkDecoder } from '../../src/rtmp/chunk-decoder.js';
import { ChunkEncoder } from '../../src/rtmp/chunk-encoder.js';
import { decodeCommand, type Command } from '../../src/rtmp/commands.js';
import * as control from '../../src/rtmp/control.js';
import { MessageType, UserControlEvent, type RtmpMessage } from '../../src/rtmp/message.js';
import type { MediaPacket } from '../../src/media/packet.js';

export type HandshakeMode = 'normal' | 'http' | 'silent' | 'close' | 'garbage';

export interface FakeScript {
  handshake?: HandshakeMode;
  /** Return true when handled; otherwise the default (nginx-like) answer is given. */
  onCommand?: (conn: FakeConnection, cmd: Command, msg: RtmpMessage) => boolean | void;
  onMessage?: (conn: FakeConnection, msg: RtmpMessage) => void;
  /** Chunk size the server announces (default 4096). */
  chunkSize?: number;
  /** Window acknowledgement size announced (default 5,000,000 like nginx-rtmp). */
  windowAckSize?: number;
}

export class FakeConnection {
  readonly received: RtmpMessage[] = [];
  readonly commands: Command[] = [];
  private readonly enc = new ChunkEncoder(128);
  constructor(readonly socket: net.Socket) {}

  send(msg: RtmpMessage): void {
    if (this.socket.destroyed) return;
    for (const b of this.enc.encode(msg)) this.socket.write(b);
    if (msg.typeId === MessageType.SetChunkSize) this.enc.setChunkSize(msg.payload.readUInt32BE(0));
  }

  command(streamId: number, name: string, txn: number, obj: AmfValue, ...args: AmfValue[]): void {
    this.send({ csid: 3, typeId: MessageType.CommandAmf0, timestamp: 0, streamId, payload: encodeAmf0(name, txn, obj, ...args) });
  }

  status(streamId: number, level: string, code: string, description = ''): void {
    this.command(streamId, 'onStatus', 0, null, { level, code, description });
  }

  userControl(event: UserControlEvent, streamId: number): void {
    const payload = Buffer.alloc(6);
    payload.writeUInt16BE(event, 0);
    payload.writeUInt32BE(streamId, 2);
    this.send({ csid: 2, typeId: MessageType.UserControl, timestamp: 0, streamId: 0, payload });
  }

  media(streamId: number, p: MediaPacket): void {
    this.send({ csid: p.type === 9 ? 6 : p.type === 8 ? 4 : 5, typeId: p.type, timestamp: p.timestamp, streamId, payload: p.payload });
  }
}

export interface FakeServer {
  port: number;
  url(app: string, stream: string): string;
  connections: FakeConnection[];
  close(): Promise<void>;
}

/** Starts the fake server on a free loopback port. */
export async function startFakeServer(script: FakeScript = {}): Promise<FakeServer> {
  const connections: FakeConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    handle(socket, script, connections);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: (app, stream) => `rtmp://127.0.0.1:${port}/${app}/${stream}`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function handle(socket: net.Socket, script: FakeScript, connections: FakeConnection[]): void {
  const mode = script.handshake ?? 'normal';
  if (mode === 'http') {
    socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    return;
  }
  if (mode === 'garbage') {
    socket.once('data', () => socket.write(Buffer.from([0x07, 1, 2, 3, 4, 5])));
    return;
  }
  if (mode === 'close') {
    socket.once('data', () => socket.destroy());
    return;
  }
  if (mode === 'silent') return;
  let buf = Buffer.alloc(0);
  let stage: 'c0c1' | 'c2' | 'chunks' = 'c0c1';
  const conn = new FakeConnection(socket);
  connections.push(conn);
  const decoder = new ChunkDecoder();
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (stage === 'c0c1' && buf.length >= 1537) {
      const c1 = buf.subarray(1, 1537);
      const s1 = Buffer.alloc(1536);
      s1.fill(7, 8);
      socket.write(Buffer.concat([Buffer.from([3]), s1, c1]));
      buf = buf.subarray(1537);
      stage = 'c2';
    }
    if (stage === 'c2' && buf.length >= 1536) {
      buf = buf.subarray(1536);
      stage = 'chunks';
    }
    if (stage === 'chunks' && buf.length > 0) {
      const input = buf;
      buf = Buffer.alloc(0);
      let msgs: RtmpMessage[];
      try {
        msgs = decoder.push(input);
      } catch {
        socket.destroy();
        return;
      }
      for (const m of msgs) onMessage(conn, m, script);
    }
  });
}

function onMessage(conn: FakeConnection, msg: RtmpMessage, script: FakeScript): void {
  conn.received.push(msg);
  script.onMessage?.(conn, msg);
  if (msg.typeId !== MessageType.CommandAmf0) return;
  const cmd = decodeCommand(msg);
  conn.commands.push(cmd);
  if (script.onCommand?.(conn, cmd, msg)) return;
  switch (cmd.name) {
    case 'connect':
      conn.send(control.windowAckSize(script.windowAckSize ?? 5_000_000));
      conn.send(control.setPeerBandwidth(5_000_000, 2));
      conn.send(control.setChunkSize(script.chunkSize ?? 4096));
      conn.command(0, '_result', cmd.transactionId, { fmsVer: 'FMS/3,0,1,123', capabilities: 31 }, {
        level: 'status',
        code: 'NetConnection.Connect.Success',
        description: 'Connection succeeded.',
        objectEncoding: 0,
      });
      return;
    case 'createStream':
      conn.command(0, '_result', cmd.transactionId, null, 1);
      return;
    case 'publish':
      conn.status(msg.streamId, 'status', 'NetStream.Publish.Start', 'Start publishing');
      return;
    case 'play':
      conn.userControl(UserControlEvent.StreamBegin, msg.streamId);
      conn.status(msg.streamId, 'status', 'NetStream.Play.Start', 'Start live');
      return;
    default:
      return;
  }
}

/** A script whose server answers `command` (publish, play...) with an error onStatus carrying `code` on that stream. */
export function refuseWithStatus(command: string, code: string, description: string): FakeScript {
  return {
    onCommand: (conn, cmd, msg) => {
      if (cmd.name !== command) return false;
      conn.status(msg.streamId, 'error', code, description);
      return true;
    },
  };
}
