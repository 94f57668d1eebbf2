import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adobeAnswerQuery,
  adobeResponse,
  appendQuery,
  llnwAnswerQuery,
  llnwResponse,
  parseAuthReject,
  parseQuery,
} from '../../../src/rtmp/auth.js';
import { ConnectAuth } from '../../../src/client/auth.js';
import { AuthError } from '../../../src/errors.js';

// Vectors computed with Python's hashlib/base64 from the formulas (not with our code):
//   h1 = b64(md5("alice" + "c2FsdHk=" + "S3cret")) = "u7kxNCg6cx9G4G3m7eIkpw=="
//   b64(md5(h1 + "T0ken" + "0a1b2c3d"))            = "qvBYYE2jrYLXSs0/WBMExw=="
//   llnw: HA1 = md5("alice:live:S3cret"), HA2 = md5("publish:/live/_definst_"),
//         md5(HA1:abc123:00000001:0a1b2c3d:auth:HA2) = "3af14ab3ffb715bfe96b3b5e63ac662c"
//         with app "live/inst", HA2 = md5("publish:/live/inst") → "2f860db61e2effc0a6d4df9d8292465b"
test('adobe response: base64 of md5 over the salted password hash, the server token and our challenge', () => {
  assert.equal(adobeResponse('alice', 'S3cret', 'c2FsdHk=', 'T0ken', '0a1b2c3d'), 'qvBYYE2jrYLXSs0/WBMExw==');
});

test('llnw response: RFC 2617 digest, realm live, method publish, _definst_ only for an app without an instance', () => {
  assert.equal(llnwResponse('alice', 'S3cret', 'live', 'abc123', '0a1b2c3d'), '3af14ab3ffb715bfe96b3b5e63ac662c');
  assert.equal(llnwResponse('alice', 'S3cret', 'live/inst', 'abc123', '0a1b2c3d'), '2f860db61e2effc0a6d4df9d8292465b');
});

test('answer queries: the opaque is preferred over the challenge and echoed; llnw carries nonce, cnonce and nc', () => {
  const withOpaque = adobeAnswerQuery('alice', 'S3cret', { salt: 'c2FsdHk=', challenge: 'other', opaque: 'T0ken' }, '0a1b2c3d');
  assert.equal(withOpaque, 'authmod=adobe&user=alice&challenge=0a1b2c3d&response=qvBYYE2jrYLXSs0/WBMExw==&opaque=T0ken');
  const challengeOnly = adobeAnswerQuery('alice', 'S3cret', { salt: 'c2FsdHk=', challenge: 'T0ken' }, '0a1b2c3d');
  assert.equal(challengeOnly, 'authmod=adobe&user=alice&challenge=0a1b2c3d&response=qvBYYE2jrYLXSs0/WBMExw==');
  assert.equal(
    llnwAnswerQuery('alice', 'S3cret', 'live', { nonce: 'abc123' }, '0a1b2c3d'),
    'authmod=llnw&user=alice&nonce=abc123&cnonce=0a1b2c3d&nc=00000001&response=3af14ab3ffb715bfe96b3b5e63ac662c',
  );
});

test('parseAuthReject reads Adobe Media Server and Limelight rejection texts', () => {
  const R = '[ AccessManager.Reject ] : ';
  assert.deepEqual(parseAuthReject(`${R}[ code=403 need auth; authmod=adobe ] : `), { kind: 'need-auth', authmod: 'adobe' });
  assert.deepEqual(parseAuthReject(`${R}[ code=403 need auth; authmod=llnw ] : `), { kind: 'need-auth', authmod: 'llnw' });
  assert.deepEqual(parseAuthReject(`${R}[ authmod=adobe ] : ?reason=needauth&user=alice&salt=s+/=&challenge=c&opaque=o`), {
    kind: 'challenge',
    authmod: 'adobe',
    params: { reason: 'needauth', user: 'alice', salt: 's+/=', challenge: 'c', opaque: 'o' },
  });
  assert.deepEqual(parseAuthReject(`${R}[ authmod=adobe ] : ?reason=authfailed&opaque=xyz`), { kind: 'failed', authmod: 'adobe', reason: 'authfailed' });
  assert.deepEqual(parseAuthReject(`${R}[ authmod=llnw ] : ?reason=nosuchuser`), { kind: 'failed', authmod: 'llnw', reason: 'nosuchuser' });
  assert.deepEqual(parseAuthReject('?reason=invalid'), { kind: 'failed', authmod: undefined, reason: 'invalid' });
  // A challenge without authmod= is known by its fields.
  assert.deepEqual(parseAuthReject('?reason=needauth&user=a&salt=s&challenge=c'), { kind: 'challenge', authmod: 'adobe', params: { reason: 'needauth', user: 'a', salt: 's', challenge: 'c' } });
  assert.deepEqual(parseAuthReject('?reason=needauth&nonce=n'), { kind: 'challenge', authmod: 'llnw', params: { reason: 'needauth', nonce: 'n' } });
  assert.deepEqual(parseAuthReject('?reason=needauth'), { kind: 'failed', authmod: undefined, reason: 'needauth' });
  assert.deepEqual(parseAuthReject(`${R}[ code=403 need auth; authmod=kerberos ] : `), { kind: 'unsupported', authmod: 'kerberos' });
  assert.equal(parseAuthReject('Connection rejected: no such application'), undefined);
  assert.equal(parseAuthReject(''), undefined);
});

