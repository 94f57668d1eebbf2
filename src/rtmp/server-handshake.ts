/**
 * Server side of the RTMP handshake (Adobe RTMP specification 5.2):
 * C0+C1 in, S0+S1+S2 out, C2 in — plain, or with Flash Player 9 digests
 * when the client's C1 carries one (see digest.ts). Sans-I/O and
 * incremental: the client's bytes may arrive split at any offset. The
 * timeout belongs to the caller.
 */
import { randomBytes } from 'node:crypto';
import { BufferList } from '../bytes/buffer-list.js';
import { HandshakeError } from '../errors.js';
import { findDigest, FMS_KEY, FMS_KEY_TEXT_LENGTH, FP_KEY, FP_KEY_TEXT_LENGTH, imprintDigest, signResponse, verifyResponse, type DigestScheme } from './digest.js';
import { formatVersion, HANDSHAKE_SIZE, RTMP_VERSION, takeRandom, type HandshakeStep } from './handshake.js';

/**
 * The server version a digest S1 announces: 3.5.1.1, as librtmp's server
 * does. ffmpeg checks S1's digest only when the first byte is 3 or more.
 */
export const DIGEST_SERVER_VERSION = Buffer.from([3, 5, 1, 1]);

/** What the server learned about the client's handshake. */
export interface ServerHandshakeInfo {
  /** C1's version field as a.b.c.d ('0.0.0.0' from plain clients). */
  clientVersion: string;
  /** The scheme of C1's valid digest; undefined for a plain handshake. */
  clientDigest?: DigestScheme;
  /** Digest handshake: true when C2 is signed for S1's digest (players do; ffmpeg publishing echoes S1). */
  c2Signed?: boolean;
}

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
 * reports `done`. As soon as C0 and C1 are in, S0+S1+S2 go out together.
 *
 * A plain C1 (version field zero) or one without a valid digest gets the
 * plain answer — S1 with a zero version field, S2 a copy of C1, as the spec
 * asks and as nginx-rtmp does (it too falls back to this when it finds no
 * digest). A C1 with a valid digest gets a digest S1 (FMS key) and an S2
 * signed for C1's digest, which ffmpeg and librtmp verify. C2 is never an
 * error: clients echo S1 loosely, and ffmpeg publishing echoes it even
 * after a digest S1.
 */
export class ServerHandshake {
  private readonly random: (n: number) => Buffer;
  private readonly epochMs: number;
  private readonly input = new BufferList();
  private stage: Stage = 'C0';
  private read = 0;
  private s1Digest: Buffer | undefined;
  private result: ServerHandshakeInfo = { clientVersion: '0.0.0.0' };

  constructor(opts: ServerHandshakeOptions = {}) {
    this.random = opts.random ?? randomBytes;
    this.epochMs = opts.epochMs ?? 0;
  }

  /** True once C2 has been received. */
  get done(): boolean {
    return this.stage === 'done';
  }

  /** What was learned about the client (complete once `done`). */
  get info(): ServerHandshakeInfo {
    return this.result;
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
      const c2 = this.input.consume(HANDSHAKE_SIZE);
      if (this.s1Digest) this.result.c2Signed = verifyResponse(c2, this.s1Digest, FP_KEY);
      this.read += HANDSHAKE_SIZE;
      this.stage = 'done';
      step.done = true;
      if (this.input.length > 0) step.rest = this.input.drain();
    }
    return step;
  }

  /**
   * S0 (version 3), S1 and S2: 3073 bytes. Plain: S1 is time, zero,
   * random and S2 a copy of C1. Digest: S1 is time, our version, random
   * with an FMS digest in the client's scheme; S2 is random, signed for
   * C1's digest.
   */
  private answer(c1: Buffer): Buffer {
    const out = Buffer.alloc(1 + 2 * HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    const s1 = out.subarray(1, 1 + HANDSHAKE_SIZE);
    const s2 = out.subarray(1 + HANDSHAKE_SIZE);
    s1.writeUInt32BE(this.epochMs >>> 0, 0);
    takeRandom(this.random, HANDSHAKE_SIZE - 8).copy(s1, 8);
    const version = c1.subarray(4, 8);
    this.result.clientVersion = formatVersion(version);
    const found = version.readUInt32BE(0) === 0 ? undefined : findDigest(c1, FP_KEY.subarray(0, FP_KEY_TEXT_LENGTH));
    if (!found) {
      // bytes 4..7 of S1 stay zero: the plain handshake. Copied: the input buffer may be reused.
      c1.copy(s2);
      return out;
    }
    this.result.clientDigest = found.scheme;
    DIGEST_SERVER_VERSION.copy(s1, 4);
    this.s1Digest = imprintDigest(s1, found.scheme, FMS_KEY.subarray(0, FMS_KEY_TEXT_LENGTH));
    takeRandom(this.random, HANDSHAKE_SIZE).copy(s2);
    signResponse(s2, found.digest, FMS_KEY);
    return out;
  }
}
