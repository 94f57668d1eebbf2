/**
 * A loopback TCP proxy the tests control, for fault scenarios: cut every
 * connection now, refuse new ones, cut a connection after N bytes, stall
 * (stop forwarding, keep the connections open), add latency, or re-fragment
 * everything into 1-byte segments.
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
  /** While true, nothing is forwarded in either direction (connections stay open). */
  stalled: boolean;
  /** Delay added to every forwarded chunk, in ms. */
  latencyMs: number;
  /** Forward every byte as its own TCP segment (no-delay, one write per byte). */
  fragment: boolean;
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
    // A peer that ends gracefully: forward what is queued, then end the other side.
    // Errors and cutAll() destroy both sides at once.
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', () => pairs.delete(pair));
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    let sent = 0;
    const limit = proxy.cutAfterBytes;
    /** Forwards in order, honouring stall, latency and fragmenting, with backpressure. */
    const pipe = (from: net.Socket, to: net.Socket): ((d: Buffer) => void) => {
      const queue: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      let ended = false;
      const flush = (): void => {
        timer = undefined;
        if (to.destroyed) return;
        if (proxy.stalled) {
          timer = setTimeout(flush, 20);
          return;
        }
        let ok = true;
        for (const d of queue.splice(0)) {
          if (proxy.fragment) for (let i = 0; i < d.length; i++) ok = to.write(d.subarray(i, i + 1));
          else ok = to.write(d);
        }
        if (!ok) from.pause();
        if (ended) to.end();
      };
      to.on('drain', () => from.resume());
      from.on('end', () => {
        ended = true;
        timer ??= setTimeout(flush, proxy.latencyMs);
      });
      return (d) => {
        queue.push(d);
        timer ??= setTimeout(flush, proxy.latencyMs);
      };
    };
    const toServer = pipe(client, upstream);
    const toClient = pipe(upstream, client);
    client.on('data', (d: Buffer) => {
      sent += d.length;
      if (limit !== undefined && sent > limit) {
        upstream.write(d.subarray(0, d.length - (sent - limit)));
        drop();
        return;
      }
      toServer(d);
    });
    upstream.on('data', (d: Buffer) => toClient(d));
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
    stalled: false,
    latencyMs: 0,
    fragment: false,
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
