/**
 * Enhanced RTMP capability negotiation in `connect` (Enhanced RTMP v2,
 * "Enhancing NetConnection connect Command"): `fourCcList` names codecs,
 * `videoFourCcInfoMap` / `audioFourCcInfoMap` say per codec (or `*`)
 * whether the client can decode, encode or forward it, and `capsEx` flags
 * extensions such as ReconnectRequest. Servers echo what they accept.
 */

/** capsEx: the client honours NetConnection.Connect.ReconnectRequest. */
export const CAPS_EX_RECONNECT = 0x01;
/** capsEx: the client understands multitrack audio and video. */
export const CAPS_EX_MULTITRACK = 0x02;
/** capsEx: the client parses ModEx packet types. */
export const CAPS_EX_MOD_EX = 0x04;
/** capsEx: the client applies ModEx nanosecond timestamp offsets. */
export const CAPS_EX_TIMESTAMP_NANO_OFFSET = 0x08;

/** FourCcInfoMask values. */
export const FOURCC_CAN_DECODE = 0x01;
export const FOURCC_CAN_ENCODE = 0x02;
export const FOURCC_CAN_FORWARD = 0x04;

/** The capability fields of a connect command object. */
export interface ConnectCapabilities {
  fourCcList?: string[];
  videoFourCcInfoMap?: Record<string, number>;
  audioFourCcInfoMap?: Record<string, number>;
  capsEx?: number;
}

/**
 * What a recorder or relay source says: it takes any codec as it comes
 * (`*`, CanForward) and multitrack and ModEx packets, which it keeps
 * untouched.
 */
export function forwardingCapabilities(): ConnectCapabilities {
  return {
    fourCcList: ['*'],
    videoFourCcInfoMap: { '*': FOURCC_CAN_FORWARD },
    audioFourCcInfoMap: { '*': FOURCC_CAN_FORWARD },
    capsEx: CAPS_EX_MULTITRACK | CAPS_EX_MOD_EX,
  };
}

/** What a publisher says: the codecs it is about to send (when known) and that it follows reconnect requests. */
export function publishingCapabilities(codecs: { video?: string | undefined; audio?: string | undefined }): ConnectCapabilities {
  const out: ConnectCapabilities = { capsEx: CAPS_EX_RECONNECT };
  const list = [codecs.video, codecs.audio].filter((c): c is string => c !== undefined);
  if (list.length > 0) out.fourCcList = list;
  if (codecs.video !== undefined) out.videoFourCcInfoMap = { [codecs.video]: FOURCC_CAN_ENCODE };
  if (codecs.audio !== undefined) out.audioFourCcInfoMap = { [codecs.audio]: FOURCC_CAN_ENCODE };
  return out;
}

const LEGACY_VIDEO_FOURCC: Record<number, string> = { 7: 'avc1', 12: 'hvc1' };
const LEGACY_AUDIO_FOURCC: Record<number, string> = { 2: '.mp3', 10: 'mp4a', 14: '.mp3' };

/**
 * The FourCC for an onMetaData `videocodecid` / `audiocodecid`: a legacy
 * number that has one (7 → avc1, 10 → mp4a, ...), or an Enhanced RTMP FourCC
 * given as its big-endian UI32 value or as text. Undefined otherwise.
 */
export function fourCcOfCodecId(kind: 'video' | 'audio', id: unknown): string | undefined {
  if (typeof id === 'string') return /^[\x20-\x7e]{4}$/.test(id) ? id : undefined;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) return undefined;
  if (id < 256) return (kind === 'video' ? LEGACY_VIDEO_FOURCC : LEGACY_AUDIO_FOURCC)[id];
  const text = String.fromCharCode(id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff);
  return /^[\x20-\x7e]{4}$/.test(text) ? text : undefined;
}
