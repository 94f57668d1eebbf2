/**
 * TLS for rtmps://: the trust store (the system's CA bundle — Node's bundled
 * roots where there is none — and an optional extra CA), SNI and host name verification, and TLS
 * failures explained in one line that names the URL.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { TlsError } from '../errors.js';

/** TLS settings of an rtmps:// connection; verification is on unless `insecure`. */
export interface TlsOptions {
  /** Extra CA certificates (PEM) trusted besides the system ones, e.g. from `--ca-file`. */
  ca?: string | Buffer | undefined;
  /** Skip certificate and host name verification (`--insecure`). */
  insecure?: boolean | undefined;
}

/** What the TLS handshake agreed on and what the server presented, for `probe`. */
export interface TlsDetails {
  protocol: string | null;
  cipher: string;
  /** True when the certificate chain and host name verified. */
  authorized: boolean;
  subject?: string;
  issuer?: string;
  /** The certificate's notAfter, ISO 8601. */
  validTo?: string;
}

/** Where Linux distributions and macOS keep the system CA bundle; the first one found is used. */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

let systemCas: string[] | undefined;

/** The system CA bundle (read once), or Node's bundled Mozilla roots where there is none. */
function defaultCas(): string[] {
  if (systemCas === undefined) {
    for (const file of SYSTEM_BUNDLES) {
      try {
        systemCas = [readFileSync(file, 'latin1')];
        break;
      } catch {
        // not this system's path
      }
    }
    systemCas ??= [...tls.rootCertificates];
  }
  return systemCas;
}

/** Parsing ~150 CA certificates takes ~100 ms: one context per extra CA, for the whole process. */
const contexts = new Map<string, tls.SecureContext>();

function secureContext(extra: string | Buffer | undefined): tls.SecureContext {
  const key = extra === undefined ? '' : extra.toString('latin1');
  let ctx = contexts.get(key);
  if (!ctx) {
    ctx = tls.createSecureContext({ ca: extra !== undefined ? [...defaultCas(), extra] : defaultCas() });
    contexts.set(key, ctx);
  }
  return ctx;
}

/**
 * Options for `tls.connect` over an already connected TCP socket. Node does
 * not reject an unverified server itself (`rejectUnauthorized: false`):
 * the caller checks `authorized` on secureConnect, when the certificate is
 * still there to explain the failure (its dates, its names). Nothing is sent
 * before that check.
 */
export function tlsConnectOptions(host: string, opts: TlsOptions): tls.ConnectionOptions {
  const out: tls.ConnectionOptions = {
    // The name the certificate must match (Node's default would be 'localhost').
    host,
    rejectUnauthorized: false,
    secureContext: secureContext(opts.ca),
  };
  // SNI carries host names only (RFC 6066 section 3); Node checks IP addresses against the IP SANs.
  if (isIP(host) === 0) out.servername = host;
  return out;
}

/** Codes OpenSSL and Node use for a chain that ends in a CA we do not trust. */
const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** Turns a TLS failure into one line naming `url` (scheme, host and port: no stream key). */
export function describeTlsError(err: NodeJS.ErrnoException & { reason?: string; cert?: tls.PeerCertificate }, url: string, host: string): TlsError {
  const code = err.code ?? '';
  const cert = err.cert;
  let text: string;
  if (code === 'CERT_HAS_EXPIRED') {
    text = `the TLS certificate of ${url} has expired${cert?.valid_to ? ` (valid until ${cert.valid_to})` : ''}`;
  } else if (code === 'CERT_NOT_YET_VALID') {
    text = `the TLS certificate of ${url} is not valid yet${cert?.valid_from ? ` (valid from ${cert.valid_from})` : ''}`;
  } else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = cert?.subjectaltname ? ` (it is for ${cert.subjectaltname})` : '';
    text = `the TLS certificate of ${url} is not valid for host '${host}'${names}`;
  } else if (UNKNOWN_CA.has(code)) {
    text = `the TLS certificate of ${url} is signed by an unknown certificate authority (${code}); trust its CA with --ca-file <pem>, or skip verification with --insecure`;
  } else if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(err.message)) {
    text = `TLS handshake with ${url} failed: the server does not answer with TLS (plain RTMP? try rtmp://)`;
  } else if (code === 'ECONNRESET' || code === 'EPIPE') {
    text = `TLS handshake with ${url} failed: the server closed the connection`;
  } else {
    text = `TLS handshake with ${url} failed: ${err.reason ?? err.message}${code ? ` (${code})` : ''}`;
  }
  return new TlsError(text, code, { cause: err });
}

/** Protocol, cipher and certificate of an established TLS connection. */
export function tlsDetails(socket: tls.TLSSocket): TlsDetails {
  const out: TlsDetails = { protocol: socket.getProtocol(), cipher: socket.getCipher().name, authorized: socket.authorized };
  const cert = socket.getPeerCertificate();
  if (cert && Object.keys(cert).length > 0) {
    out.subject = formatName(cert.subject);
    out.issuer = formatName(cert.issuer);
    const to = new Date(cert.valid_to);
    if (!Number.isNaN(to.getTime())) out.validTo = to.toISOString();
  }
  return out;
}

function formatName(name: tls.Certificate | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}
