/**
 * A loopback TCP proxy the tests control, for fault scenarios: cut every
 * connection now, refuse new ones, or cut a connection after N bytes.
 * Listens on 127.0.0.1 only; every socket is destroyed on close().
 */
import net from 'node:net';

export interface FaultProxy {
  port: number;
  /** rtmp://127.0.0.1:<proxy port>/<app>/<stream> */
  url(app: string, stream: string): string;
  /** Destroys every open connection (both sides). */
  cutAll(): void;
  /** While true, new connections are closed at once. */
  refuse: boolean;
  /** When set, each new connection is cut after this many bytes from client to server. */
  cutAfterBytes: number | undefined;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted++;
    client.on('error', () => {});
    if (proxy.refuse) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: targetHost, port: targetPort });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    let sent = 0;
    const limit = proxy.cutAfterBytes;
    client.on('data', (d: Buffer) => {
      sent += d.length;
      if (limit !== undefined && sent > limit) {
        upstream.write(d.subarray(0, d.length - (sent - limit)));
        drop();
        return;
      }
      if (!upstream.write(d)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (d: Buffer) => {
      if (!client.write(d)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const proxy: FaultProxy = {
    port,
    url: (app, stream) => `rtmp://127.0.0.1:${port}/${app}/${stream}`,
    cutAll: () => {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    refuse: false,
    cutAfterBytes: undefined,
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        proxy.cutAll();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
