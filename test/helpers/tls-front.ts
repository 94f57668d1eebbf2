/**
 * TLS for the rtmps:// tests: a private CA and server certificates made
 * with openssl in a temporary directory, and a TLS front on 127.0.0.1 that
 * terminates TLS and pipes the bytes to a plain RTMP server (nginx-rtmp).
 * Debian's nginx has no `stream` module here, hence a front in Node.
 */
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { runOk } from './peers.js';

/** The CA and the server certificates (PEM file paths) of one test run. */
export interface TestPki {
  /** The CA certificate, for --ca-file. */
  caFile: string;
  /** Valid now, for IP 127.0.0.1 and DNS localhost. */
  good: { key: string; cert: string };
  /** Valid now, but only for DNS other.example. */
  wrongHost: { key: string; cert: string };
  /** For 127.0.0.1 and localhost, but expired on 2020-01-02. */
  expired: { key: string; cert: string };
}

const CA_CONF = `[ca]
default_ca = test
[test]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
`;

/**
 * Makes a CA and three server certificates in `dir` (EC P-256: fast).
 * `openssl ca` signs them, because its -startdate/-enddate can back-date
 * a certificate on OpenSSL 3.0, where `x509 -not_before` does not exist yet.
 */
export async function makeTestPki(dir: string): Promise<TestPki> {
  const opts = { cwd: dir, timeoutMs: 15_000 };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await writeFile(path.join(dir, 'ca.cnf'), CA_CONF);
  await writeFile(path.join(dir, 'index.txt'), '');
  await writeFile(path.join(dir, 'serial'), '01\n');
  await runOk('openssl', ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=rtmp-toolkit test CA'], opts);
  const issue = async (name: string, san: string, dates: string[]): Promise<{ key: string; cert: string }> => {
    await runOk('openssl', ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`, '-addext', `subjectAltName=${san}`], opts);
    await runOk('openssl', ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${name}.csr`, '-out', `${name}.pem`, '-notext', ...dates], opts);
    return { key: path.join(dir, `${name}.key`), cert: path.join(dir, `${name}.pem`) };
  };
  return {
    caFile: path.join(dir, 'ca.pem'),
    good: await issue('good', 'IP:127.0.0.1,DNS:localhost', ['-days', '2']),
    wrongHost: await issue('wrong-host', 'DNS:other.example', ['-days', '2']),
    expired: await issue('expired', 'IP:127.0.0.1,DNS:localhost', ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']),
  };
}

export interface TlsFront {
  port: number;
  /** The SNI server name of each TLS connection accepted (undefined: none sent). */
  serverNames: Array<string | undefined>;
  close(): Promise<void>;
}

/** A TLS server on 127.0.0.1 (free port) presenting `cert`, piping each connection to 127.0.0.1:`targetPort`. */
export async function startTlsFront(cert: { key: string; cert: string }, targetPort: number): Promise<TlsFront> {
  const serverNames: Array<string | undefined> = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key: await readFile(cert.key), cert: await readFile(cert.cert) }, (client) => {
    serverNames.push(client.servername || undefined);
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  // Failed TLS handshakes (the point of several tests) are not errors of the front.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    serverNames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
