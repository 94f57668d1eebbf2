/**
 * FLV input: a file, stdin, or any Readable (such as ffmpeg's stdout),
 * streamed through the pure FlvReader. Memory stays bounded by the read
 * size plus one tag: the file is never loaded whole.
 */
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { addAbortSignal, type Readable } from 'node:stream';
import { debuglog } from 'node:util';
import { AbortedError, IoError, isRtmpError } from '../errors.js';
import type { Limits } from '../limits.js';
import type { MediaPacket } from '../media/packet.js';
import { FlvReader, type FlvEvent } from '../flv/reader.js';

const debug = debuglog('rtmp');

/** Read size for files: large reads keep most payloads inside one chunk (no copy). */
export const FLV_READ_CHUNK = 256 * 1024;

/** What the FLV header announced. */
export interface FlvHeaderInfo {
  hasAudio: boolean;
  hasVideo: boolean;
}

/** Options for readFlvPackets / readFlvStream. */
export interface FlvSourceOptions {
  /** Called for each tolerated problem (bad PreviousTagSize, unknown tag, truncated end). Defaults to NODE_DEBUG=rtmp output. */
  onWarning?: (message: string, offset: number) => void;
  /** Called once with the header's flags, before the first packet. */
  onHeader?: (info: FlvHeaderInfo) => void;
  /** Stops reading; the generator then throws AbortedError. */
  signal?: AbortSignal;
  limits?: Partial<Limits>;
}

/** Describes a failed open/read in one line that names the path. */
export function describeIoError(verb: string, path: string, err: unknown): IoError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'ENOENT'
      ? 'no such file or directory'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'ENOTDIR'
            ? 'a parent of it is not a directory'
            : code === 'ENOSPC'
              ? 'no space left on device'
              : code === 'EPIPE'
                ? 'the reading end of the pipe was closed'
                : ((err as Error | undefined)?.message ?? String(err));
  return new IoError(`cannot ${verb} '${path}': ${reason}`, { cause: err });
}

/**
 * Yields the media packets of an FLV file (`'-'` reads stdin). Throws
 * IoError naming the path if it cannot be opened or read, FlvFormatError or
 * LimitError for unusable input (after yielding every packet before the
 * fault), AbortedError when `signal` aborts.
 */
export async function* readFlvPackets(input: string, opts: FlvSourceOptions = {}): AsyncGenerator<MediaPacket> {
  if (input === '-') {
    yield* readFlvStream(process.stdin, opts, 'stdin');
    return;
  }
  if (opts.signal?.aborted) throw new AbortedError();
  let handle: FileHandle;
  try {
    handle = await open(input, 'r');
  } catch (err) {
    throw describeIoError('open', input, err);
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw describeIoError('read', input, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw isRtmpError(err) ? err : describeIoError('read', input, err);
  }
  // The stream owns the handle from here and closes it when done or destroyed.
  const stream = createReadStream('', { fd: handle, highWaterMark: FLV_READ_CHUNK });
  yield* readFlvStream(stream, opts, input);
}

/**
 * Yields the media packets of an FLV byte stream. `name` is used in error
 * messages. The stream is destroyed if the consumer stops early or on error
 * (for-await does that).
 */
export async function* readFlvStream(stream: Readable, opts: FlvSourceOptions = {}, name = 'input'): AsyncGenerator<MediaPacket> {
  const reader = new FlvReader(opts.limits ? { limits: opts.limits } : {});
  const onWarning = opts.onWarning ?? ((message: string, offset: number) => debug('flv warning at %d: %s', offset, message));
  if (opts.signal) {
    if (opts.signal.aborted) {
      stream.destroy();
      throw new AbortedError();
    }
    addAbortSignal(opts.signal, stream);
  }

  function* deliver(events: FlvEvent[]): Generator<MediaPacket> {
    for (const ev of events) {
      if (ev.kind === 'tag') yield ev.packet;
      else if (ev.kind === 'warning') onWarning(ev.message, ev.offset);
      else opts.onHeader?.({ hasAudio: ev.hasAudio, hasVideo: ev.hasVideo });
    }
  }

  try {
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      yield* deliver(reader.push(buf));
    }
  } catch (err) {
    if (opts.signal?.aborted) throw new AbortedError();
    if (isRtmpError(err)) throw err;
    throw describeIoError('read', name, err);
  }
  yield* deliver(reader.end());
}
