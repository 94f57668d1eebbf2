import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAudioTagHeader, type AudioTagInfo } from '../../../src/media/audio-tag.js';
import { hex } from '../../helpers/hex.js';

test('legacy AAC sequence header and raw frame', () => {
  const seq = hex('af // SoundFormat 10 (AAC), rate 3 (44 kHz), 16-bit, stereo', '00 // AACPacketType 0: AudioSpecificConfig', '1210');
  assert.deepEqual(parseAudioTagHeader(seq), {
    enhanced: false,
    codec: 'aac',
    soundFormat: 10,
    sampleRate: 44100,
    sampleSize: 16,
    channels: 2,
    packetType: 0,
    sequenceHeader: true,
    headerSize: 2,
  } satisfies AudioTagInfo);
  const raw = parseAudioTagHeader(hex('af 01 // AAC raw', '21'));
  assert.equal(raw?.sequenceHeader, false);
  assert.equal(raw?.packetType, 1);
  assert.equal(parseAudioTagHeader(hex('af // AAC without its packet type')), undefined);
});

test('legacy formats: rate, size and channels bits', () => {
  const mp3 = parseAudioTagHeader(hex('2e // SoundFormat 2 (MP3), rate 3, 16-bit, mono', 'ff fb'));
  assert.deepEqual([mp3?.codec, mp3?.sampleRate, mp3?.sampleSize, mp3?.channels, mp3?.headerSize], ['mp3', 44100, 16, 1, 1]);
  const pcm = parseAudioTagHeader(hex('31 // SoundFormat 3 (PCM LE), rate 0 (5.5 kHz), 8-bit, stereo'));
  assert.deepEqual([pcm?.codec, pcm?.sampleRate, pcm?.sampleSize, pcm?.channels], ['pcm-le', 5512, 8, 2]);
  assert.equal(parseAudioTagHeader(hex('52 // Nellymoser 8 kHz mono'))?.sampleRate, 8000);
  assert.equal(parseAudioTagHeader(hex('42 // Nellymoser 16 kHz mono'))?.sampleRate, 16000);
  assert.equal(parseAudioTagHeader(hex('e2 // MP3 8 kHz'))?.sampleRate, 8000);
  assert.equal(parseAudioTagHeader(hex('b6 // Speex, rate 1 (11 kHz), 16-bit, mono'))?.codec, 'speex');
  assert.equal(parseAudioTagHeader(hex('76 // G.711 A-law'))?.codec, 'g711a');
  assert.equal(parseAudioTagHeader(hex('86 // G.711 mu-law'))?.codec, 'g711u');
});

test('Enhanced RTMP audio (SoundFormat 9)', () => {
  const start = hex('90 // SoundFormat 9 (ExHeader), PacketType 0 (SequenceStart)', '4f707573 // "Opus"', '4f70757348656164');
  assert.deepEqual(parseAudioTagHeader(start), {
    enhanced: true,
    codec: 'opus',
    soundFormat: 9,
    fourcc: 'Opus',
    packetType: 0,
    sequenceHeader: true,
    headerSize: 5,
  } satisfies AudioTagInfo);
  for (let n = 0; n < 5; n++) assert.equal(parseAudioTagHeader(start.subarray(0, n)), undefined);
  for (const [fourcc, codec] of [['mp4a', 'aac'], ['fLaC', 'flac'], ['ac-3', 'ac3'], ['ec-3', 'eac3'], ['.mp3', 'mp3'], ['zzzz', 'unknown']] as const) {
    const p = parseAudioTagHeader(Buffer.concat([hex('91 // CodedFrames'), Buffer.from(fourcc)]));
    assert.equal(p?.codec, codec, fourcc);
    assert.equal(p?.packetType, 1);
    assert.equal(p?.sequenceHeader, false);
  }
});

test('Enhanced RTMP audio ModEx and multitrack', () => {
  const modex = hex('97 // ExHeader, PacketType 7 (ModEx)', '02 000064 // 3 bytes: TimestampOffsetNano 100', '01 // ModExType 0, PacketType 1', '6d703461 // "mp4a"');
  const m = parseAudioTagHeader(modex);
  assert.equal(m?.timestampOffsetNano, 100);
  assert.equal(m?.packetType, 1);
  assert.equal(m?.codec, 'aac');
  assert.equal(m?.headerSize, modex.length);
  const mt = parseAudioTagHeader(hex('95 // PacketType 5 (Multitrack)', '10 // ManyTracks, SequenceStart', '4f707573 // "Opus"'));
  assert.equal(mt?.multitrackType, 1);
  assert.equal(mt?.sequenceHeader, true);
  assert.equal(mt?.codec, 'opus');
  assert.equal(mt?.headerSize, 6);
});

test('never throws on short, reserved or garbage input', () => {
  assert.equal(parseAudioTagHeader(Buffer.alloc(0)), undefined);
  assert.equal(parseAudioTagHeader(hex('c0 // SoundFormat 12 is reserved')), undefined);
  assert.equal(parseAudioTagHeader(hex('d0 // SoundFormat 13 is reserved')), undefined);
  for (let i = 0; i < 2000; i++) {
    const junk = Buffer.from(Array.from({ length: i % 10 }, (_, j) => (i * 97 + j * 53 + (i >> 4)) & 0xff));
    assert.doesNotThrow(() => parseAudioTagHeader(junk), junk.toString('hex'));
  }
});
