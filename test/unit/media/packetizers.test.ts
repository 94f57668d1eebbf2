/**
 * FLV tag bodies built from container frames. The avcC and AudioSpecificConfig
 * are real (Debian 12 ffmpeg 5.1, libx264 320x240 Main and the native AAC
 * encoder); the expected bodies are what `ffmpeg -c copy -f flv` writes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaFormatError } from '../../../src/errors.js';
import { isAudioSequenceHeader, isVideoKeyframe, isVideoSequenceHeader } from '../../../src/media/packet.js';
import { AUDIO_PACKETIZERS, aacTagBody, avcTagBody, supportedCodecsHint, VIDEO_PACKETIZERS } from '../../../src/media/packetizers.js';
import { parseAudioTagHeader } from '../../../src/media/audio-tag.js';
import { parseVideoTagHeader } from '../../../src/media/video-tag.js';
import { hex } from '../../helpers/hex.js';

const AVCC = hex(
  '01 4d 40 0d ff // version 1, Main, compat 0x40, level 1.3, NAL length 4',
  'e1 0018 674d400deca0a0fd8088000003000800000301e078a14cb0 // 1 SPS of 24 bytes',
  '01 0004 68ce0fc8 // 1 PPS of 4 bytes',
);
const ASC = hex('12 08 // AAC LC, 44100 Hz, 1 channel', '56 e5 00 // sync extension: no SBR');

test('AVC: the sequence header is 17 00 000000 + avcC, as ffmpeg writes it', () => {
  const p = VIDEO_PACKETIZERS['avc']!({ description: AVCC });
  assert.deepEqual(p.sequenceHeader, Buffer.concat([hex('17 00 000000'), AVCC]));
  assert.ok(isVideoSequenceHeader(p.sequenceHeader));
  assert.equal(p.metadataCodecId, 7);
});

test('AVC: the reorder delay comes from the SPS bitstream restriction (max_num_reorder_frames)', () => {
  assert.equal(VIDEO_PACKETIZERS['avc']!({ description: AVCC }).reorderDelay, 2);
  // libx264 -preset ultrafast -bf 1 (Main) and -bf 0 (Constrained Baseline).
  const bf1 = hex('014d400dffe10016 674d400df60a0fd80880000003008000001e078a149c 01000468ce0fc8');
  const bf0 = hex('0142c00dffe10016 6742c00dda0507ec0440000003004000000f03c50aa8 01000468ce0fc8');
  assert.equal(VIDEO_PACKETIZERS['avc']!({ description: bf1 }).reorderDelay, 1);
  assert.equal(VIDEO_PACKETIZERS['avc']!({ description: bf0 }).reorderDelay, 0);
});

test('AVC frames: FrameType 1/2, AVCPacketType 1, CompositionTime SI24 (negative too), data untouched', () => {
  const p = VIDEO_PACKETIZERS['avc']!({ description: AVCC });
  const data = hex('00000002 0910 // AUD NAL, length-prefixed');
  const key = p.frame(data, true, 67);
  assert.deepEqual(key, hex('17 01 000043', '00000002 0910'));
  assert.ok(isVideoKeyframe(key) && !isVideoSequenceHeader(key));
  const inter = p.frame(data, false, -1);
  assert.deepEqual(inter.subarray(0, 5), hex('27 01 ffffff // CompositionTime -1'));
  assert.equal(parseVideoTagHeader(inter)?.compositionTime, -1);
  assert.deepEqual(avcTagBody(2, 1, -0x800000, data).subarray(2, 5), hex('800000'));
  assert.deepEqual(avcTagBody(2, 1, 0x7fffff, data).subarray(2, 5), hex('7fffff'));
  assert.throws(() => avcTagBody(2, 1, 0x800000, data), RangeError);
  assert.throws(() => avcTagBody(2, 1, 1.5, data), RangeError);
});

test('AAC: AF 00 + AudioSpecificConfig, then AF 01 + raw frames (AF whatever the rate, as ffmpeg)', () => {
  const p = AUDIO_PACKETIZERS['aac']!({ description: ASC });
  assert.deepEqual(p.sequenceHeader, hex('af 00 120856e500'));
  assert.ok(isAudioSequenceHeader(p.sequenceHeader));
  const frame = p.frame(hex('de020040'), true, 0);
  assert.deepEqual(frame, hex('af 01 de020040'));
  assert.equal(parseAudioTagHeader(frame)?.soundFormat, 10);
  assert.deepEqual(aacTagBody(1, new Uint8Array(0)), hex('af 01'));
  assert.equal(p.metadataCodecId, 10);
});

test('missing or malformed codec configuration is a MediaFormatError naming the structure', () => {
  assert.throws(() => VIDEO_PACKETIZERS['avc']!({}), (e: unknown) => e instanceof MediaFormatError && /AVCDecoderConfigurationRecord: the track has none/.test(e.message));
  assert.throws(() => VIDEO_PACKETIZERS['avc']!({ description: hex('00 4d 40 0d ff e0 00') }), /configurationVersion 0/);
  assert.throws(() => VIDEO_PACKETIZERS['avc']!({ description: AVCC.subarray(0, 10) }), MediaFormatError);
  assert.throws(() => AUDIO_PACKETIZERS['aac']!({ description: new Uint8Array(0) }), /AudioSpecificConfig: the track has none/);
  assert.throws(() => AUDIO_PACKETIZERS['aac']!({ description: hex('12') }), MediaFormatError);
});

test('the tables hold H.264 and AAC only for now; the hint says so', () => {
  assert.deepEqual(Object.keys(VIDEO_PACKETIZERS), ['avc']);
  assert.deepEqual(Object.keys(AUDIO_PACKETIZERS), ['aac']);
  for (const codec of ['hevc', 'vp9', 'av1', 'vp8']) assert.equal(VIDEO_PACKETIZERS[codec], undefined);
  for (const codec of ['opus', 'mp3', 'flac', 'ac3']) assert.equal(AUDIO_PACKETIZERS[codec], undefined);
  assert.equal(supportedCodecsHint(), 'H.264/AAC');
});
