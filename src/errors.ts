/**
 * One error hierarchy for the whole toolkit. Every error carries a stable
 * `code` (listed in man/rtmp.1, section ERRORS) so that callers and the CLI's
 * single error boundary can map it to an exit code without parsing messages.
 */

export type RtmpErrorCode =
  | 'RTMP_ERR_PROTOCOL'
  | 'RTMP_ERR_LIMIT'
  | 'RTMP_ERR_HANDSHAKE'
  | 'RTMP_ERR_REMOTE_STATUS'
  | 'RTMP_ERR_TIMEOUT'
  | 'RTMP_ERR_CONNECTION'
  | 'RTMP_ERR_TLS'
  | 'RTMP_ERR_FLV_FORMAT'
  | 'RTMP_ERR_AMF'
  | 'RTMP_ERR_URL'
  | 'RTMP_ERR_USAGE'
  | 'RTMP_ERR_IO'
  | 'RTMP_ERR_FFMPEG'
  | 'RTMP_ERR_ABORTED'
  | 'RTMP_ERR_MEDIA_FORMAT'
  | 'RTMP_ERR_CHECK_FAILED'
  | 'RTMP_ERR_AUTH'
  | 'RTMP_ERR_CONTAINER'
  | 'RTMP_ERR_UNSUPPORTED_CODEC';

/** Base class: `code` is stable across releases; `message` is for people. */
export class RtmpError extends Error {
  readonly code: RtmpErrorCode;
  constructor(code: RtmpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The peer broke the RTMP protocol (bad header, malformed command we rely on). */
export class ProtocolError extends RtmpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RTMP_ERR_PROTOCOL', message, options);
  }
}

/** A configured limit (see limits.ts) was exceeded by untrusted input. */
export class LimitError extends RtmpError {
  /** Name of the limit in `Limits`, e.g. `maxMessageSize`. */
  readonly limit: string;
  readonly value: number;
  readonly max: number;
  constructor(limit: string, value: number, max: number, what: string) {
    super('RTMP_ERR_LIMIT', `${what}: ${value} exceeds the limit ${limit}=${max}`);
    this.limit = limit;
    this.value = value;
    this.max = max;
  }
}

/** The handshake failed (wrong version, short or garbage reply). */
export class HandshakeError extends RtmpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RTMP_ERR_HANDSHAKE', message, options);
  }
}

/** The server refused something with an onStatus/_error code. */
export class RemoteStatusError extends RtmpError {
  /** The server's status code, e.g. `NetStream.Publish.BadName`. */
  readonly status: string;
  readonly description: string;
  constructor(status: string, description: string, message?: string) {
    super('RTMP_ERR_REMOTE_STATUS', message ?? `server answered ${status}${description ? `: ${description}` : ''}`);
    this.status = status;
    this.description = description;
  }
}

/** A network step took longer than its timeout. */
export class TimeoutError extends RtmpError {
  readonly step: string;
  readonly ms: number;
  constructor(step: string, ms: number) {
    super('RTMP_ERR_TIMEOUT', `timed out after ${ms} ms waiting for ${step}`);
    this.step = step;
    this.ms = ms;
  }
}

/** TCP-level failure: DNS, refused, reset, closed early. */
export class ConnectionError extends RtmpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RTMP_ERR_CONNECTION', message, options);
  }
}

/**
 * rtmps:// failed in the TLS layer: expired certificate, wrong host, unknown
 * CA, or another TLS handshake failure. `tlsCode` is OpenSSL's or Node's
 * code, e.g. `CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`.
 */
export class TlsError extends RtmpError {
  readonly tlsCode: string;
  constructor(message: string, tlsCode: string, options?: { cause?: unknown }) {
    super('RTMP_ERR_TLS', message, options);
    this.tlsCode = tlsCode;
  }
}

/** Malformed FLV input; `offset` is the byte offset in the file where it was found. */
export class FlvFormatError extends RtmpError {
  readonly offset: number;
  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super('RTMP_ERR_FLV_FORMAT', `${message} at byte offset ${offset}`, options);
    this.offset = offset;
  }
}

