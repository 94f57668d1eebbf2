/** Library entry point of rtmp-toolkit. */
export * from './errors.js';
export * from './limits.js';
export * from './media/packet.js';
export * from './media/timestamp.js';
export * from './rtmp/message.js';
