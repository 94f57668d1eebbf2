/**
 * Records one publish to `<dir>/<name>-<YYYYMMDD-HHMMSS>.flv` with the
 * FlvFileSink. The file is created exclusively (never overwritten: a
 * `-1`, `-2`... suffix is added when the name is taken), packets that
 * arrive while it is being created wait in a bounded queue, and a write
 * error ends the recording, never the stream.
 */
import path from 'node:path';
import { IoError } from '../errors.js';
import type { MediaPacket } from '../media/packet.js';
import { FlvFileSink, type FlvFileSinkSummary } from '../pipeline/flv-file-sink.js';

/** Bytes queued while the file is being created before the recording is given up. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

/** Suffixes tried after the plain name before giving up. */
const MAX_SUFFIX = 999;

/** Characters kept from a stream name in a file name; others become `_`. */
const UNSAFE = /[^A-Za-z0-9._-]/g;

/** What a recorder reports to its owner. */
export interface RecorderEvents {
  /** The file was created. */
  onOpen(path: string): void;
  /** The recording ended early (cannot create, write failed); the stream goes on. */
  onError(error: IoError): void;
}

/** `name` made safe as a file name component: no separators, no leading dot, bounded length. */
export function recordingBaseName(name: string): string {
  let safe = name.replace(UNSAFE, '_').slice(0, 100);
  if (safe === '' || safe.startsWith('.')) safe = `_${safe}`;
  return safe;
}

/** Local time as YYYYMMDD-HHMMSS. */
export function recordingStamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Creates `<dir>/<base>.flv`, else `<base>-1.flv`, `<base>-2.flv`... without ever replacing a file. */
async function createExclusive(dir: string, base: string): Promise<FlvFileSink> {
  for (let i = 0; i <= MAX_SUFFIX; i++) {
    const file = path.join(dir, i === 0 ? `${base}.flv` : `${base}-${i}.flv`);
    try {
      return await FlvFileSink.open(file);
    } catch (e) {
      const code = ((e as IoError).cause as NodeJS.ErrnoException | undefined)?.code;
      if (code !== 'EEXIST') throw e;
    }
  }
  throw new IoError(`cannot create a recording for '${base}' in '${dir}': ${MAX_SUFFIX + 1} files of that name exist`);
}

/** One recording in progress. */
export class Recorder {
  /** The file's path once created. */
  path: string | undefined;
  private sink: FlvFileSink | undefined;
  private pending: MediaPacket[] | undefined = [];
  private pendingBytes = 0;
  private failed = false;
  private readonly opening: Promise<void>;
  private closing: Promise<FlvFileSinkSummary | undefined> | undefined;

  constructor(dir: string, name: string, private readonly events: RecorderEvents, now = new Date()) {
    this.opening = createExclusive(dir, `${recordingBaseName(name)}-${recordingStamp(now)}`).then(
      (sink) => {
        this.sink = sink;
        this.path = sink.path;
        this.events.onOpen(sink.path);
        const queued = this.pending ?? [];
        this.pending = undefined;
        for (const p of queued) this.toSink(sink, p);
      },
      (e: unknown) => this.fail(e instanceof IoError ? e : new IoError(`cannot create a recording in '${dir}': ${String(e)}`, { cause: e })),
    );
  }

  /** Appends one packet (the payload is not copied). */
  write(packet: MediaPacket): void {
    if (this.failed || this.closing) return;
    if (this.pending) {
      this.pending.push(packet);
      this.pendingBytes += packet.payload.length;
      if (this.pendingBytes > MAX_PENDING_BYTES) {
        this.fail(new IoError(`recording gave up: the file was not created before ${MAX_PENDING_BYTES} bytes of media arrived`));
      }
      return;
    }
    if (this.sink) this.toSink(this.sink, packet);
  }

  private toSink(sink: FlvFileSink, packet: MediaPacket): void {
    if (this.failed) return;
    sink.write(packet).catch((e: unknown) => this.fail(e instanceof IoError ? e : new IoError(String(e), { cause: e })));
  }

  /** Finalizes the file (duration and size patched in); resolves with its summary, or undefined if there is none. */
  close(): Promise<FlvFileSinkSummary | undefined> {
    this.closing ??= this.opening.then(async () => {
      if (!this.sink) return undefined;
      try {
        return await this.sink.close();
      } catch (e) {
        this.fail(e instanceof IoError ? e : new IoError(String(e), { cause: e }));
        return undefined;
      }
    });
    return this.closing;
  }

  private fail(error: IoError): void {
    if (this.failed) return;
    this.failed = true;
    this.pending = undefined;
    this.events.onError(error);
    // What was written so far stays a valid FLV.
    this.sink?.close().catch(() => undefined);
  }
}
