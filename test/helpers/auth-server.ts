/**
 * The server side of RTMP connect authentication, scripted, in front of our
 * own RtmpServer (so media really flows): Adobe Media Server's authmod=adobe
 * and Limelight's authmod=llnw, with the rejection texts those servers send.
 * No open-source server implements them; ffmpeg's client authenticating
 * against this one is what shows it is right.
 *
 * Written from the formulas, independently of src/rtmp/auth.ts, so that a
 * mistake there cannot hide behind the same mistake here.
 */
import { createHash, randomBytes } from 'node:crypto';
import { RtmpServer, type ServerEvent } from '../../src/server/rtmp-server.js';

export type ServerAuthMod = 'adobe' | 'llnw';

/** One connect the gate judged. */
export interface GateStep {
  app: string;
  tcUrl: string | undefined;
  /** What the gate answered: a challenge step, a failure reason, or 'accepted'. */
  outcome: 'need-auth' | 'challenge' | 'accepted' | 'authfailed' | 'nosuchuser' | 'invalid';
  user?: string;
}

export interface AuthServer {
  port: number;
  /** `rtmp://[user:password@]127.0.0.1:port/app/stream` */
  url(app: string, stream: string, creds?: { user: string; password: string }): string;
  steps: GateStep[];
  events: ServerEvent[];
  /** Resolves when a player waits on (or plays) `name`. */
  waitForPlay(name: string, ms?: number): Promise<void>;
  close(): Promise<void>;
}

const REJECT = '[ AccessManager.Reject ] : ';
const MAX_SESSIONS = 64;

function md5(text: string): Buffer {
  return createHash('md5').update(text, 'utf8').digest();
}

/** `a=1&b=2`, values kept raw: base64 responses carry '+', '/' and '=' unencoded. */
function params(query: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A connect judge: undefined accepts, a string is the rejection description. */
export function authGate(authmod: ServerAuthMod, users: Record<string, string>, steps: GateStep[]): (c: { app: string; tcUrl: string | undefined }) => string | undefined {
  const sessions = new Map<string, { user: string; salt: string; challenge: string }>();
  const remember = (key: string, s: { user: string; salt: string; challenge: string }): void => {
    if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
    sessions.set(key, s);
  };
  return ({ app, tcUrl }) => {
    const q = app.indexOf('?');
    const bare = q < 0 ? app : app.slice(0, q);
    const p = params(q < 0 ? '' : app.slice(q + 1));
    const user = p.has('user') ? safeDecode(p.get('user')!) : undefined;
    const step = (outcome: GateStep['outcome'], description: string | undefined): string | undefined => {
      steps.push({ app, tcUrl, outcome, ...(user !== undefined ? { user } : {}) });
      return description;
    };
    const fail = (reason: 'authfailed' | 'nosuchuser' | 'invalid'): string | undefined => step(reason, `${REJECT}[ authmod=${authmod} ] : ?reason=${reason}&opaque=`);
    if (p.get('authmod') !== authmod || user === undefined) {
      return step('need-auth', `${REJECT}[ code=403 need auth; authmod=${authmod} ] : `);
    }
    const password = Object.hasOwn(users, user) ? users[user] : undefined;
    if (password === undefined) return fail('nosuchuser');
    const response = p.get('response');
    if (authmod === 'adobe') {
      if (response === undefined) {
        const salt = randomBytes(6).toString('base64');
        const challenge = randomBytes(6).toString('base64');
        const opaque = randomBytes(6).toString('base64');
        remember(opaque, { user, salt, challenge });
        return step('challenge', `${REJECT}[ authmod=adobe ] : ?reason=needauth&user=${user}&salt=${salt}&challenge=${challenge}&opaque=${opaque}`);
      }
      const opaque = p.get('opaque') ?? '';
      const s = sessions.get(opaque);
      const clientChallenge = p.get('challenge');
      if (!s || s.user !== user || clientChallenge === undefined) return fail('invalid');
      sessions.delete(opaque);
      const first = md5(user + s.salt + password).toString('base64');
      // Clients answer with the opaque (ffmpeg) or the challenge (Wirecast); both are right.
      const ok = [opaque, s.challenge].some((token) => md5(first + token + clientChallenge).toString('base64') === response);
      return ok ? step('accepted', undefined) : fail('authfailed');
    }
    if (response === undefined) {
      const nonce = randomBytes(8).toString('hex');
      remember(nonce, { user, salt: '', challenge: nonce });
      return step('challenge', `${REJECT}[ authmod=llnw ] : ?reason=needauth&user=${user}&nonce=${nonce}`);
    }
    const nonce = p.get('nonce') ?? '';
    const s = sessions.get(nonce);
    const cnonce = p.get('cnonce');
    const nc = p.get('nc');
    if (!s || s.user !== user || cnonce === undefined || nc === undefined) return fail('invalid');
    sessions.delete(nonce);
    const ha1 = md5(`${user}:live:${password}`).toString('hex');
    const ha2 = md5(`publish:/${bare}${bare.includes('/') ? '' : '/_definst_'}`).toString('hex');
    const want = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`).toString('hex');
    return response === want ? step('accepted', undefined) : fail('authfailed');
  };
}

/** An RtmpServer on a free 127.0.0.1 port that makes every connect authenticate. */
export async function startAuthServer(authmod: ServerAuthMod, users: Record<string, string>): Promise<AuthServer> {
  const steps: GateStep[] = [];
  const events: ServerEvent[] = [];
  const listeners = new Set<() => void>();
  const server = new RtmpServer({
    host: '127.0.0.1',
    port: 0,
    checkConnect: authGate(authmod, users, steps),
    onEvent: (ev) => {
      events.push(ev);
      for (const l of [...listeners]) l();
    },
  });
  const { port } = await server.listen();
  return {
    port,
    url: (app, stream, creds) =>
      `rtmp://${creds ? `${encodeURIComponent(creds.user)}:${encodeURIComponent(creds.password)}@` : ''}127.0.0.1:${port}/${app}/${stream}`,
    steps,
    events,
    waitForPlay: (name, ms = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): boolean => events.some((e) => e.type === 'play' && e.name === name);
        if (check()) return resolve();
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`nobody played '${name}' within ${ms} ms`));
        }, ms);
        const listener = (): void => {
          if (!check()) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve();
        };
        listeners.add(listener);
      }),
    close: () => server.close(),
  };
}
