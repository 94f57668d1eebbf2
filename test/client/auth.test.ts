/**
 * RtmpClient's authentication loop against servers that misbehave: one that
 * asks for credentials for ever, one that wants an authmod we do not speak,
 * one whose rejection is not about authentication. Every answer goes on a new
 * TCP connection, and the loop always ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtmpClient } from '../../src/client/rtmp-client.js';
import { AuthError, RemoteStatusError } from '../../src/errors.js';
import { startFakeServer, type FakeServer } from '../helpers/fake-server.js';

const quick = { timeoutMs: 1500 };

/** A server that rejects every connect with `description` (as FMS: _error, then it closes). */
function rejecting(description: (app: string) => string): Promise<FakeServer> {
  return startFakeServer({
    onCommand: (conn, cmd) => {
      if (cmd.name !== 'connect') return false;
      const app = String((cmd.commandObject as Record<string, unknown>)['app']);
      conn.command(0, '_error', cmd.transactionId, null, { level: 'error', code: 'NetConnection.Connect.Rejected', description: description(app) });
      conn.socket.end();
      return true;
    },
  });
}

const apps = (s: FakeServer): string[] => s.connections.map((c) => String((c.commands[0]?.commandObject as Record<string, unknown>)['app']));

test('a server that keeps asking for credentials without a challenge: an AuthError, not a loop', async (t) => {
  const server = await rejecting(() => '[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : ');
  t.after(() => server.close());
  await assert.rejects(RtmpClient.connect(server.url('live', 'k'), { ...quick, auth: { user: 'u', password: 'p' } }), (e: unknown) => {
    assert.ok(e instanceof AuthError, String(e));
    assert.equal(e.reason, 'invalid');
    assert.match(e.message, /asked for authmod=adobe credentials again without a challenge/);
    return true;
  });
  assert.deepEqual(apps(server), ['live?authmod=adobe&user=u']);
});

test('a server that answers every response with a new challenge: AuthError after the one answer, not a loop', async (t) => {
  let n = 0;
  const server = await rejecting(() => `[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=needauth&user=u&salt=s${n}&challenge=c${n}&opaque=o${n++}`);
  t.after(() => server.close());
  await assert.rejects(RtmpClient.connect(server.url('live', 'k'), { ...quick, auth: { user: 'u', password: 'p' } }), /did not accept our response/);
  assert.equal(server.connections.length, 2, 'one TCP connection per attempt');
  assert.match(apps(server)[1]!, /^live\?authmod=adobe&user=u&challenge=[0-9a-f]{8}&response=[^&]+&opaque=o0$/);
});

test('an authmod we do not speak, and a demand for credentials we were not given, are AuthErrors', async (t) => {
  const kerberos = await rejecting(() => '[ AccessManager.Reject ] : [ code=403 need auth; authmod=kerberos ] : ');
  t.after(() => kerberos.close());
  await assert.rejects(RtmpClient.connect(kerberos.url('live', 'k'), { ...quick, auth: { user: 'u', password: 'p' } }), (e: unknown) => e instanceof AuthError && e.reason === 'unsupported');
  const adobe = await rejecting(() => '[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : ');
  t.after(() => adobe.close());
  await assert.rejects(RtmpClient.connect(adobe.url('live', 'k'), quick), (e: unknown) => e instanceof AuthError && e.reason === 'nocredentials');
  assert.equal(adobe.connections.length, 1);
});

test('a rejection that is not about authentication stays a RemoteStatusError, with no retry', async (t) => {
  const server = await rejecting(() => 'Application not found');
  t.after(() => server.close());
  await assert.rejects(RtmpClient.connect(server.url('nope', 'k'), { ...quick, auth: { user: 'u', password: 'p' } }), (e: unknown) => e instanceof RemoteStatusError && e.status === 'NetConnection.Connect.Rejected');
  assert.equal(server.connections.length, 1);
});

test('credentials in the URL are percent-decoded before they are used', async (t) => {
  const server = await rejecting(() => '?reason=nosuchuser');
  t.after(() => server.close());
  await assert.rejects(RtmpClient.connect(`rtmp://us%40er:p%3Aw@127.0.0.1:${server.port}/live/k`, quick), /refused authentication as 'us@er': no such user/);
  assert.deepEqual(apps(server), ['live?authmod=adobe&user=us%40er']);
});
