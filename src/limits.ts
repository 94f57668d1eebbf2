/**
 * Every limit applied to untrusted input, in one place. Each is checked the
 * moment the number is read from the wire or the file, before allocating.
 */
export interface Limits {
  /** Largest RTMP message we reassemble (bytes). nginx-rtmp's default max_message is 1 MiB; keyframes of 4K video can exceed it, so we allow more. */
  maxMessageSize: number;
  /** Largest Set Chunk Size we accept from a peer (the spec allows up to 0x7fffffff). */
  maxChunkSize: number;
  /** Chunk streams with state held at once. Real servers use fewer than ten. */
  maxChunkStreams: number;
  /**
   * Bytes of messages being assembled at once, over all chunk streams. Without
   * it a peer could declare maxMessageSize on every chunk stream (~1 GiB); real
   * peers interleave at most a keyframe with some audio.
   */
  maxPendingBytes: number;
  /** Nesting depth of AMF objects/arrays. */
  maxAmfDepth: number;
  /** Entries in one AMF object, array or AMF3 reference table. */
  maxAmfCollection: number;
  /** Largest FLV tag body (bytes); the field is 24-bit so the format caps it at 16 MiB - 1. */
  maxFlvTagSize: number;
  /** rtmp serve: message streams one client may create (players and publishers use one or two). */
  maxStreamsPerConnection: number;
  /** rtmp serve: connections at once; it is a server for tests, not for an audience. */
  maxServerConnections: number;
  /** rtmp serve: payload bytes of the GOP kept for late joiners; a longer GOP is not cached (a 4K keyframe interval of 10 s fits). */
  maxGopCacheBytes: number;
  /** rtmp serve: bytes queued on a slow player's socket before its media is dropped until the next keyframe. */
  maxPlayerQueueBytes: number;
  /** MP4/MOV/MKV output: payload bytes held while waiting for every announced track's sequence header (at most 3 s of media). */
  maxContainerHoldBytes: number;
  /** MP4/MOV/MKV output: video frames held until their B-frame group is whole (a keyframe releases them sooner). */
  maxContainerHoldFrames: number;
  /** Characters of a spawned ffmpeg's stderr kept for its error message; it can print for hours. */
  maxFfmpegStderrTail: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageSize: 16 * 1024 * 1024,
  maxChunkSize: 16 * 1024 * 1024,
  maxChunkStreams: 64,
  maxPendingBytes: 32 * 1024 * 1024,
  maxAmfDepth: 32,
  maxAmfCollection: 65536,
  maxFlvTagSize: 0xffffff,
  maxStreamsPerConnection: 16,
  maxServerConnections: 256,
  maxGopCacheBytes: 32 * 1024 * 1024,
  maxPlayerQueueBytes: 4 * 1024 * 1024,
  maxContainerHoldBytes: 16 * 1024 * 1024,
  maxContainerHoldFrames: 600,
  maxFfmpegStderrTail: 8 * 1024,
});

/** Fill unspecified limits with the defaults. */
export function resolveLimits(partial?: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...partial };
}
