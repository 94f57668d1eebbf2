/**
 * Server side of the plain RTMP handshake (Adobe RTMP specification 5.2):
 * C0+C1 in, S0+S1+S2 out, C2 in. Sans-I/O and incremental: the client's
 * bytes may arrive split at any offset. The timeout belongs to the caller.
 */
import { randomBytes } from 'node:crypto';
import { BufferList } from '../bytes/buffer-list.js';
import { HandshakeError } from '../errors.js';
import { HANDSHAKE_SIZE, RTMP_VERSION, type HandshakeStep } from './handshake.js';

/** Options for `ServerHandshake`; both exist so that tests can be deterministic. */
export interface ServerHandshakeOptions {
  /** Source of S1's 1528 random bytes (default: crypto.randomBytes). */
  random?: (n: number) => Buffer;
  /** Value of S1's time field in ms (default 0). */
  epochMs?: number;
}

type Stage = 'C0' | 'C1' | 'C2' | 'done';

/**
 * Describes a wrong C0 byte in plain words: what the client most likely is.
 * Clients that do not speak plain RTMP betray themselves in their first byte.
 */
export function describeBadClientVersion(byte: number): string {
  const hex = `0x${byte.toString(16).padStart(2, '0')}`;
  if (byte === 0x16) return 'client started a TLS handshake, not plain RTMP (rtmps:// is not served)';
  if (byte === 6 || byte === 8 || byte === 9) {
    return `client asked for encrypted RTMPE (version byte ${hex}), which is not supported`;
  }
  if (byte === 0x47 || byte === 0x50 || byte === 0x48) return 'client spoke text, not RTMP (looks like HTTP)';
  if (byte >= 0x20 && byte < 0x7f) return `client spoke text, not RTMP (starts with '${String.fromCharCode(byte)}')`;
  return `unsupported RTMP version byte ${hex} from the client (expected 0x03)`;
}

/**
 * The server handshake: every received buffer goes to `push()` until it
 * reports `done`. As soon as C0 and C1 are in, S0+S1+S2 go out together
 * (S2 echoes C1, as the spec asks and as nginx-rtmp does for plain
 * clients); C2 is only length-checked, since clients echo S1 loosely.
 *
 * S1's version field is zero: clients that would validate a digest
 * handshake (ffmpeg, librtmp) check that field first and fall back to the
 * plain handshake.
 */
export class ServerHandshake {
  private readonly random: (n: number) => Buffer;
  private readonly epochMs: number;
  private readonly input = new BufferList();
  private stage: Stage = 'C0';
  private read = 0;

  constructor(opts: ServerHandshakeOptions = {}) {
    this.random = opts.random ?? randomBytes;
    this.epochMs = opts.epochMs ?? 0;
  }

  /** True once C2 has been received. */
  get done(): boolean {
    return this.stage === 'done';
  }

  /** Handshake bytes consumed so far (C0, C1, C2), for acknowledgement counts. */
  get bytesRead(): number {
    return this.read;
  }

  /** Feeds bytes from the client; see `HandshakeStep`. `send` is S0+S1+S2. */
  push(data: Buffer): HandshakeStep {
    if (this.stage === 'done') return data.length > 0 ? { done: true, rest: data } : { done: true };
    this.input.push(data);
    const step: HandshakeStep = { done: false };

    if (this.stage === 'C0') {
      if (this.input.length < 1) return step;
      // Checked on the first byte, before waiting for C1.
      const version = this.input.byteAt(0);
      if (version !== RTMP_VERSION) throw new HandshakeError(describeBadClientVersion(version));
      this.input.skip(1);
      this.read += 1;
      this.stage = 'C1';
    }
    if (this.stage === 'C1') {
      if (this.input.length < HANDSHAKE_SIZE) return step;
      const c1 = this.input.consume(HANDSHAKE_SIZE);
      this.read += HANDSHAKE_SIZE;
      step.send = this.answer(c1);
      this.stage = 'C2';
    }
    if (this.stage === 'C2') {
      if (this.input.length < HANDSHAKE_SIZE) return step;
      this.input.skip(HANDSHAKE_SIZE);
      this.read += HANDSHAKE_SIZE;
      this.stage = 'done';
      step.done = true;
      if (this.input.length > 0) step.rest = this.input.drain();
    }
    return step;
  }

  /** S0 (version 3), S1 (time, zero, random) and S2 (a copy of C1): 3073 bytes. */
  private answer(c1: Buffer): Buffer {
    const random = this.random(HANDSHAKE_SIZE - 8);
    if (random.length !== HANDSHAKE_SIZE - 8) {
      throw new RangeError(`random source returned ${random.length} bytes, expected ${HANDSHAKE_SIZE - 8}`);
    }
    const out = Buffer.alloc(1 + 2 * HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    out.writeUInt32BE(this.epochMs >>> 0, 1);
    // bytes 5..8 stay zero: the plain handshake
    random.copy(out, 9);
    // Copied: the input buffer may be reused by the caller.
    c1.copy(out, 1 + HANDSHAKE_SIZE);
    return out;
  }
}
