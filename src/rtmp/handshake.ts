/**
 * Client side of the RTMP handshake (Adobe RTMP specification 5.2):
 * C0+C1 out, S0+S1 in, C2 out, S2 in — plain ("simple") or with Flash
 * Player 9 digests (see digest.ts). Sans-I/O and incremental: the server's
 * bytes may arrive split at any offset. The timeout belongs to the caller.
 */
import { randomBytes } from 'node:crypto';
import { BufferList } from '../bytes/buffer-list.js';
import { HandshakeError } from '../errors.js';
import { DIGEST_LENGTH, findDigest, FMS_KEY, FMS_KEY_TEXT_LENGTH, FP_KEY, FP_KEY_TEXT_LENGTH, imprintDigest, signResponse, verifyResponse, type DigestScheme } from './digest.js';

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
  /** 'simple' (the specification's plain handshake, default) or 'digest' (Flash Player 9). */
  mode?: HandshakeMode;
  /** Where C1's digest goes in digest mode (default 0, as ffmpeg and librtmp place it). */
  scheme?: DigestScheme;
}

/** The two client handshakes. */
export type HandshakeMode = 'simple' | 'digest';

/** The Flash Player version C1 announces in digest mode: 9.0.124.2, as ffmpeg and librtmp send. */
export const DIGEST_CLIENT_VERSION = Buffer.from([9, 0, 124, 2]);

/** What the handshake learned about the server, for traces and `probe`. */
export interface HandshakeInfo {
  mode: HandshakeMode;
  /** S1's version field as a.b.c.d ('0.0.0.0' from plain servers). */
  serverVersion: string;
  /** Digest mode: the scheme of S1's valid digest, or undefined when S1 had none. */
  serverDigest?: DigestScheme;
  /** Digest mode: true when S2 is signed for our C1 digest — the server verified C1. */
  s2Signed?: boolean;
}

/** What one `push()` produced. */
export interface HandshakeStep {
  /** Bytes to send now: C2, once S0 and S1 are complete. */
  send?: Buffer;
  /** True once S2 has been received; the chunk stream starts after it. */
  done: boolean;
  /** Bytes that arrived after S2: the first chunk-stream bytes. */
  rest?: Buffer;
  /** Harmless surprises (a digest that does not verify): worth a warning, not an error. */
  warnings?: string[];
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

/** `n` bytes from `random`, checked: a short source would leave zeros where randomness belongs. */
export function takeRandom(random: (n: number) => Buffer, n: number): Buffer {
  const b = random(n);
  if (b.length !== n) throw new RangeError(`random source returned ${b.length} bytes, expected ${n}`);
  return b;
}

/** A 4-byte version field as a.b.c.d. */
export function formatVersion(field: Buffer): string {
  return `${field[0]}.${field[1]}.${field[2]}.${field[3]}`;
}

/**
 * One line for people: 'digest, server version 13.14.10.13, server digest
 * verified (scheme 0), S2 signed for ours'. Accepts the report's nulls too.
 */
export function describeHandshake(h: { mode: HandshakeMode; serverVersion: string; serverDigest?: DigestScheme | null | undefined; s2Signed?: boolean | null | undefined }): string {
  let digest = '';
  if (h.mode === 'digest') {
    if (h.serverDigest === null || h.serverDigest === undefined) digest = ', server sent no valid digest';
    else digest = `, server digest verified (scheme ${h.serverDigest}), S2 ${h.s2Signed ? 'signed for ours' : 'not signed'}`;
  }
  return `${h.mode}, server version ${h.serverVersion}${digest}`;
}

/**
 * The client handshake: `start()` gives C0+C1, then every received buffer
 * goes to `push()` until it reports `done`.
 *
 * S1 is read liberally (any time and version fields, plain or digest). A
 * plain S1 (version field zero) or one whose digest does not verify is
 * echoed as C2, as ffmpeg and librtmp do; a verified digest S1 gets a signed
 * C2. S2 is never required to echo C1: in digest mode its signature is
 * checked and a mismatch is only a warning (many servers are loose here).
 */
export class ClientHandshake {
  private readonly random: (n: number) => Buffer;
  private readonly epochMs: number;
  private readonly mode: HandshakeMode;
  private readonly scheme: DigestScheme;
  private readonly input = new BufferList();
  private stage: Stage = 'S0';
  private started = false;
  private c1Digest: Buffer | undefined;
  private result: HandshakeInfo;

  constructor(opts: ClientHandshakeOptions = {}) {
    this.random = opts.random ?? randomBytes;
    this.epochMs = opts.epochMs ?? 0;
    this.mode = opts.mode ?? 'simple';
    this.scheme = opts.scheme ?? 0;
    this.result = { mode: this.mode, serverVersion: '0.0.0.0' };
  }

  /** C0 (version 3) and C1: time(4) version(4) random(1528) — 1537 bytes; digest mode imprints C1's digest. */
  start(): Buffer {
    if (this.started) throw new Error('ClientHandshake.start() called twice');
    this.started = true;
    const out = Buffer.alloc(1 + HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    out.writeUInt32BE(this.epochMs >>> 0, 1);
    // bytes 5..8 stay zero in the plain handshake; the digest handshake names a Flash Player version
    if (this.mode === 'digest') DIGEST_CLIENT_VERSION.copy(out, 5);
    takeRandom(this.random, HANDSHAKE_SIZE - 8).copy(out, 9);
    if (this.mode === 'digest') {
      this.c1Digest = imprintDigest(out.subarray(1), this.scheme, FP_KEY.subarray(0, FP_KEY_TEXT_LENGTH));
    }
    return out;
  }

  /** What was learned about the server so far (complete once `done`). */
  get info(): HandshakeInfo {
    return this.result;
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
      step.send = this.answerS1(Buffer.from(this.input.consume(HANDSHAKE_SIZE)), step);
      this.stage = 'S2';
    }
    if (this.stage === 'S2') {
      if (this.input.length < HANDSHAKE_SIZE) return step;
      this.checkS2(this.input.consume(HANDSHAKE_SIZE), step);
      this.stage = 'done';
      step.done = true;
      if (this.input.length > 0) step.rest = this.input.drain();
    }
    return step;
  }

  /** C2: S1 echoed, or in digest mode a C2 signed for S1's digest when S1 has a valid one. */
  private answerS1(s1: Buffer, step: HandshakeStep): Buffer {
    const version = s1.subarray(4, 8);
    this.result.serverVersion = formatVersion(version);
    if (this.mode !== 'digest' || version.readUInt32BE(0) === 0) return s1;
    const found = findDigest(s1, FMS_KEY.subarray(0, FMS_KEY_TEXT_LENGTH));
    if (!found) {
      warn(step, `server's S1 (version ${this.result.serverVersion}) carries no valid digest in either scheme; answering with a plain C2`);
      return s1;
    }
    this.result.serverDigest = found.scheme;
    return signResponse(Buffer.from(takeRandom(this.random, HANDSHAKE_SIZE)), found.digest, FP_KEY);
  }

  /** Digest mode: is S2 signed for our C1 digest? Only a warning when not. */
  private checkS2(s2: Buffer, step: HandshakeStep): void {
    if (this.c1Digest === undefined || this.result.serverDigest === undefined) return;
    this.result.s2Signed = verifyResponse(s2, this.c1Digest, FMS_KEY);
    if (!this.result.s2Signed) warn(step, `server's S2 is not signed for our C1 digest (the last ${DIGEST_LENGTH} bytes do not match); continuing`);
  }
}

function warn(step: HandshakeStep, text: string): void {
  (step.warnings ??= []).push(text);
}
