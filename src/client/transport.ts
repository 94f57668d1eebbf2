/**
 * Opening the TCP connection (and TLS for rtmps://) and running the
 * handshake, each step under its own timeout, with socket errors turned
 * into one-line ConnectionErrors and TLS failures into TlsErrors.
 */
import net from 'node:net';
import tls from 'node:tls';
import { AbortedError, ConnectionError, HandshakeError, TimeoutError } from '../errors.js';
import { ClientHandshake, type ClientHandshakeOptions, type HandshakeInfo } from '../rtmp/handshake.js';
import { describeTlsError, tlsConnectOptions, type TlsOptions } from './tls.js';

/** Explains a socket error code in plain words, naming the address. */
export function describeSocketError(err: NodeJS.ErrnoException, where: string): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return `connection refused by ${where} (is an RTMP server listening there?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host of ${where}`;
    case 'ECONNRESET':
      return `connection reset by ${where}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} is unreachable`;
    case 'ETIMEDOUT':
      return `connection to ${where} timed out`;
    case 'EPIPE':
      return `${where} closed the connection while we were sending`;
    default:
      return `network error talking to ${where}: ${err.message}`;
  }
}

export interface OpenOptions {
  host: string;
  port: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Called when the host name has been resolved (not for IP literals). */
  onLookup?: ((address: string, family: number) => void) | undefined;
}

/**
 * Starts TLS on a connected TCP socket (rtmps://) and resolves once the
 * server's certificate has been verified (unless `insecure`).
 */
export function startTls(socket: net.Socket, opts: OpenOptions & { tls: TlsOptions }): Promise<tls.TLSSocket> {
  const hostPart = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `rtmps://${hostPart}:${opts.port}`;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      socket.destroy();
      return reject(new AbortedError());
    }
    const secure = tls.connect({ ...tlsConnectOptions(opts.host, opts.tls), socket });
    secure.setNoDelay(true);
    const timer = setTimeout(() => finish(new TimeoutError(`the TLS handshake with ${url}`, opts.timeoutMs)), opts.timeoutMs);
    const onAbort = (): void => finish(new AbortedError());
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const onError = (err: NodeJS.ErrnoException): void => finish(describeTlsError(err, url, opts.host));
    const onClose = (): void => finish(describeTlsError(Object.assign(new Error('closed'), { code: 'ECONNRESET' }), url, opts.host));
    secure.once('error', onError);
    secure.once('close', onClose);
    secure.once('secureConnect', () => {
      if (opts.tls.insecure === true || secure.authorized) return finish();
      const code = String(secure.authorizationError ?? 'UNVERIFIED');
      finish(describeTlsError(Object.assign(new Error(code), { code, cert: secure.getPeerCertificate() }), url, opts.host));
    });
    function finish(err?: Error): void {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      secure.off('error', onError);
      secure.off('close', onClose);
      if (err) {
        secure.destroy();
        socket.destroy();
        reject(err);
      } else {
        resolve(secure);
      }
    }
  });
}

/** Connects a TCP socket with no-delay set (we write whole chunked messages at once). */
export function openSocket(opts: OpenOptions): Promise<net.Socket> {
  const where = `${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new AbortedError());
    const socket = net.connect({ host: opts.host, port: opts.port });
    socket.setNoDelay(true);
    const onLookup = opts.onLookup;
    if (onLookup) {
      socket.once('lookup', (err: Error | null, address: string, family: string | number | null) => {
        if (!err) onLookup(address, typeof family === 'number' ? family : family === 'IPv6' ? 6 : 4);
      });
    }
    const timer = setTimeout(() => finish(new TimeoutError(`TCP connect to ${where}`, opts.timeoutMs)), opts.timeoutMs);
    const onAbort = (): void => finish(new AbortedError());
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const onError = (err: NodeJS.ErrnoException): void => finish(new ConnectionError(describeSocketError(err, where), { cause: err }));
    socket.once('error', onError);
    socket.once('connect', () => finish());
    function finish(err?: Error): void {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve(socket);
      }
    }
  });
}

/**
 * Runs the client handshake on a connected socket. Resolves with the bytes
 * that arrived after S2 (the start of the chunk stream) and how many bytes
 * the handshake read.
 */
export function runHandshake(
  socket: net.Socket,
  timeoutMs: number,
  where: string,
  signal?: AbortSignal,
  opts: ClientHandshakeOptions & { onWarning?: ((text: string) => void) | undefined } = {},
): Promise<{ rest: Buffer; bytesRead: number; info: HandshakeInfo }> {
  return new Promise((resolve, reject) => {
    const hs = new ClientHandshake(opts);
    let bytesRead = 0;
    const timer = setTimeout(() => finish(new TimeoutError(`the RTMP handshake with ${where}`, timeoutMs)), timeoutMs);
    const onAbort = (): void => finish(new AbortedError());
    signal?.addEventListener('abort', onAbort, { once: true });
    const onData = (data: Buffer): void => {
      try {
        const r = hs.push(data);
        for (const w of r.warnings ?? []) opts.onWarning?.(`${where}: ${w}`);
        if (r.send) socket.write(r.send);
        if (r.done) {
          const rest = r.rest ?? Buffer.alloc(0);
          bytesRead += data.length - rest.length;
          finish(undefined, rest);
        } else {
          bytesRead += data.length;
        }
      } catch (e) {
        finish(e instanceof Error ? e : new HandshakeError(String(e)));
      }
    };
    const onError = (err: NodeJS.ErrnoException): void => finish(new ConnectionError(describeSocketError(err, where), { cause: err }));
    const onClose = (): void => finish(new HandshakeError(`${where} closed the connection during the RTMP handshake`));
    socket.on('data', onData);
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.write(hs.start());
    function finish(err?: Error, rest?: Buffer): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        // Hold further input until the session's reader is attached.
        socket.pause();
        resolve({ rest: rest ?? Buffer.alloc(0), bytesRead, info: hs.info });
      }
    }
  });
}
