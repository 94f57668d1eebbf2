/**
 * node-media-server (a devDependency) as a test peer: started in its own
 * process on a free 127.0.0.1 port with a private data directory, stopped
 * by pid. It sends players no end-of-stream signal when a publisher leaves,
 * so players of it end with --idle-timeout.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { after, before, type TestContext } from 'node:test';
import { freePort, peerAvailable, repoRoot, startProcess, tempDir, waitForPort, type ChildHandle } from './peers.js';

export interface NmsServer {
  port: number;
  url(app: string, stream: string): string;
  /** What it logged (complete once it has stopped). */
  log(): string;
  stop(): Promise<void>;
}

/** True when node-media-server is installed; otherwise skips `t` (fails under CI=true). */
export function requireNms(t: TestContext): boolean {
  if (nmsAvailable()) return true;
  if (process.env['CI'] === 'true') throw new Error('node-media-server is missing from node_modules (npm ci installs it)');
  t.skip('node-media-server not installed: npm ci');
  return false;
}

/**
 * For a describe() block of ffmpeg-made media sent through node-media-server:
 * a temporary directory and one server for the block (when ffmpeg and the
 * server are installed; tests check with requirePeer/requireNms), both gone
 * after it. Read `dir` and `nms` inside tests, once the hooks have run.
 */
export function nmsSuite(prefix: string): { readonly dir: string; readonly nms: NmsServer | undefined } {
  const state: { dir: string; nms: NmsServer | undefined } = { dir: '', nms: undefined };
  before(async () => {
    if (!peerAvailable('ffmpeg')) return;
    state.dir = await tempDir(prefix);
    if (nmsAvailable()) state.nms = await startNms();
  });
  after(async () => {
    await state.nms?.stop();
    if (state.dir) await rm(state.dir, { recursive: true, force: true });
  });
  return state;
}

/** True when node_modules holds node-media-server. */
export function nmsAvailable(): boolean {
  try {
    createRequire(path.join(repoRoot, 'package.json')).resolve('node-media-server');
    return true;
  } catch {
    return false;
  }
}

const LAUNCHER = `
const NodeMediaServer = require('node-media-server');
const [port, dir, auth] = process.argv.slice(1);
new NodeMediaServer({ bind: '127.0.0.1', rtmp: { port: Number(port) }, store: { path: dir }, auth: JSON.parse(auth) }, '').run();
`;

/** node-media-server's signed-URL check (auth.publish / auth.play with auth.secret). */
export interface NmsAuth {
  publish?: boolean;
  play?: boolean;
  secret: string;
}

/**
 * The `sign` query node-media-server 4.4.3 accepts (broadcast_server.js
 * verifyAuth): `<expiry unix seconds>-<md5 hex of "/app/stream-<expiry>-<secret>">`.
 */
export function nmsSign(app: string, stream: string, secret: string, expiresAt = Math.floor(Date.now() / 1000) + 3600): string {
  return `${expiresAt}-${createHash('md5').update(`/${app}/${stream}-${expiresAt}-${secret}`).digest('hex')}`;
}

export async function startNms(opts: { auth?: NmsAuth } = {}): Promise<NmsServer> {
  const port = await freePort();
  const dir = await tempDir('nms');
  const child: ChildHandle = startProcess(process.execPath, ['-e', LAUNCHER, String(port), dir, JSON.stringify(opts.auth ?? {})], {
    timeoutMs: 120_000,
    cwd: repoRoot,
  });
  let output = '';
  void child.done.then((r) => (output = r.stdout.toString() + r.stderr));
  if (!(await waitForPort(port))) {
    await child.stop();
    throw new Error(`node-media-server did not listen on 127.0.0.1:${port} within 10 s:\n${output}`);
  }
  return {
    port,
    url: (app, stream) => `rtmp://127.0.0.1:${port}/${app}/${stream}`,
    log: () => output,
    stop: async () => {
      await child.stop();
    },
  };
}
