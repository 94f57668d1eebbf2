/**
 * The bodies of two Enhanced RTMP v2 packet types that carry structure rather
 * than codec data: the video Metadata packet (AMF name/value pairs; the one
 * defined pair is ["colorInfo", object], section "Metadata Frame") and the
 * audio MultichannelConfig packet (section "Enhanced Audio").
 */
import { decodeAmf0, encodeAmf0 } from '../amf/amf0.js';
import { asObject, getNumber } from '../amf/expect.js';
import type { AmfObject, AmfValue } from '../amf/value.js';
import { ByteReader } from '../bytes/byte-reader.js';
import { ByteWriter } from '../bytes/byte-writer.js';
import { MediaFormatError } from '../errors.js';
import { shortRead } from './format-error.js';
import type { Limits } from '../limits.js';
import { AudioPacketType, buildExAudioMessage, buildExVideoMessage, VideoFrameType, VideoPacketType, type AudioFourCc, type VideoFourCc } from './enhanced.js';

/** HDR and colour signalling of a colorInfo object (numbers as sent; absent fields stay absent). */
export interface ColorInfo {
  colorConfig?: { bitDepth?: number; colorPrimaries?: number; transferCharacteristics?: number; matrixCoefficients?: number };
  hdrCll?: { maxFall?: number; maxCLL?: number };
  hdrMdcv?: {
    redX?: number;
    redY?: number;
    greenX?: number;
    greenY?: number;
    blueX?: number;
    blueY?: number;
    whitePointX?: number;
    whitePointY?: number;
    maxLuminance?: number;
    minLuminance?: number;
  };
}

const COLOR_FIELDS = {
  colorConfig: ['bitDepth', 'colorPrimaries', 'transferCharacteristics', 'matrixCoefficients'],
  hdrCll: ['maxFall', 'maxCLL'],
  hdrMdcv: ['redX', 'redY', 'greenX', 'greenY', 'blueX', 'blueY', 'whitePointX', 'whitePointY', 'maxLuminance', 'minLuminance'],
} as const;

/** A parsed Metadata packet body. */
export interface VideoMetadata {
  /** The name/value pairs in order. */
  entries: Array<[string, AmfValue]>;
  /**
   * The last colorInfo: an object, `null` for a reset (Undefined, null or an
   * empty object, all of which the spec allows), absent when not sent.
   */
  colorInfo?: ColorInfo | null;
}

const METADATA = 'video Metadata';

/** Parses the body of a video Metadata packet (AMF0 name, value, name, value, ...). */
export function parseVideoMetadata(data: Buffer, limits?: Partial<Limits>): VideoMetadata {
  const values = decodeAmf0(data, limits);
  if (values.length % 2 !== 0) throw new MediaFormatError(METADATA, `${values.length} AMF values, expected name/value pairs`);
  const out: VideoMetadata = { entries: [] };
  for (let i = 0; i < values.length; i += 2) {
    const name = values[i];
    if (typeof name !== 'string') throw new MediaFormatError(METADATA, `entry ${i / 2} has no string name`);
    const value = values[i + 1];
    out.entries.push([name, value]);
    if (name === 'colorInfo') out.colorInfo = toColorInfo(value);
  }
  return out;
}

function toColorInfo(v: AmfValue | undefined): ColorInfo | null {
  const o = asObject(v);
  if (o === undefined || Object.keys(o).length === 0) return null;
  const info: ColorInfo = {};
  for (const group of Object.keys(COLOR_FIELDS) as Array<keyof typeof COLOR_FIELDS>) {
    const src = asObject(o[group]);
    if (src === undefined) continue;
    const dst: Record<string, number> = {};
    for (const field of COLOR_FIELDS[group]) {
      const n = getNumber(src, field);
      if (n !== undefined) dst[field] = n;
    }
    info[group] = dst;
  }
  return info;
}

/** A video Metadata message carrying ["colorInfo", info]; `null` sends Undefined (the recommended reset). */
export function buildColorInfoMetadata(fourcc: VideoFourCc, info: ColorInfo | null): Buffer {
  const value: AmfValue = info === null ? undefined : (JSON.parse(JSON.stringify(info)) as AmfObject);
  // FrameType is ignored for Metadata; 1 keeps it out of the reserved values.
  return buildExVideoMessage({ frameType: VideoFrameType.KeyFrame, packetType: VideoPacketType.Metadata, tracks: [{ fourcc, data: encodeAmf0('colorInfo', value) }] });
}

/** AudioChannelOrder. */
export const AudioChannelOrder = { Unspecified: 0, Native: 1, Custom: 2 } as const;

/** A MultichannelConfig packet body. */
export interface MultichannelConfig {
  channelOrder: number;
  channelCount: number;
  /** Custom order: the AudioChannel of each channel as it appears in the bitstream. */
  mapping?: number[];
  /** Native order: the AudioChannelMask bits of the channels present. */
  channelFlags?: number;
}

const MULTICHANNEL = 'MultichannelConfig';

/** Parses the body of an audio MultichannelConfig packet. */
export function parseMultichannelConfig(data: Buffer): MultichannelConfig {
  const r = new ByteReader(data, shortRead(MULTICHANNEL));
  const channelOrder = r.u8('audioChannelOrder');
  const channelCount = r.u8('channelCount');
  const config: MultichannelConfig = { channelOrder, channelCount };
  if (channelOrder === AudioChannelOrder.Custom) config.mapping = [...r.bytes(channelCount, 'audioChannelMapping')];
  else if (channelOrder === AudioChannelOrder.Native) config.channelFlags = r.u32('audioChannelFlags');
  else if (channelOrder !== AudioChannelOrder.Unspecified) throw new MediaFormatError(MULTICHANNEL, `reserved audioChannelOrder ${channelOrder}`);
  return config;
}

/** An audio MultichannelConfig message. */
export function buildMultichannelConfig(fourcc: AudioFourCc, config: MultichannelConfig): Buffer {
  const w = new ByteWriter(8 + (config.mapping?.length ?? 0));
  w.u8(config.channelOrder).u8(config.channelCount);
  if (config.channelOrder === AudioChannelOrder.Custom) {
    const mapping = config.mapping ?? [];
    if (mapping.length !== config.channelCount) throw new RangeError(`custom channel mapping has ${mapping.length} entries for ${config.channelCount} channels`);
    for (const ch of mapping) w.u8(ch);
  } else if (config.channelOrder === AudioChannelOrder.Native) {
    w.u32(config.channelFlags ?? 0);
  }
  return buildExAudioMessage({ packetType: AudioPacketType.MultichannelConfig, tracks: [{ fourcc, data: w.finish() }] });
}