/** Malformed AMF0/AMF3 data. */
export class AmfError extends RtmpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RTMP_ERR_AMF', message, options);
  }
}

/** An RTMP URL that cannot be used. */
export class UrlError extends RtmpError {
  constructor(message: string) {
    super('RTMP_ERR_URL', message);
  }
}

/** Bad command-line usage or option value. */
export class UsageError extends RtmpError {
  constructor(message: string) {
    super('RTMP_ERR_USAGE', message);
  }
}

/** Local file or stream I/O failed (missing file, permission, disk full). */
export class IoError extends RtmpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RTMP_ERR_IO', message, options);
  }
}

/**
 * A spawned ffmpeg failed or is missing; `exitCode` or `signal` says how it
 * ended, `stderrTail` holds its last output (bounded by maxFfmpegStderrTail).
 */
export class FfmpegError extends RtmpError {
  readonly exitCode: number | undefined;
  /** The signal that killed ffmpeg, e.g. `SIGKILL`. */
  readonly signal: string | undefined;
  readonly stderrTail: string;
  constructor(message: string, exitCode: number | undefined, stderrTail: string, options?: { cause?: unknown; signal?: string }) {
    super('RTMP_ERR_FFMPEG', message, options);
    this.exitCode = exitCode;
    this.signal = options?.signal;
    this.stderrTail = stderrTail;
  }
}

/** The operation was cancelled through an AbortSignal. */
export class AbortedError extends RtmpError {
  constructor(message = 'aborted') {
    super('RTMP_ERR_ABORTED', message);
  }
}

/**
 * A codec configuration that cannot be parsed: an AVCDecoderConfigurationRecord
 * or its SPS, an AudioSpecificConfig. `structure` names which one.
 */
export class MediaFormatError extends RtmpError {
  readonly structure: string;
  constructor(structure: string, message: string, options?: { cause?: unknown }) {
    super('RTMP_ERR_MEDIA_FORMAT', `malformed ${structure}: ${message}`, options);
    this.structure = structure;
  }
}

/** One or more `probe --expect` checks did not hold; `failed` lists them as written. */
export class CheckFailedError extends RtmpError {
  readonly failed: string[];
  constructor(failed: string[], message?: string) {
    super('RTMP_ERR_CHECK_FAILED', message ?? `${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.join(', ')}`);
    this.failed = failed;
  }
}

/**
 * Connect authentication failed: the server refused the credentials
 * (`reason=authfailed`, `nosuchuser`, `invalid`...), wants credentials we do
 * not have, or uses an authmod we do not speak. `reason` is the server's word
 * (or `nocredentials`, `unsupported`).
 */
export class AuthError extends RtmpError {
  readonly reason: string;
  readonly authmod: string | undefined;
  constructor(reason: string, authmod: string | undefined, message: string) {
    super('RTMP_ERR_AUTH', message);
    this.reason = reason;
    this.authmod = authmod;
  }
}

/** An MP4/MOV/Matroska/WebM input that cannot be read: unrecognised, corrupt or truncated. The message names the file. */
export class ContainerError extends RtmpError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('RTMP_ERR_CONTAINER', `${file}: ${message}`, options);
    this.file = file;
  }
}

/** A container track whose codec cannot be published (yet); `codec` is its name, e.g. `vp8`; `supported` lists what can be, e.g. `H.264/HEVC/AV1/VP9/AAC/Opus/MP3/AC-3/E-AC-3`. */
export class UnsupportedCodecError extends RtmpError {
  readonly file: string;
  readonly codec: string;
  constructor(file: string, kind: 'video' | 'audio', codec: string, supported: string) {
    super('RTMP_ERR_UNSUPPORTED_CODEC', `${file}: ${kind} codec ${codec} is not supported yet (${supported} only); use an FLV input`);
    this.file = file;
    this.codec = codec;
  }
}

export function isRtmpError(e: unknown): e is RtmpError {
  return e instanceof RtmpError;
}
