import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAudioTagHeader } from '../../../src/media/audio-tag.js';
import { audioCodecName, canonicalCodecId, knownCodecIds, videoCodecName } from '../../../src/media/codec-names.js';
import { parseVideoTagHeader } from '../../../src/media/video-tag.js';
import { hex } from '../../helpers/hex.js';

test('legacy video CodecIDs and Enhanced RTMP FourCCs', () => {
  const names = [0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x1c].map((b) => videoCodecName(parseVideoTagHeader(Buffer.from([b, 0, 0, 0, 0]))!));
  assert.deepEqual(names.map((n) => `${n.id}/${n.name}`), [
    'h263/Sorenson H.263',
    'screen/Screen video',
    'vp6/On2 VP6',
    'vp6a/On2 VP6 with alpha',
    'screen2/Screen video v2',
    'h264/H.264/AVC',
    'hevc/H.265/HEVC',
  ]);
  assert.deepEqual(videoCodecName({ codecId: 9 }), { id: 'unknown', name: 'video CodecID 9' });
  const av1 = parseVideoTagHeader(hex('90 // IsExHeader, key, SequenceStart', '61763031 // "av01"'))!;
  assert.deepEqual(videoCodecName(av1), { id: 'av1', name: 'AV1' });
  assert.deepEqual(videoCodecName({ fourcc: 'zzzz' }), { id: 'unknown', name: "FourCC 'zzzz'" });
});

test('legacy SoundFormats, including the Nellymoser and MP3 8 kHz variants', () => {
  const names = [0x0f, 0x1f, 0x2f, 0x3f, 0x42, 0x52, 0x6f, 0x7e, 0x8e, 0xaf, 0xb6, 0xe2, 0xf2].map((b) => audioCodecName(parseAudioTagHeader(Buffer.from([b, 1]))!));
  assert.deepEqual(names.map((n) => `${n.id}/${n.name}`), [
    'pcm/Linear PCM, platform endian',
    'adpcm/ADPCM',
    'mp3/MP3',
    'pcm-le/Linear PCM, little endian',
    'nellymoser/Nellymoser 16 kHz mono',
    'nellymoser/Nellymoser 8 kHz mono',
    'nellymoser/Nellymoser',
    'g711a/G.711 A-law',
    'g711u/G.711 mu-law',
    'aac/AAC',
    'speex/Speex',
    'mp3/MP3 8 kHz',
    'native/Device-specific sound',
  ]);
  assert.deepEqual(audioCodecName({ soundFormat: 9, fourcc: 'Opus' }), { id: 'opus', name: 'Opus' });
  assert.deepEqual(audioCodecName({ soundFormat: 12 }), { id: 'unknown', name: 'SoundFormat 12' });
});

test('codec ids people type are made canonical', () => {
  assert.deepEqual(['AVC', 'H.264', 'h265', 'Sorenson', 'PCMA', 'ulaw', 'aac'].map(canonicalCodecId), ['h264', 'h264', 'hevc', 'h263', 'g711a', 'g711u', 'aac']);
  assert.ok(knownCodecIds('video').includes('vp6'));
  assert.ok(knownCodecIds('audio').includes('speex'));
  assert.equal(new Set(knownCodecIds('audio')).size, knownCodecIds('audio').length);
});
