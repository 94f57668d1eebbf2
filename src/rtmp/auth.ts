/**
 * RTMP connect authentication as Adobe Media Server (authmod=adobe) and
 * Limelight (authmod=llnw) define it, pure: reading the server's rejection,
 * computing responses, building the query that goes after the app name.
 *
 * The exchange (as ffmpeg's rtmpproto.c and librtmp clients perform it):
 * 1. connect with `app?authmod=adobe&user=U` (app and tcUrl both carry it);
 * 2. the server rejects with a description such as
 *    `[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=needauth&user=U&salt=S&challenge=C&opaque=O`
 *    (or, to a connect without credentials, `[ code=403 need auth; authmod=adobe ]`);
 * 3. connect again, on a new TCP connection, with
 *    `app?authmod=adobe&user=U&challenge=C2&response=R&opaque=O`, where
 *    R = base64(md5(base64(md5(U + S + password)) + (O or C) + C2)) and C2 is
 *    the client's own random challenge.
 * Limelight answers step 1 with `?reason=needauth&nonce=N` and expects an
 * HTTP-digest-like response (RFC 2617, qop=auth, realm "live", method "publish").
 */
import { createHash } from 'node:crypto';

/** The authentication schemes we speak. */
export type AuthMod = 'adobe' | 'llnw';

/** What a connect rejection says about authentication. */
export type AuthReject =
  /** The server wants credentials with this authmod (`code=403 need auth`). */
  | { kind: 'need-auth'; authmod: AuthMod }
  /** The server's challenge (`reason=needauth` with salt/challenge/opaque or nonce). */
  | { kind: 'challenge'; authmod: AuthMod; params: Record<string, string> }
  /** The server refused the credentials: `authfailed`, `nosuchuser`, `invalid` or another reason. */
  | { kind: 'failed'; authmod: AuthMod | undefined; reason: string }
  /** An authmod we do not speak (the name as the server wrote it). */
  | { kind: 'unsupported'; authmod: string };

/**
 * Reads a connect rejection's description; undefined when it says nothing
 * about authentication (an ordinary rejection).
 */
export function parseAuthReject(description: string): AuthReject | undefined {
  const mod = /authmod=([A-Za-z0-9_-]+)/.exec(description)?.[1];
  const query = /\?(reason=[^\s]*)/.exec(description)?.[1];
  const params = query ? parseQuery(query) : {};
  const reason = params['reason'];
  if (mod === undefined && reason === undefined) return undefined;
  // A challenge that does not name its authmod is known by its fields: a salt is adobe's, a nonce Limelight's.
  const inferred = params['salt'] !== undefined ? 'adobe' : params['nonce'] !== undefined ? 'llnw' : undefined;
  const authmod = mod === 'adobe' || mod === 'llnw' ? mod : mod === undefined ? inferred : undefined;
  if (reason !== undefined && reason !== 'needauth') return { kind: 'failed', authmod, reason };
  if (mod !== undefined && authmod === undefined) return { kind: 'unsupported', authmod: mod };
  if (authmod === undefined) return { kind: 'failed', authmod, reason: reason ?? 'unknown' };
  if (reason === 'needauth') return { kind: 'challenge', authmod, params };
  return { kind: 'need-auth', authmod };
}

/** `a=1&b=2` → { a: '1', b: '2' }; values are kept as written (servers send them unencoded). */
export function parseQuery(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (key === '__proto__') continue;
    out[key] = eq < 0 ? '' : part.slice(eq + 1);
  }
  return out;
}

function md5(...parts: string[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p, 'utf8');
  return h.digest();
}

/**
 * The adobe response: base64(md5(base64(md5(user + salt + password)) + token + clientChallenge)),
 * where token is the server's opaque when it sent one, else its challenge (as ffmpeg does).
 */
export function adobeResponse(user: string, password: string, salt: string, token: string, clientChallenge: string): string {
  const hash1 = md5(user, salt, password).toString('base64');
  return md5(hash1, token, clientChallenge).toString('base64');
}

/** Limelight's fixed digest parameters. */
export const LLNW = { realm: 'live', method: 'publish', qop: 'auth', nc: '00000001' } as const;

/**
 * The Limelight response: HTTP digest with qop=auth.
 * HA1 = md5(user:live:password), HA2 = md5(publish:/app), where an app
 * without an instance gets `/_definst_`; response = md5(HA1:nonce:nc:cnonce:auth:HA2), hex.
 */
export function llnwResponse(user: string, password: string, app: string, nonce: string, cnonce: string, nc: string = LLNW.nc): string {
  const ha1 = md5(user, ':', LLNW.realm, ':', password).toString('hex');
  const ha2 = md5(LLNW.method, ':/', app, app.includes('/') ? '' : '/_definst_').toString('hex');
  return md5(ha1, ':', nonce, ':', nc, ':', cnonce, ':', LLNW.qop, ':', ha2).toString('hex');
}

/** Appends a query to an app name or tcUrl: `?` when it has none yet, else `&` (tokens already there are kept). */
export function appendQuery(base: string, query: string): string {
  if (query === '') return base;
  return `${base}${base.includes('?') ? '&' : '?'}${query}`;
}

/** The query of the first authenticated connect: `authmod=adobe&user=U`. */
export function authStartQuery(authmod: AuthMod, user: string): string {
  return `authmod=${authmod}&user=${encodeURIComponent(user)}`;
}

/** The query answering an adobe challenge. */
export function adobeAnswerQuery(user: string, password: string, params: Record<string, string>, clientChallenge: string): string {
  const salt = params['salt'] ?? '';
  const opaque = params['opaque'];
  const token = opaque ?? params['challenge'] ?? '';
  const response = adobeResponse(user, password, salt, token, clientChallenge);
  let q = `${authStartQuery('adobe', user)}&challenge=${clientChallenge}&response=${response}`;
  if (opaque !== undefined) q += `&opaque=${opaque}`;
  return q;
}

/** The query answering a Limelight nonce; `app` is the application name without any query. */
export function llnwAnswerQuery(user: string, password: string, app: string, params: Record<string, string>, cnonce: string): string {
  const nonce = params['nonce'] ?? '';
  const response = llnwResponse(user, password, app, nonce, cnonce);
  return `${authStartQuery('llnw', user)}&nonce=${nonce}&cnonce=${cnonce}&nc=${LLNW.nc}&response=${response}`;
}

/** Plain words for a server's auth failure reason. */
export function explainAuthReason(reason: string): string {
  switch (reason) {
    case 'authfailed':
      return 'wrong user name or password';
    case 'nosuchuser':
      return 'no such user';
    case 'invalid':
      return 'the server found the authentication request invalid';
    case 'needauth':
      return 'the server did not accept our response';
    default:
      return `the server refused authentication (reason=${reason})`;
  }
}
