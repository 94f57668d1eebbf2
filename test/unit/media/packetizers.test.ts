/**
 * FLV tag bodies built from container frames. The avcC and AudioSpecificConfig
 * are real (Debian 12 ffmpeg 5.1, libx264 320x240 Main and the native AAC
 * encoder); the expected bodies are what `ffmpeg -c copy -f flv` writes. The
 * hvcC, AV1 sequence header, VP9 codec string and OpusHead are real too
 * (libx265, libaom, libvpx-vp9 and libopus through the same ffmpeg), and the
 * Enhanced RTMP bodies follow veovera enhanced-rtmp v2.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaFormatError } from '../../../src/errors.js';
import { isAudioSequenceHeader, isVideoKeyframe, isVideoSequenceHeader } from '../../../src/media/packet.js';
import { AUDIO_PACKETIZERS, aacTagBody, avcTagBody, fourCcValue, supportedCodecsHint, VIDEO_PACKETIZERS } from '../../../src/media/packetizers.js';
import { buildAv1CodecConfig } from '../../../src/media/av1.js';
import { parseExVideoMessage } from '../../../src/media/enhanced.js';
import { parseHevcDecoderConfig, parseHevcSps } from '../../../src/media/hevc.js';
import { vpCodecConfigFromCodecString } from '../../../src/media/vp9.js';
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

/** libx265 3.5 (Debian 12), 160x120 Main, bframes=3 with b-pyramid: VPS, SPS and PPS (its SEI left out). */
const HVCC = hex(
  '01 01 60000000 900000000000 1e // version 1, Main, compat 0x60000000, constraints, level 1 (30)',
  'f000 fc fd f8 f8 0000 0f 03 // 4:2:0 8-bit, NAL length 4, three arrays',
  '20 0001 0018 40010c01ffff01600000030090000003000003001e959409 // VPS',
  '21 0001 002b 42010101600000030090000003000003001ea01420207cb965654a4c2f016808000003000800000300c840 // SPS',
  '22 0001 0006 4401c073c189 // PPS',
);
/** The sequence header OBU that starts libaom's first AV1 frame (160x120, Main, level 2.0, 8-bit 4:2:0). */
const AV1_SEQ_OBU = hex('0a 0a // OBU type 1, has_size, 10 bytes', '00000003b4ff736be401');
/** OpusHead as mediabunny rebuilds it from MP4's dOps and Matroska stores it: 1 channel, pre-skip 312, 48000 Hz. */
const OPUS_HEAD = hex('4f707573 48656164 // "OpusHead"', '01 01 3801 80bb0000 0000 00 // version 1, 1 channel, pre-skip, rate, gain, family 0');

test('HEVC: hvc1 SequenceStart with the hvcC, CodedFrames with the composition time; reorder delay from the SPS', () => {
  const p = VIDEO_PACKETIZERS['hevc']!({ description: HVCC });
  assert.deepEqual(p.sequenceHeader, Buffer.concat([hex('90 // IsExHeader, KeyFrame, SequenceStart', '68766331 // hvc1'), HVCC]));
  assert.equal(p.metadataCodecId, 0x68766331);
  // x265's b-pyramid: sps_max_num_reorder_pics 2, as its composition times show.
  assert.equal(p.reorderDelay, 2);
  const data = hex('00000003 460150 // AUD NAL, length-prefixed');
  assert.deepEqual(p.frame(data, true, 80), hex('91 68766331 000050', '00000003 460150'));
  assert.deepEqual(p.frame(data, false, -40), hex('a1 68766331 ffffd8', '00000003 460150'));
  assert.deepEqual(parseExVideoMessage(p.frame(data, false, -40)).tracks[0]?.compositionTime, -40);
  assert.throws(() => VIDEO_PACKETIZERS['hevc']!({}), /HEVCDecoderConfigurationRecord: the track has none/);
});

