/**
 * The Flash Player 9 "digest" handshake (not in Adobe's published RTMP
 * specification; described by librtmp's handshake.h, ffmpeg's rtmpproto.c
 * and nginx-rtmp's ngx_rtmp_handshake.c, which all agree on it).
 *
 * C1 and S1 keep the plain layout (time, version, random) but carry a
 * non-zero version and a 32-byte HMAC-SHA256 "digest" at an offset derived
 * from four of their own bytes. Two offset schemes exist:
 *
 *   scheme 0: offset bytes at 8..11,    digest at (sum % 728) + 12
 *   scheme 1: offset bytes at 772..775, digest at (sum % 728) + 776
 *
 * The digest is the HMAC over the 1504 other bytes, keyed with the first 30
 * bytes of the Flash Player key (C1) or the first 36 bytes of the Flash
 * Media Server key (S1). The replies C2 and S2 end with a 32-byte signature:
 * the HMAC over their first 1504 bytes, keyed by HMAC(full key of the
 * answering side, digest of the packet answered) — FP key (62 bytes) for C2
 * answering S1, FMS key (68 bytes) for S2 answering C1.
 *
 * Pure: bytes in, bytes out (node:crypto's HMAC is computation, not I/O).
 */
import { createHmac } from 'node:crypto';

/** Size of C1/S1/C2/S2. */
const SIZE = 1536;
/** Length of an HMAC-SHA256 digest. */
export const DIGEST_LENGTH = 32;

/** The 32 bytes both keys share after their text. */
const KEY_TAIL = Buffer.from('f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae', 'hex');

/** "Genuine Adobe Flash Player 001" + tail: 62 bytes; C1 digests use the first 30. */
export const FP_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001', 'latin1'), KEY_TAIL]);
/** "Genuine Adobe Flash Media Server 001" + tail: 68 bytes; S1 digests use the first 36. */
export const FMS_KEY = Buffer.concat([Buffer.from('Genuine Adobe Flash Media Server 001', 'latin1'), KEY_TAIL]);
export const FP_KEY_TEXT_LENGTH = 30;
export const FMS_KEY_TEXT_LENGTH = 36;

/** One of the two digest offset schemes. */
export type DigestScheme = 0 | 1;

/** Where the four offset bytes of a scheme start. */
const OFFSET_BASE: Record<DigestScheme, number> = { 0: 8, 1: 772 };

/** Offset of the 32-byte digest in a 1536-byte C1/S1 under `scheme`. */
export function digestOffset(packet: Buffer, scheme: DigestScheme): number {
  const base = OFFSET_BASE[scheme];
  const sum = packet[base]! + packet[base + 1]! + packet[base + 2]! + packet[base + 3]!;
  return (sum % 728) + base + 4;
}

function hmac(key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The HMAC over `packet` without the 32 bytes at `offset`. */
function digestAt(packet: Buffer, offset: number, key: Buffer): Buffer {
  return hmac(key, packet.subarray(0, offset), packet.subarray(offset + DIGEST_LENGTH));
}

/**
 * Writes the digest into a 1536-byte C1/S1 (in place) under `scheme`;
 * returns the digest. `key` is the partial key (30-byte FP or 36-byte FMS).
 */
export function imprintDigest(packet: Buffer, scheme: DigestScheme, key: Buffer): Buffer {
  if (packet.length !== SIZE) throw new RangeError(`handshake packet must be ${SIZE} bytes, got ${packet.length}`);
  const offset = digestOffset(packet, scheme);
  const digest = digestAt(packet, offset, key);
  digest.copy(packet, offset);
  return digest;
}

/** A digest found in a C1/S1. */
export interface FoundDigest {
  scheme: DigestScheme;
  offset: number;
  /** A copy of the 32 digest bytes. */
  digest: Buffer;
}

/**
 * Looks for a valid digest in a 1536-byte C1/S1, trying scheme 1 first and
 * then scheme 0 (the order of ffmpeg, librtmp and nginx-rtmp).
 */
export function findDigest(packet: Buffer, key: Buffer): FoundDigest | undefined {
  if (packet.length !== SIZE) return undefined;
  for (const scheme of [1, 0] as const) {
    const offset = digestOffset(packet, scheme);
    const want = digestAt(packet, offset, key);
    if (want.equals(packet.subarray(offset, offset + DIGEST_LENGTH))) return { scheme, offset, digest: want };
  }
  return undefined;
}

/**
 * Makes a C2/S2 answering a packet whose digest was `peerDigest`: `random`
 * (1536 bytes, changed in place) gets its last 32 bytes replaced by the
 * signature. `fullKey` is the answering side's 62-byte FP or 68-byte FMS key.
 */
export function signResponse(random: Buffer, peerDigest: Buffer, fullKey: Buffer): Buffer {
  if (random.length !== SIZE) throw new RangeError(`handshake packet must be ${SIZE} bytes, got ${random.length}`);
  responseSignature(random, peerDigest, fullKey).copy(random, SIZE - DIGEST_LENGTH);
  return random;
}

/** The signature a C2/S2 must end with (see `signResponse`). */
export function responseSignature(packet: Buffer, peerDigest: Buffer, fullKey: Buffer): Buffer {
  return hmac(hmac(fullKey, peerDigest), packet.subarray(0, SIZE - DIGEST_LENGTH));
}

/** True when a 1536-byte C2/S2 ends with the signature for `ourDigest` (see `signResponse`). */
export function verifyResponse(packet: Buffer, ourDigest: Buffer, peerFullKey: Buffer): boolean {
  if (packet.length !== SIZE) return false;
  return responseSignature(packet, ourDigest, peerFullKey).equals(packet.subarray(SIZE - DIGEST_LENGTH));
}
