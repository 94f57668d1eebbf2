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
import { writeSync, writevSync } from 'node:fs';
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
import type { MediaSink } from './media-sink.js';

/** Payloads smaller than this are copied into the batch buffer with their tag header and trailer. */
const COPY_BELOW = 1024;
/** Size of each batch buffer; segments handed to the stream are never overwritten. */
const BATCH_SIZE = 64 * 1024;
const RESOLVED: Promise<void> = Promise.resolve();
/** Pending bytes at which a file is written at once rather than at the end of the event-loop turn. */
const FILE_FLUSH_BYTES = 1024 * 1024;

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
export class FlvFileSink implements MediaSink {
  /** The target as given (`'-'` for stdout). */
  readonly path: string;
  /** stdout (or another stream): asynchronous, with backpressure. */
  private readonly out: Writable | undefined;
  /**
   * A regular file or device: written synchronously, as rtmpdump's fwrite,
   * with every tag of one event-loop turn in one writev. Nothing queues up
   * in memory, and a killed process leaves every flushed tag on disk.
   */
  private readonly file: FileHandle | undefined;
  private readonly seekable: boolean;
  private error: IoError | undefined;
  private closing: Promise<FlvFileSinkSummary> | undefined;
  private bytes = 0;
  private packets = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private batch = Buffer.allocUnsafe(BATCH_SIZE);
  private batchStart = 0;
  private batchLen = 0;
  /** Absolute file offsets of the metadata doubles to patch, once written. */
  private patch: { duration: number; filesize: number } | undefined;
  private readonly unwrap = new TimestampUnwrapper();
  private firstTs: number | undefined;
  private maxTs = 0;

  private constructor(path: string, target: { out: Writable } | { file: FileHandle; seekable: boolean }, flags: FlvHeaderFlags) {
    this.path = path;
    if ('out' in target) {
      this.out = target.out;
      this.seekable = false;
      // Record stream errors (EPIPE) and report them from the next write/close.
      this.out.on('error', (err) => {
        this.error ??= describeIoError('write', path === '-' ? 'stdout' : path, err);
      });
    } else {
      this.file = target.file;
      this.seekable = target.seekable;
    }
    this.append(encodeFlvHeader(flags));
  }

  /**
   * Opens the target for writing. Refuses to replace an existing file
   * unless `force` is set. `'-'` writes to stdout, which is never patched.
   */
  static async open(target: string, opts: FlvFileSinkOptions = {}): Promise<FlvFileSink> {
    const flags = opts.flags ?? { audio: true, video: true };
    if (target === '-') return new FlvFileSink(target, { out: process.stdout }, flags);
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
    return new FlvFileSink(target, { file: handle, seekable }, flags);
  }

  /**
   * Writes to a stream that is already open (such as ffmpeg's stdin), with
   * its backpressure; `name` is used in error messages. The stream is not
   * ended by close().
   */
  static toStream(out: Writable, name: string, opts: Pick<FlvFileSinkOptions, 'flags'> = {}): FlvFileSink {
    return new FlvFileSink(name, { out }, opts.flags ?? { audio: true, video: true });
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
      if (this.file) {
        try {
          this.cut();
          this.writeFileNow();
          if (this.error) throw this.error;
          if (this.seekable && this.patch) this.patchMetadata(this.file.fd, durationMs / 1000, this.bytes, this.patch);
        } finally {
          await this.file.close();
        }
      } else {
        await this.flush();
        if (this.out?.writableNeedDrain) await this.waitDrain();
      }
      if (this.error) throw this.error;
    } catch (err) {
      throw err instanceof IoError ? err : describeIoError('write', this.path, err);
    }
    return summary;
  }

  /** Positioned writes of the two doubles; nothing else in the file changes. */
  private patchMetadata(fd: number, seconds: number, filesize: number, at: { duration: number; filesize: number }): void {
    const d = Buffer.allocUnsafe(8);
    d.writeDoubleBE(seconds, 0);
    const f = Buffer.allocUnsafe(8);
    f.writeDoubleBE(filesize, 0);
    writeSync(fd, d, 0, 8, at.duration);
    writeSync(fd, f, 0, 8, at.filesize);
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
      this.pendingBytes += size;
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
      this.pendingBytes += this.batchLen - this.batchStart;
      this.batchStart = this.batchLen;
    }
  }

  /** Hands pending buffers on: to the file (coalesced per event-loop turn) or to the stream (one corked group). */
  private flush(): Promise<void> {
    this.cut();
    if (this.pending.length === 0) return RESOLVED;
    if (this.file) {
      if (this.pendingBytes >= FILE_FLUSH_BYTES) this.writeFileNow();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.writeFileNow());
      }
      return this.error ? Promise.reject(this.error) : RESOLVED;
    }
    const out = this.out!;
    let ok = true;
    out.cork();
    for (const b of this.pending) ok = out.write(b);
    out.uncork();
    this.pending = [];
    this.pendingBytes = 0;
    return ok ? RESOLVED : this.waitDrain();
  }

  /** Writes everything pending to the file now, all of it (writev may write less than asked). */
  private writeFileNow(): void {
    this.flushScheduled = false;
    if (!this.file || this.pending.length === 0 || this.error) return;
    let bufs = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      while (bufs.length > 0) {
        let written = writevSync(this.file.fd, bufs);
        let i = 0;
        while (i < bufs.length && written >= bufs[i]!.length) written -= bufs[i++]!.length;
        bufs = bufs.slice(i);
        if (written > 0 && bufs.length > 0) bufs[0] = bufs[0]!.subarray(written);
      }
    } catch (err) {
      this.error ??= describeIoError('write', this.path, err);
    }
  }

  private waitDrain(): Promise<void> {
    const out = this.out!;
    // A stream that broke (EPIPE) or closed already emits neither drain nor close again.
    if (this.error) return Promise.reject(this.error);
    if (out.destroyed) return Promise.reject(new IoError(`cannot write '${this.path === '-' ? 'stdout' : this.path}': it was closed`));
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        out.off('drain', done);
        out.off('close', done);
        out.off('error', done);
        if (this.error) reject(this.error);
        else resolve();
      };
      out.on('drain', done);
      out.on('close', done);
      // Registered after the constructor's handler, so this.error is already set.
      out.on('error', done);
    });
  }
}
