/** Library entry point of rtmp-toolkit. */
export * from './errors.js';
export * from './limits.js';
export * from './media/packet.js';
export * from './media/timestamp.js';
export * from './rtmp/message.js';
export { probeFile, probeNetwork, validateProbeReport, PROBE_SCHEMA, type ProbeReport, type ProbeOutcome } from './pipeline/probe.js';
export { RtmpServer, type RtmpServerOptions, type ServerEvent, type ConnectionInfo } from './server/rtmp-server.js';
export { openMediaSource, detectMediaKind, type MediaSourceKind } from './pipeline/media-source.js';
export { readContainerPackets, type ContainerSourceOptions } from './pipeline/container-source.js';
