/** Library entry point of rtmp-toolkit. */
export * from './errors.js';
export * from './limits.js';
export * from './media/packet.js';
export * from './media/timestamp.js';
export * from './rtmp/message.js';
export { probeFile, probeNetwork, validateProbeReport, PROBE_SCHEMA, type ProbeReport, type ProbeOutcome } from './pipeline/probe.js';
export { RtmpServer, type RtmpServerOptions, type ServerEvent, type ConnectionInfo } from './server/rtmp-server.js';
export * from './media/enhanced.js';
export * from './media/enhanced-metadata.js';
export { parseHevcDecoderConfig, parseHevcSps, type HevcDecoderConfig, type HevcSpsInfo } from './media/hevc.js';
export { parseAv1CodecConfig, parseAv1SequenceHeader, type Av1CodecConfig, type Av1SequenceHeader } from './media/av1.js';
export { buildVpCodecConfig, parseVpCodecConfig, parseVp9FrameHeader, type VpCodecConfig, type VpCodecConfigInit, type Vp9FrameHeader } from './media/vp9.js';
export { selectTrack, type TrackSelection, type TrackSelectResult } from './media/track-select.js';
export { openMediaSource, detectMediaKind, type MediaSourceKind } from './pipeline/media-source.js';
export { readContainerPackets, type ContainerSourceOptions } from './pipeline/container-source.js';
