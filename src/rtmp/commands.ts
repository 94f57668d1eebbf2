/**
 * NetConnection / NetStream commands (RTMP spec 7.2): building the AMF0
 * payloads we send and decoding, with shape checks, the ones we receive.
 */
import { encodeAmf0, decodeAmf0 } from '../amf/amf0.js';
import type { AmfObject, AmfValue } from '../amf/value.js';
import { asObject, getString } from '../amf/expect.js';
import { ProtocolError } from '../errors.js';
import type { Limits } from '../limits.js';
import type { ConnectCapabilities } from './capabilities.js';
import { MessageType, type RtmpMessage } from './message.js';

/** The fields of the `connect` command object (spec 7.2.1.1) we let callers set. */
export interface ConnectParams extends ConnectCapabilities {
  app: string;
  tcUrl: string;
  flashVer?: string;
  swfUrl?: string;
  pageUrl?: string;
  /** `type: 'nonprivate'` is what FMLE, OBS and ffmpeg send when publishing. */
  type?: string;
  fpad?: boolean;
  capabilities?: number;
  audioCodecs?: number;
  videoCodecs?: number;
  videoFunction?: number;
  objectEncoding?: number;
  /** Extra properties merged into the command object. */
  extra?: AmfObject;
  /** Extra arguments appended after the command object. */
  extraArgs?: AmfValue[];
}

/** Builds the connect command object; optional fields are omitted when not set. */
export function connectObject(p: ConnectParams): AmfObject {
  const o: AmfObject = { app: p.app };
  if (p.type !== undefined) o['type'] = p.type;
  if (p.flashVer !== undefined) o['flashVer'] = p.flashVer;
  if (p.swfUrl !== undefined) o['swfUrl'] = p.swfUrl;
  o['tcUrl'] = p.tcUrl;
  if (p.pageUrl !== undefined) o['pageUrl'] = p.pageUrl;
  if (p.fpad !== undefined) o['fpad'] = p.fpad;
  if (p.capabilities !== undefined) o['capabilities'] = p.capabilities;
  if (p.audioCodecs !== undefined) o['audioCodecs'] = p.audioCodecs;
  if (p.videoCodecs !== undefined) o['videoCodecs'] = p.videoCodecs;
  if (p.videoFunction !== undefined) o['videoFunction'] = p.videoFunction;
  if (p.objectEncoding !== undefined) o['objectEncoding'] = p.objectEncoding;
  if (p.fourCcList !== undefined) o['fourCcList'] = [...p.fourCcList];
  if (p.videoFourCcInfoMap !== undefined) o['videoFourCcInfoMap'] = { ...p.videoFourCcInfoMap };
  if (p.audioFourCcInfoMap !== undefined) o['audioFourCcInfoMap'] = { ...p.audioFourCcInfoMap };
  if (p.capsEx !== undefined) o['capsEx'] = p.capsEx;
  if (p.extra) for (const [k, v] of Object.entries(p.extra)) o[k] = v;
  return o;
}

/** A decoded command message: name, transaction id, command object, further arguments. */
export interface Command {
  name: string;
  transactionId: number;
  commandObject: AmfValue;
  args: AmfValue[];
}

/** AMF0 payload of a command. */
export function encodeCommand(name: string, transactionId: number, commandObject: AmfValue, ...args: AmfValue[]): Buffer {
  return encodeAmf0(name, transactionId, commandObject, ...args);
}

/** AMF values of a command (type 20) or AMF3 command (type 17, which starts with a 0x00 format byte). */
export function decodeCommandValues(msg: RtmpMessage, limits?: Partial<Limits>): AmfValue[] {
  let payload = msg.payload;
  if ((msg.typeId === MessageType.CommandAmf3 || msg.typeId === MessageType.DataAmf3) && payload[0] === 0) {
    payload = payload.subarray(1);
  }
  return decodeAmf0(payload, limits);
}

/** Decodes a command message; a missing name or non-number transaction id is a ProtocolError. */
export function decodeCommand(msg: RtmpMessage, limits?: Partial<Limits>): Command {
  const values = decodeCommandValues(msg, limits);
  const [name, txn, obj, ...args] = values;
  if (typeof name !== 'string') throw new ProtocolError('command message without a command name');
  return {
    name,
    transactionId: typeof txn === 'number' ? txn : 0,
    commandObject: obj ?? null,
    args,
  };
}

/** The information object of an onStatus (or _error) reply. */
export interface StatusInfo {
  level: string;
  code: string;
  description: string;
  raw: AmfObject;
}

/**
 * Finds the information object of an `onStatus`, `_result` or `_error`:
 * spec says the first argument after the (null) command object, but some
 * servers put it in the command object slot.
 */
export function statusInfo(cmd: Command): StatusInfo | undefined {
  for (const v of [cmd.args[0], cmd.commandObject, ...cmd.args.slice(1)]) {
    const o = asObject(v);
    const code = getString(o, 'code');
    if (o && code !== undefined) {
      return { level: getString(o, 'level') ?? '', code, description: getString(o, 'description') ?? '', raw: o };
    }
  }
  return undefined;
}

/** What a NetStream status code means for the operation waiting on it. */
export type StatusOutcome = 'publishing' | 'playing' | 'ended' | 'rejected' | 'info';

/** Maps an onStatus code to its outcome. Unknown codes with level "error" are rejections. */
export function statusOutcome(info: { level: string; code: string }): StatusOutcome {
  switch (info.code) {
    case 'NetStream.Publish.Start':
      return 'publishing';
    case 'NetStream.Play.Start':
    case 'NetStream.Play.Reset':
      return 'playing';
    case 'NetStream.Play.Stop':
    case 'NetStream.Play.Complete':
    case 'NetStream.Play.UnpublishNotify':
    case 'NetStream.Unpublish.Success':
      return 'ended';
    case 'NetStream.Publish.BadName':
    case 'NetStream.Publish.Denied':
    case 'NetStream.Publish.Rejected':
    case 'NetStream.Play.StreamNotFound':
    case 'NetStream.Play.Failed':
    case 'NetStream.Play.Forbidden':
    case 'NetStream.Failed':
    case 'NetConnection.Connect.Rejected':
    case 'NetConnection.Connect.Failed':
    case 'NetConnection.Connect.Closed':
      return 'rejected';
    default:
      return info.level === 'error' ? 'rejected' : 'info';
  }
}

/** Plain-words explanation of well-known status codes for error lines. */
export function explainStatus(code: string): string | undefined {
  switch (code) {
    case 'NetStream.Publish.BadName':
      return 'the stream name is already being published or is not allowed';
    case 'NetStream.Publish.Denied':
    case 'NetStream.Publish.Rejected':
      return 'the server refused to let us publish (check the stream key)';
    case 'NetStream.Play.StreamNotFound':
      return 'no such stream on the server';
    case 'NetConnection.Connect.Rejected':
      return 'the server rejected the connection (check the application name and credentials)';
    case 'NetConnection.Connect.Failed':
      return 'the server could not accept the connection';
    default:
      return undefined;
  }
}