test('parseQuery keeps values raw and ignores __proto__', () => {
  const q = parseQuery('a=1&b=x+y/z==&&c&__proto__=bad');
  assert.deepEqual({ ...q }, { a: '1', b: 'x+y/z==', c: '' });
  assert.equal(Object.getPrototypeOf(q), Object.prototype);
});

test('appendQuery keeps tokens already in the app or tcUrl', () => {
  assert.equal(appendQuery('live', 'authmod=adobe&user=a'), 'live?authmod=adobe&user=a');
  assert.equal(appendQuery('live?token=abc', 'authmod=adobe&user=a'), 'live?token=abc&authmod=adobe&user=a');
  assert.equal(appendQuery('rtmp://h/live', ''), 'rtmp://h/live');
});

const need = (mod: string): string => `[ AccessManager.Reject ] : [ code=403 need auth; authmod=${mod} ] : `;
const challenge = '[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=needauth&user=alice&salt=c2FsdHk=&challenge=x&opaque=T0ken';

test('ConnectAuth: adobe start, answer, then a refused answer is an AuthError', () => {
  const auth = new ConnectAuth({ user: 'alice', password: 'S3cret' }, 'live', 'h:1', () => '0a1b2c3d');
  assert.equal(auth.query, 'authmod=adobe&user=alice');
  assert.equal(auth.onReject('NetConnection.Connect.Rejected: unknown app'), false, 'not about auth');
  assert.equal(auth.onReject(challenge), true);
  assert.equal(auth.query, 'authmod=adobe&user=alice&challenge=0a1b2c3d&response=qvBYYE2jrYLXSs0/WBMExw==&opaque=T0ken');
  assert.throws(() => auth.onReject(challenge), (e: unknown) => e instanceof AuthError && e.code === 'RTMP_ERR_AUTH' && /did not accept our response/.test(e.message));
});

test('ConnectAuth: a server asking for llnw gets llnw; failures name the reason', () => {
  const auth = new ConnectAuth({ user: 'alice', password: 'S3cret' }, 'live', 'h:1', () => '0a1b2c3d');
  assert.equal(auth.onReject(need('llnw')), true);
  assert.equal(auth.query, 'authmod=llnw&user=alice');
  assert.throws(() => auth.onReject(need('llnw')), /asked for authmod=llnw credentials again/);
  const a2 = new ConnectAuth({ user: 'alice', password: 'x' }, 'live', 'h:1');
  assert.throws(
    () => a2.onReject('[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=authfailed&opaque='),
    (e: unknown) => e instanceof AuthError && e.reason === 'authfailed' && e.message === "h:1 refused authentication as 'alice': wrong user name or password (reason=authfailed)",
  );
  assert.throws(() => a2.onReject('?reason=nosuchuser'), /no such user \(reason=nosuchuser\)/);
  assert.throws(() => a2.onReject(need('kerberos')), /authmod=kerberos, which is not supported/);
});

test('ConnectAuth: without credentials there is no query, and a demand for them says how to give them', () => {
  const auth = new ConnectAuth(undefined, 'live', 'h:1');
  assert.equal(auth.query, '');
  assert.throws(() => auth.onReject(need('adobe')), (e: unknown) => e instanceof AuthError && e.reason === 'nocredentials' && /--user and --password/.test(e.message));
});

test('any rejection text from a server: ConnectAuth answers, declines or throws an AuthError — never anything else, never for ever', async () => {
  const fc = (await import('fast-check')).default;
  const piece = fc.constantFrom('authmod=adobe', 'authmod=llnw', 'authmod=x', '?reason=needauth', '?reason=authfailed', '&salt=', '&nonce=', '&opaque=', '&challenge=', 'code=403 need auth', ' ', '&', '=', '?');
  const description = fc.oneof(fc.string({ maxLength: 200 }), fc.array(fc.oneof(piece, fc.string({ maxLength: 8 })), { maxLength: 12 }).map((a) => a.join('')));
  fc.assert(
    fc.property(fc.array(description, { minLength: 1, maxLength: 8 }), fc.boolean(), (descriptions, withCreds) => {
      const auth = new ConnectAuth(withCreds ? { user: 'u', password: 'p' } : undefined, 'live', 'h:1', () => '01234567');
      let retries = 0;
      for (const d of descriptions) {
        try {
          if (!auth.onReject(d)) return;
          retries++;
          assert.ok(retries <= 3, 'at most three connects after the first');
        } catch (e) {
          assert.ok(e instanceof AuthError, String(e));
          return;
        }
      }
    }),
    { numRuns: 2000 },
  );
});