test('HEVC SPS: sps_max_num_reorder_pics, and none when the SPS stops before it', () => {
  assert.equal(parseHevcDecoderConfig(HVCC).spsInfo.maxNumReorderPics, 2);
  const sps = hex('42010101600000030090000003000003001ea01420207cb965654a4c2f016808000003000800000300c840');
  // Cut inside the sub-layer ordering info (24 bytes hold everything up to the bit depths, 26 the reorder count).
  assert.equal(parseHevcSps(sps.subarray(0, 25)).maxNumReorderPics, undefined);
  assert.equal(parseHevcSps(sps.subarray(0, 25)).width, 160);
  assert.equal(parseHevcSps(sps.subarray(0, 26)).maxNumReorderPics, 2);
});

test('AV1: av01 SequenceStart with an av1C built from the first frame\'s sequence header, as ffmpeg writes it; CompositionTime never', () => {
  const frame = Buffer.concat([AV1_SEQ_OBU, hex('32 03 aabbcc // a frame OBU')]);
  const p = VIDEO_PACKETIZERS['av1']!({ firstFrame: frame });
  // The av1C box libaom's MP4 holds (ffmpeg 5.1): the same bytes.
  const av1C = hex('81 // marker, version 1', '00 // profile 0, level 0', '0c // 8-bit, 4:2:0, chroma_sample_position 0', '00', '0a0a00000003b4ff736be401');
  assert.deepEqual(p.sequenceHeader, Buffer.concat([hex('90 61763031 // KeyFrame SequenceStart av01'), av1C]));
  assert.equal(p.metadataCodecId, 0x61763031);
  assert.equal(p.reorderDelay, undefined);
  assert.deepEqual(p.frame(hex('32 00'), false, 0), hex('a1 61763031 3200 // no CompositionTime'));
  // A track that has an av1C keeps it; one without either is refused.
  assert.deepEqual(VIDEO_PACKETIZERS['av1']!({ description: av1C }).sequenceHeader.subarray(5), av1C);
  assert.throws(() => VIDEO_PACKETIZERS['av1']!({ firstFrame: hex('32 03 aabbcc') }), /AV1CodecConfigurationRecord: .*no sequence header OBU/);
  assert.deepEqual(buildAv1CodecConfig(AV1_SEQ_OBU.subarray(2)), av1C);
});

test('VP9: vp09 SequenceStart with a vpcC from the codec string (WebM has none) or the track\'s own', () => {
  const p = VIDEO_PACKETIZERS['vp9']!({ codec: 'vp09.00.10.08.01.02.02.02.00' });
  const vpcC = hex('01000000 // FullBox version 1', '00 0a 82 // profile 0, level 1, 8-bit 4:2:0 colocated, limited range', '02 02 02 // colour unspecified', '0000');
  assert.deepEqual(p.sequenceHeader, Buffer.concat([hex('90 76703039 // vp09'), vpcC]));
  assert.equal(p.metadataCodecId, 0x76703039);
  assert.deepEqual(p.frame(hex('8249'), true, 0), hex('91 76703039 8249'));
  // The short form takes the binding's defaults: 4:2:0 colocated, BT.709, limited range.
  assert.deepEqual(vpCodecConfigFromCodecString('vp09.02.31.10'), hex('01000000 02 1f a2 01 01 01 0000'));
  assert.deepEqual(VIDEO_PACKETIZERS['vp9']!({ description: vpcC, codec: 'vp09.02.31.10' }).sequenceHeader.subarray(5), vpcC);
  assert.throws(() => VIDEO_PACKETIZERS['vp9']!({ codec: 'vp8' }), /VP9 codec string: 'vp8' is not/);
  assert.throws(() => vpCodecConfigFromCodecString('vp09.00.10.09'), MediaFormatError);
});

