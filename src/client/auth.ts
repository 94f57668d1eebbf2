/**
 * The client side of connect authentication (authmod=adobe and llnw): which
 * query each connect attempt carries after the app name and tcUrl, and what a
 * rejection means — try again on a new TCP connection, or give up with an
 * AuthError. The digests and parsing are in rtmp/auth.ts.
 */
import { randomBytes } from 'node:crypto';
import { AuthError } from '../errors.js';
import {
  adobeAnswerQuery,
  authStartQuery,
  explainAuthReason,
  llnwAnswerQuery,
  parseAuthReject,
  type AuthMod,
} from '../rtmp/auth.js';

/** A user name and password for connect authentication. */
export interface Credentials {
  user: string;
  password: string;
}

/** The most connects one authentication may take: start, (switch authmod, start again,) answer. */
const MAX_ATTEMPTS = 4;

/** Eight hex digits, the shape ffmpeg's client challenge and cnonce take. */
function randomHex(): string {
  return randomBytes(4).toString('hex');
}

/**
 * One authentication, across the connects it takes: RtmpClient.connect asks
 * for `query` before each connect and hands every rejection to `onReject`.
 * At most MAX_ATTEMPTS connects, so a server that keeps asking cannot loop us.
 */
export class ConnectAuth {
  /** The query to append to app and tcUrl on the next connect ('' for none). */
  query: string;
  /** What the last rejection led to, for traces and `rtmp probe`'s steps. */
  step = '';
  private attempts = 1;
  private answered = false;
  private readonly started = new Set<AuthMod>();

  /**
   * @param creds the credentials, if any (without them a server that
   *   wants authentication gives an AuthError)
   * @param app the application name, for Limelight's digest
   * @param where `host:port`, for messages
   */
  constructor(
    private readonly creds: Credentials | undefined,
    private readonly app: string,
    private readonly where: string,
    private readonly random: () => string = randomHex,
  ) {
    // With credentials, start as ffmpeg does once a server asked: authmod=adobe with the user.
    this.query = creds ? this.start('adobe', creds.user) : '';
  }

  /**
   * After the server rejected connect with `description`: true to connect
   * again with the new `query`, false when the rejection is not about
   * authentication. Throws AuthError when authentication failed.
   */
  onReject(description: string): boolean {
    const r = parseAuthReject(description);
    if (!r) return false;
    const as = this.creds ? ` as '${this.creds.user}'` : '';
    if (r.kind === 'unsupported') {
      throw new AuthError('unsupported', r.authmod, `${this.where} asks for authmod=${r.authmod}, which is not supported (adobe and llnw are)`);
    }
    if (r.kind === 'failed') {
      throw new AuthError(r.reason, r.authmod, `${this.where} refused authentication${as}: ${explainAuthReason(r.reason)} (reason=${r.reason})`);
    }
    const creds = this.creds;
    if (!creds) {
      throw new AuthError('nocredentials', r.authmod, `${this.where} requires authentication (authmod=${r.authmod}): give a user and password (rtmp://user:password@host/app/key, or --user and --password)`);
    }
    if (this.answered || this.attempts >= MAX_ATTEMPTS) {
      throw new AuthError('authfailed', r.authmod, `${this.where} refused authentication${as}: ${explainAuthReason('needauth')}`);
    }
    this.attempts++;
    if (r.kind === 'need-auth') {
      if (this.started.has(r.authmod)) {
        throw new AuthError('invalid', r.authmod, `${this.where} asked for authmod=${r.authmod} credentials again without a challenge`);
      }
      this.query = this.start(r.authmod, creds.user);
      this.step = `the server wants authmod=${r.authmod} credentials; connecting again as '${creds.user}'`;
      return true;
    }
    this.answered = true;
    this.step = `authmod=${r.authmod} challenge; connecting again with the response`;
    this.query =
      r.authmod === 'adobe'
        ? adobeAnswerQuery(creds.user, creds.password, r.params, this.random())
        : llnwAnswerQuery(creds.user, creds.password, this.app.split('?')[0] ?? '', r.params, this.random());
    return true;
  }

  private start(authmod: AuthMod, user: string): string {
    this.started.add(authmod);
    return authStartQuery(authmod, user);
  }
}
