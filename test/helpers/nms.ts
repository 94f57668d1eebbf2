/**
 * node-media-server (a devDependency) as a test peer: started in its own
 * process on a free 127.0.0.1 port with a private data directory, stopped
 * by pid. It sends players no end-of-stream signal when a publisher leaves,
 * so players of it end with --idle-timeout.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { freePort, repoRoot, startProcess, tempDir, waitForPort, type ChildHandle } from './peers.js';

export interface NmsServer {
  port: number;
  url(app: string, stream: string): string;
  /** What it logged (complete once it has stopped). */
  log(): string;
  stop(): Promise<void>;
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

/** Gate a test on node-media-server: skipped without it, except with CI=true, where it fails. */
export function requireNms(t: TestContext): boolean {
  if (nmsAvailable()) return true;
  if (process.env['CI'] === 'true') throw new Error('node-media-server is missing from node_modules (npm ci installs it)');
  t.skip('node-media-server not installed: npm ci');
  return false;
}

const LAUNCHER = `
const NodeMediaServer = require('node-media-server');
const [port, dir] = process.argv.slice(1);
new NodeMediaServer({ bind: '127.0.0.1', rtmp: { port: Number(port) }, store: { path: dir } }, '').run();
`;

export async function startNms(): Promise<NmsServer> {
  const port = await freePort();
  const dir = await tempDir('nms');
  const child: ChildHandle = startProcess(process.execPath, ['-e', LAUNCHER, String(port), dir], {
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