test('Opus: Opus SequenceStart with the OpusHead, one CodedFrames message per packet', () => {
  const p = AUDIO_PACKETIZERS['opus']!({ description: OPUS_HEAD });
  assert.deepEqual(p.sequenceHeader, Buffer.concat([hex('90 // SoundFormat 9 (ExHeader), SequenceStart', '4f707573 // Opus'), OPUS_HEAD]));
  assert.deepEqual(p.frame(hex('fc ff fe'), true, 0), hex('91 4f707573 fcfffe'));
  assert.equal(p.metadataCodecId, 0x4f707573);
  assert.throws(() => AUDIO_PACKETIZERS['opus']!({ description: OPUS_HEAD.subarray(0, 18) }), /OpusHead: not an RFC 7845/);
  assert.throws(() => AUDIO_PACKETIZERS['opus']!({ description: Buffer.concat([hex('4f707573 48656164 10'), OPUS_HEAD.subarray(9)]) }), /version 16/);
});

test('MP3: legacy SoundFormat 2, rate/size/channels in the tag byte, no sequence header', () => {
  const stereo = AUDIO_PACKETIZERS['mp3']!({ sampleRate: 44100, channels: 2 });
  assert.equal(stereo.sequenceHeader.length, 0);
  assert.equal(stereo.metadataCodecId, 2);
  assert.deepEqual(stereo.frame(hex('fffb9064'), true, 0), hex('2f // MP3, 44 kHz, 16-bit, stereo', 'fffb9064'));
  assert.deepEqual(AUDIO_PACKETIZERS['mp3']!({ sampleRate: 48000, channels: 1 }).frame(hex('fffb'), true, 0), hex('2e fffb // 48 kHz is sent as 44 kHz, mono'));
  assert.deepEqual(AUDIO_PACKETIZERS['mp3']!({ sampleRate: 22050, channels: 1 }).frame(hex('fff3'), true, 0), hex('2a fff3 // 22 kHz'));
  assert.equal(parseAudioTagHeader(stereo.frame(hex('fffb'), true, 0))?.soundFormat, 2);
  assert.throws(() => AUDIO_PACKETIZERS['mp3']!({ sampleRate: 8000, channels: 1 }), /MP3 track: sample rate 8000 Hz/);
});

test('AC-3 and E-AC-3: ac-3 / ec-3 CodedFrames, no sequence header (the syncframes say it all)', () => {
  const ac3 = AUDIO_PACKETIZERS['ac3']!({ sampleRate: 48000, channels: 2 });
  assert.equal(ac3.sequenceHeader.length, 0);
  assert.equal(ac3.metadataCodecId, 0x61632d33);
  assert.deepEqual(ac3.frame(hex('0b77 1234'), true, 0), hex('91 // ExHeader, CodedFrames', '61632d33 // ac-3', '0b771234'));
  const eac3 = AUDIO_PACKETIZERS['eac3']!({});
  assert.equal(eac3.metadataCodecId, 0x65632d33);
  assert.deepEqual(eac3.frame(hex('0b77'), true, 0), hex('91 65632d33 0b77 // ec-3'));
});

test('the tables hold H.264, HEVC, AV1, VP9, AAC, Opus, MP3, AC-3 and E-AC-3; the hint says so', () => {
  assert.deepEqual(Object.keys(VIDEO_PACKETIZERS), ['avc', 'hevc', 'av1', 'vp9']);
  assert.deepEqual(Object.keys(AUDIO_PACKETIZERS), ['aac', 'opus', 'mp3', 'ac3', 'eac3']);
  for (const codec of ['vp8', 'prores']) assert.equal(VIDEO_PACKETIZERS[codec], undefined);
  for (const codec of ['vorbis', 'flac', 'pcm-s16']) assert.equal(AUDIO_PACKETIZERS[codec], undefined);
  assert.equal(supportedCodecsHint(), 'H.264/HEVC/AV1/VP9/AAC/Opus/MP3/AC-3/E-AC-3');
  assert.equal(fourCcValue('hvc1'), 1752589105);
});
