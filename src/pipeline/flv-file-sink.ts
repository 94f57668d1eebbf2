/**
 * FLV output to a file or stdout. Owns ordering, batching and backpressure;
 * the bytes come from the pure encoders in flv/.
 *
 * Metadata policy (what players and ffmpeg expect of a recorded file): the
 * first onMetaData becomes one metadata tag near the start of the file with
 * `duration` and `filesize` fields, which are patched in place on close
 * when the target is a regular file. If media arrives first, an empty
 * metadata tag is written before it so the file always has one.
 */
import { createWriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { asObject } from '../amf/expect.js';
import { IoError } from '../errors.js';
import { PacketType, type MediaPacket } from '../media/packet.js';
import { TimestampUnwrapper } from '../media/timestamp.js';
import type { FlvHeaderFlags } from '../flv/header.js';
import { buildMetadataForFile, ON_METADATA, parseScriptData, peekScriptDataName, stripSetDataFrame } from '../flv/script-data.js';
import { FLV_TAG_HEADER_SIZE, writeFlvTagHeader } from '../flv/tag.js';
import { encodeFlvHeader, FLV_TAG_OVERHEAD, writeFlvTagInto } from '../flv/writer.js';
import { describeIoError } from './flv-file-source.js';

/** Payloads smaller than this are copied into the batch buffer with their tag header and trailer. */
const COPY_BELOW = 1024;
/** Size of each batch buffer; segments handed to the stream are never overwritten. */
const BATCH_SIZE = 64 * 1024;
const RESOLVED: Promise<void> = Promise.resolve();

/** Options for FlvFileSink.open. */
export interface FlvFileSinkOptions {
  /** Overwrite an existing file. */
  force?: boolean;
  /** Header flags; both true by default. */
  flags?: FlvHeaderFlags;
}

/** What close() reports. */
export interface FlvFileSinkSummary {
  /** Bytes written, which is the file size. */
  bytes: number;
  /** Last minus first media timestamp (ms), across 32-bit wrap-around. */
  durationMs: number;
  /** Packets passed to write(). */
  packets: number;
}

/** Writes MediaPackets as an FLV file (or to stdout for `'-'`). */
export class FlvFileSink {
  /** The target as given (`'-'` for stdout). */
  readonly path: string;
  private readonly out: Writable;
  /** False for stdout, which is flushed but never ended. */
  private readonly isFile: boolean;
  private readonly seekable: boolean;
  private error: IoError | undefined;
  private closing: Promise<FlvFileSinkSummary> | undefined;
  private bytes = 0;
  private packets = 0;
  private pending: Buffer[] = [];
  private batch = Buffer.allocUnsafe(BATCH_SIZE);
  private batchStart = 0;
  private batchLen = 0;
  /** Absolute file offsets of the metadata doubles to patch, once written. */
  private patch: { duration: number; filesize: number } | undefined;
  private readonly unwrap = new TimestampUnwrapper();
  private firstTs: number | undefined;
  private maxTs = 0;

  private constructor(path: string, out: Writable, isFile: boolean, seekable: boolean, flags: FlvHeaderFlags) {
    this.path = path;
    this.out = out;
    this.isFile = isFile;
    this.seekable = seekable;
    // Record stream errors (ENOSPC, EPIPE) and report them from the next write/close.
    out.on('error', (err) => {
      this.error ??= describeIoError('write', path === '-' ? 'stdout' : path, err);
    });
    this.append(encodeFlvHeader(flags));
  }

  /**
   * Opens the target for writing. Refuses to replace an existing file
   * unless `force` is set. `'-'` writes to stdout, which is never patched.
   */
  static async open(target: string, opts: FlvFileSinkOptions = {}): Promise<FlvFileSink> {
    const flags = opts.flags ?? { audio: true, video: true };
    if (target === '-') return new FlvFileSink(target, process.stdout, false, false, flags);
    let handle: FileHandle;
    try {
      handle = await open(target, opts.force ? 'w' : 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new IoError(`'${target}' exists; use --force to overwrite`, { cause: err });
      }
      throw describeIoError('create', target, err);
    }
    let seekable: boolean;
    try {
      seekable = (await handle.stat()).isFile();
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw describeIoError('create', target, err);
    }
    const stream = createWriteStream('', { fd: handle, highWaterMark: 1024 * 1024 });
    return new FlvFileSink(target, stream, true, seekable, flags);
  }

  /**
   * Queues one packet. Resolves at once unless the underlying stream asks
   * for `drain`; rejects with IoError after a write error.
   */
  write(packet: MediaPacket): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.closing) return Promise.reject(new IoError(`write to '${this.path}' after close`));
    this.packets++;
    if (packet.type === PacketType.Data) {
      if (peekScriptDataName(packet.payload) === ON_METADATA) {
        const body = stripSetDataFrame(packet.payload);
        if (!this.patch) {
          this.writeMetadata(asObject(parseScriptData(body)?.value), packet.timestamp);
          return this.flush();
        }
        packet = { type: packet.type, timestamp: packet.timestamp, payload: body };
      }
    } else {
      if (!this.patch) this.writeMetadata(undefined, packet.timestamp);
      const ts = this.unwrap.next(packet.timestamp);
      if (this.firstTs === undefined) {
        this.firstTs = ts;
        this.maxTs = ts;
      } else if (ts > this.maxTs) {
        this.maxTs = ts;
      }
    }
    this.appendTag(packet);
    return this.flush();
  }

  /**
   * Flushes, closes the file and, for a regular file, patches the metadata's
   * duration (seconds) and filesize (bytes) in place. Safe to call twice.
   */
  close(): Promise<FlvFileSinkSummary> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<FlvFileSinkSummary> {
    const durationMs = this.firstTs === undefined ? 0 : this.maxTs - this.firstTs;
    const summary = { bytes: this.bytes, durationMs, packets: this.packets };
    try {
      await this.flush();
      if (this.isFile) {
        // The stream owns (and closes) the file handle; 'close' follows 'finish' or an error.
        if (!this.out.destroyed) {
          await new Promise<void>((resolve) => {
            this.out.once('close', resolve);
            this.out.end();
          });
        }
        if (this.error) throw this.error;
        if (this.seekable && this.patch) await this.patchMetadata(durationMs / 1000, this.bytes, this.patch);
      } else if (this.out.writableNeedDrain) {
        await this.waitDrain();
      }
      if (this.error) throw this.error;
    } catch (err) {
      throw err instanceof IoError ? err : describeIoError('write', this.path, err);
    }
    return summary;
  }

  /** Positioned writes of the two doubles; nothing else in the file changes. */
  private async patchMetadata(seconds: number, filesize: number, at: { duration: number; filesize: number }): Promise<void> {
    const handle = await open(this.path, 'r+');
    try {
      const d = Buffer.allocUnsafe(8);
      d.writeDoubleBE(seconds, 0);
      const f = Buffer.allocUnsafe(8);
      f.writeDoubleBE(filesize, 0);
      await handle.write(d, 0, 8, at.duration);
      await handle.write(f, 0, 8, at.filesize);
    } finally {
      await handle.close();
    }
  }

  private writeMetadata(meta: ReturnType<typeof asObject>, timestamp: number): void {
    const built = buildMetadataForFile(meta);
    const tagStart = this.bytes;
    this.appendTag({ type: PacketType.Data, timestamp, payload: built.payload });
    const body = tagStart + FLV_TAG_HEADER_SIZE;
    this.patch = { duration: body + built.durationOffset, filesize: body + built.filesizeOffset };
  }

  /** Adds a tag: small payloads are copied into the batch, large ones queued as they are. */
  private appendTag(packet: MediaPacket): void {
    const size = packet.payload.length;
    if (size < COPY_BELOW) {
      this.reserve(FLV_TAG_OVERHEAD + size);
      this.batchLen = writeFlvTagInto(this.batch, this.batchLen, packet);
    } else {
      this.reserve(FLV_TAG_HEADER_SIZE);
      writeFlvTagHeader(this.batch, this.batchLen, packet.type, size, packet.timestamp);
      this.batchLen += FLV_TAG_HEADER_SIZE;
      this.cut();
      this.pending.push(packet.payload);
      this.reserve(4);
      this.batch.writeUInt32BE(FLV_TAG_HEADER_SIZE + size, this.batchLen);
      this.batchLen += 4;
    }
    this.bytes += FLV_TAG_OVERHEAD + size;
  }

  private append(b: Buffer): void {
    this.reserve(b.length);
    this.batchLen += b.copy(this.batch, this.batchLen);
    this.bytes += b.length;
  }

  /** Makes room for `n` contiguous bytes in the batch buffer. */
  private reserve(n: number): void {
    if (this.batch.length - this.batchLen >= n) return;
    this.cut();
    this.batch = Buffer.allocUnsafe(Math.max(BATCH_SIZE, n));
    this.batchStart = 0;
    this.batchLen = 0;
  }

  /** Moves the filled part of the batch to the pending list. */
  private cut(): void {
    if (this.batchLen > this.batchStart) {
      this.pending.push(this.batch.subarray(this.batchStart, this.batchLen));
      this.batchStart = this.batchLen;
    }
  }

  /** Hands pending buffers to the stream in one corked group (one writev when idle). */
  private flush(): Promise<void> {
    this.cut();
    if (this.pending.length === 0) return RESOLVED;
    let ok = true;
    this.out.cork();
    for (const b of this.pending) ok = this.out.write(b);
    this.out.uncork();
    this.pending = [];
    return ok ? RESOLVED : this.waitDrain();
  }

  private waitDrain(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.out.off('drain', done);
        this.out.off('close', done);
        this.out.off('error', done);
        if (this.error) reject(this.error);
        else resolve();
      };
      this.out.on('drain', done);
      this.out.on('close', done);
      // Registered after the constructor's handler, so this.error is already set.
      this.out.on('error', done);
    });
  }
}
