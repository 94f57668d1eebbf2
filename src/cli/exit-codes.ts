/**
 * Documented exit codes (README "Exit codes" and man/rtmp.1 EXIT STATUS).
 * cli/main.ts is the only place that turns an error into one of these.
 */
import type { RtmpErrorCode } from '../errors.js';

export const ExitCode = {
  Ok: 0,
  /** An unexpected internal error (a bug: please report it). */
  Internal: 1,
  /** Bad command line: unknown option, bad value, unusable URL. */
  Usage: 2,
  /** Local input or output problem: missing/unreadable file, not an FLV, corrupt FLV or MP4/MKV, unsupported codec, output exists. */
  Input: 3,
  /** Network failure: cannot resolve, refused, reset, closed by the server; TLS failures of rtmps:// (certificate expired, wrong host, unknown CA). */
  Connection: 4,
  /** The server broke the protocol: garbage handshake, malformed messages, limits exceeded. */
  Protocol: 5,
  /** The server refused: connect rejected, publish or play refused (its status code is printed). */
  Rejected: 6,
  /** A network step timed out. */
  Timeout: 7,
  /** A `probe --expect` check did not hold (every failing check is listed). */
  CheckFailed: 8,
  /** ffmpeg failed or is missing. */
  Ffmpeg: 9,
  /** relay ended, but some destination missed part of the stream (reconnected, dropped media or failed). */
  Partial: 10,
  /** `flv check`: the file is repairable or damaged; `flv fix`: it is damaged, or needs -o to be repaired. */
  FlvNeedsRepair: 11,
  /** Authentication failed: wrong user or password, missing credentials, unsupported authmod. */
  Auth: 12,
  /** Interrupted by SIGINT/SIGTERM before finishing (publish). */
  Interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code for an error code. */
export function exitCodeFor(code: RtmpErrorCode): ExitCodeValue {
  switch (code) {
    case 'RTMP_ERR_USAGE':
    case 'RTMP_ERR_URL':
      return ExitCode.Usage;
    case 'RTMP_ERR_FLV_FORMAT':
    case 'RTMP_ERR_IO':
    case 'RTMP_ERR_CONTAINER':
    case 'RTMP_ERR_UNSUPPORTED_CODEC':
      return ExitCode.Input;
    case 'RTMP_ERR_CONNECTION':
    case 'RTMP_ERR_TLS':
      return ExitCode.Connection;
    case 'RTMP_ERR_PROTOCOL':
    case 'RTMP_ERR_MEDIA_FORMAT':
    case 'RTMP_ERR_HANDSHAKE':
    case 'RTMP_ERR_AMF':
    case 'RTMP_ERR_LIMIT':
      return ExitCode.Protocol;
    case 'RTMP_ERR_REMOTE_STATUS':
      return ExitCode.Rejected;
    case 'RTMP_ERR_TIMEOUT':
      return ExitCode.Timeout;
    case 'RTMP_ERR_CHECK_FAILED':
      return ExitCode.CheckFailed;
    case 'RTMP_ERR_FFMPEG':
      return ExitCode.Ffmpeg;
    case 'RTMP_ERR_AUTH':
      return ExitCode.Auth;
    case 'RTMP_ERR_ABORTED':
      return ExitCode.Interrupted;
    default: {
      const never: never = code;
      return never;
    }
  }
}
