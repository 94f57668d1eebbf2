/**
 * Client side of the plain RTMP handshake (Adobe RTMP specification 5.2):
 * C0+C1 out, S0+S1 in, C2 out, S2 in. Sans-I/O and incremental: the server's
 * bytes may arrive split at any offset. The timeout belongs to the caller.
 */
import { randomBytes } from 'node:crypto';
import { BufferList } from '../bytes/buffer-list.js';
import { HandshakeError } from '../errors.js';

/** The only RTMP version this client speaks (C0/S0). */
export const RTMP_VERSION = 3;

/** Size of C1, S1, C2 and S2 (spec 5.2.3). */
export const HANDSHAKE_SIZE = 1536;

/** Options for `ClientHandshake`; both exist so that tests can be deterministic. */
export interface ClientHandshakeOptions {
  /** Source of C1's 1528 random bytes (default: crypto.randomBytes). */
  random?: (n: number) => Buffer;
  /** Value of C1's time field in ms (default 0, as ffmpeg and librtmp send in the plain handshake). */
  epochMs?: number;
}

/** What one `push()` produced. */
export interface HandshakeStep {
  /** Bytes to send now: C2, once S0 and S1 are complete. */
  send?: Buffer;
  /** True once S2 has been received; the chunk stream starts after it. */
  done: boolean;
  /** Bytes that arrived after S2: the first chunk-stream bytes. */
  rest?: Buffer;
}

type Stage = 'S0' | 'S1' | 'S2' | 'done';

/**
 * Describes a wrong S0 byte in plain words: what the server most likely is.
 * Servers that are not RTMP betray themselves in their first byte.
 */
export function describeBadVersion(byte: number): string {
  const hex = `0x${byte.toString(16).padStart(2, '0')}`;
  if (byte === 0x48) return 'server answered with text, not RTMP (looks like HTTP)';
  if (byte === 0x53) return 'server answered with text, not RTMP (looks like SSH)';
  if (byte === 0x3c) return 'server answered with text, not RTMP (looks like HTML)';
  if (byte === 0x16 || byte === 0x15) {
    return 'server answered with TLS, not plain RTMP (looks like a TLS port: try rtmps://)';
  }
  if (byte === 6 || byte === 8 || byte === 9) {
    return `server asked for encrypted RTMPE (version byte ${hex}), which is not supported`;
  }
  if (byte >= 0x20 && byte < 0x7f) {
    return `server answered with text, not RTMP (starts with '${String.fromCharCode(byte)}')`;
  }
  return `unsupported RTMP version byte ${hex} (expected 0x03)`;
}

/**
 * The client handshake: `start()` gives C0+C1, then every received buffer
 * goes to `push()` until it reports `done`.
 *
 * S1 is read liberally (any time and version fields) and echoed as C2, like
 * ffmpeg and librtmp do in the plain handshake. S2 is only length-checked:
 * many servers do not echo C1 exactly, and nothing depends on it.
 */
export class ClientHandshake {
  private readonly random: (n: number) => Buffer;
  private readonly epochMs: number;
  private readonly input = new BufferList();
  private stage: Stage = 'S0';
  private started = false;

  constructor(opts: ClientHandshakeOptions = {}) {
    this.random = opts.random ?? randomBytes;
    this.epochMs = opts.epochMs ?? 0;
  }

  /** C0 (version 3) and C1: time(4) zero(4) random(1528) — 1537 bytes. */
  start(): Buffer {
    if (this.started) throw new Error('ClientHandshake.start() called twice');
    this.started = true;
    const out = Buffer.alloc(1 + HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    out.writeUInt32BE(this.epochMs >>> 0, 1);
    // bytes 5..8 stay zero: the plain handshake, not Flash's digest scheme
    const random = this.random(HANDSHAKE_SIZE - 8);
    if (random.length !== HANDSHAKE_SIZE - 8) {
      throw new RangeError(`random source returned ${random.length} bytes, expected ${HANDSHAKE_SIZE - 8}`);
    }
    random.copy(out, 9);
    return out;
  }

  /** True once S2 has been received. */
  get done(): boolean {
    return this.stage === 'done';
  }

  /** Feeds bytes from the server; see `HandshakeStep`. */
  push(data: Buffer): HandshakeStep {
    if (this.stage === 'done') return data.length > 0 ? { done: true, rest: data } : { done: true };
    this.input.push(data);
    const step: HandshakeStep = { done: false };

    if (this.stage === 'S0') {
      if (this.input.length < 1) return step;
      // Checked as soon as the first byte arrives, before waiting for S1.
      const version = this.input.byteAt(0);
      if (version !== RTMP_VERSION) throw new HandshakeError(describeBadVersion(version));
      this.input.skip(1);
      this.stage = 'S1';
    }
    if (this.stage === 'S1') {
      if (this.input.length < HANDSHAKE_SIZE) return step;
      // Copy: C2 must not alias an input buffer the caller may reuse.
      step.send = Buffer.from(this.input.consume(HANDSHAKE_SIZE));
      this.stage = 'S2';
    }
    if (this.stage === 'S2') {
      if (this.input.length < HANDSHAKE_SIZE) return step;
      this.input.skip(HANDSHAKE_SIZE);
      this.stage = 'done';
      step.done = true;
      if (this.input.length > 0) step.rest = this.input.drain();
    }
    return step;
  }
}
