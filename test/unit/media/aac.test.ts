/**
 * AudioSpecificConfig parsing. The AAC LC vectors are real encoder output:
 * the Debian 12 ffmpeg 5.1 native AAC encoder (`-c:a aac`), taken from the FLV
 * AAC sequence header (the bytes after AF 00); ffmpeg appends the
 * backward-compatible "no SBR" extension 56 e5 00 to each. Debian's ffmpeg has
 * no HE-AAC encoder (no libfdk_aac), so the SBR/PS vectors are assembled bit
 * by bit from ISO/IEC 14496-3 1.6.2.1 with the layouts such encoders write.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediaFormatError } from '../../../src/errors.js';
import { aacObjectTypeName, parseAudioSpecificConfig, type AacConfig } from '../../../src/media/aac.js';
import { BitWriter } from '../../helpers/bit-writer.js';
import { hex } from '../../helpers/hex.js';

/** ffmpeg -f lavfi -i sine=sample_rate=44100 -ac 2 -c:a aac -f flv */
const LC_44100_STEREO = hex(
  '12 10 // 00010 AOT 2 (LC) | 0100 index 4 (44100) | 0010 channels 2 | 0 frameLength 1024 | 0 dependsOnCoreCoder | 0 extensionFlag',
  '56 e5 00 // 01010110111 sync 0x2b7 | 00101 AOT 5 (SBR) | 0 sbrPresentFlag | padding',
);
/** ffmpeg -f lavfi -i sine=sample_rate=48000 -ac 1 -c:a aac -f flv */
const LC_48000_MONO = hex('11 88 // AOT 2 | index 3 (48000) | channels 1 | 000', '56 e5 00 // sync 0x2b7, SBR absent');
/** ffmpeg -f lavfi -i sine=sample_rate=22050 -ac 1 -c:a aac -f flv */
const LC_22050_MONO = hex('13 88 // AOT 2 | index 7 (22050) | channels 1 | 000', '56 e5 00');
/** ffmpeg -f lavfi -i sine=sample_rate=8000 -ac 1 -c:a aac -f flv */
const LC_8000_MONO = hex('15 88 // AOT 2 | index 11 (8000) | channels 1 | 000', '56 e5 00');
/** ffmpeg -f lavfi -i sine=sample_rate=96000 -af "pan=5.1|c0=c0|..." -c:a aac -f flv */
const LC_96000_51 = hex('10 30 // AOT 2 | index 0 (96000) | channels 6 (5.1) | 000', '56 e5 00');
/** ffmpeg -f lavfi -i sine=sample_rate=48000 -ac 2 -c:a aac -profile:a aac_main -f flv */
const MAIN_48000_STEREO = hex('09 90 // 00001 AOT 1 (Main) | index 3 | channels 2 | 000', '56 e5 00');
/** ffmpeg -f lavfi -i sine=sample_rate=48000 -af "pan=2.1|..." -c:a aac -aac_pce 1 -f flv: channelConfiguration 0 and a PCE */
const LC_PCE_21 = hex(
  '11 80 // AOT 2 | index 3 | channels 0 (PCE follows) | 000',
  '04 c4 01 00 20 00 // PCE: tag 0, profile 1, index 3, 1 front, 0 side, 0 back, 1 LFE, no mixdowns, front CPE, LFE tag 0: 3 channels, byte alignment',
  '0d // comment_field_bytes 13',
  '4c61766335392e33372e313030 // "Lavc59.37.100"',
  '56 e5 00 // sync 0x2b7, SBR absent',
);
/** HE-AAC, hierarchical signalling: AOT 5 first, then the core. */
const HE_AAC_HIERARCHICAL = hex('2b 92 // 00101 AOT 5 (SBR) | 0111 index 7 (22050) | 0010 stereo | 0100 extension index 4 (44100)', '08 00 // 00010 core AOT 2 | 000 GA flags | padding');
/** HE-AAC v2, hierarchical: AOT 29 (PS), mono core, stereo output. */
const HE_AAC_V2_HIERARCHICAL = hex('eb 09 // 11101 AOT 29 (PS) | 0110 index 6 (24000) | 0001 mono | 0011 extension index 3 (48000)', '88 00 // 00010 core AOT 2 | 000 | padding');
/** HE-AAC, backward-compatible: an LC core, then sync 0x2b7 with sbrPresentFlag 1. */
const HE_AAC_BACKWARD = hex('13 10 // AOT 2 | index 6 (24000) | stereo | 000', '56 e5 98 // sync 0x2b7 | AOT 5 | 1 sbrPresentFlag | 0011 extension index 3 (48000) | padding');

function pick(c: AacConfig): Partial<AacConfig> {
  return { objectType: c.objectType, profile: c.profile, codecString: c.codecString, sampleRate: c.sampleRate, channels: c.channels, sbr: c.sbr, ps: c.ps, outputSampleRate: c.outputSampleRate, outputChannels: c.outputChannels };
}

const CASES: Array<[string, Buffer, Partial<AacConfig>]> = [
  ['LC 44.1 kHz stereo', LC_44100_STEREO, { objectType: 2, profile: 'AAC LC', codecString: 'mp4a.40.2', sampleRate: 44100, channels: 2, sbr: false, ps: false, outputSampleRate: 44100, outputChannels: 2 }],
  ['LC 48 kHz mono', LC_48000_MONO, { objectType: 2, profile: 'AAC LC', codecString: 'mp4a.40.2', sampleRate: 48000, channels: 1, sbr: false, ps: false, outputSampleRate: 48000, outputChannels: 1 }],
  ['LC 22.05 kHz mono', LC_22050_MONO, { objectType: 2, profile: 'AAC LC', codecString: 'mp4a.40.2', sampleRate: 22050, channels: 1, sbr: false, ps: false, outputSampleRate: 22050, outputChannels: 1 }],
  ['LC 8 kHz mono', LC_8000_MONO, { objectType: 2, profile: 'AAC LC', codecString: 'mp4a.40.2', sampleRate: 8000, channels: 1, sbr: false, ps: false, outputSampleRate: 8000, outputChannels: 1 }],
  ['LC 96 kHz 5.1', LC_96000_51, { objectType: 2, profile: 'AAC LC', codecString: 'mp4a.40.2', sampleRate: 96000, channels: 6, sbr: false, ps: false, outputSampleRate: 96000, outputChannels: 6 }],
  ['Main 48 kHz stereo', MAIN_48000_STEREO, { objectType: 1, profile: 'AAC Main', codecString: 'mp4a.40.1', sampleRate: 48000, channels: 2, sbr: false, ps: false, outputSampleRate: 48000, outputChannels: 2 }],
  ['LC 2.1 with a PCE', LC_PCE_21, { objectType: 2, profile: 'AAC LC', codecString: 'mp4a.40.2', sampleRate: 48000, channels: 3, sbr: false, ps: false, outputSampleRate: 48000, outputChannels: 3 }],
  ['HE-AAC hierarchical', HE_AAC_HIERARCHICAL, { objectType: 2, profile: 'HE-AAC', codecString: 'mp4a.40.5', sampleRate: 22050, channels: 2, sbr: true, ps: false, outputSampleRate: 44100, outputChannels: 2 }],
  ['HE-AAC v2 hierarchical', HE_AAC_V2_HIERARCHICAL, { objectType: 2, profile: 'HE-AAC v2', codecString: 'mp4a.40.29', sampleRate: 24000, channels: 1, sbr: true, ps: true, outputSampleRate: 48000, outputChannels: 2 }],
  ['HE-AAC backward-compatible', HE_AAC_BACKWARD, { objectType: 2, profile: 'HE-AAC', codecString: 'mp4a.40.5', sampleRate: 24000, channels: 2, sbr: true, ps: false, outputSampleRate: 48000, outputChannels: 2 }],
];

for (const [name, asc, expected] of CASES) {
  test(`AudioSpecificConfig: ${name}`, () => {
    assert.deepEqual(pick(parseAudioSpecificConfig(asc)), expected);
  });
}

test('HE-AAC v2 backward-compatible: sync 0x2b7 with SBR, then sync 0x548 with psPresentFlag', () => {
  const w = new BitWriter().u(5, 2).u(4, 6).u(4, 1).u(3, 0); // LC, 24000, mono, GA flags
  w.u(11, 0x2b7).u(5, 5).flag(true).u(4, 3); // SBR present, output 48000
  w.u(11, 0x548).flag(true); // PS present
  assert.deepEqual(pick(parseAudioSpecificConfig(w.bytes())), {
    objectType: 2, profile: 'HE-AAC v2', codecString: 'mp4a.40.29', sampleRate: 24000, channels: 1, sbr: true, ps: true, outputSampleRate: 48000, outputChannels: 2,
  });
});

test('an explicit 24-bit sampling frequency (index 15), an escaped object type, frame lengths', () => {
  const explicit = new BitWriter().u(5, 2).u(4, 15).u(24, 44000).u(4, 2).u(3, 0).bytes();
  assert.deepEqual([parseAudioSpecificConfig(explicit).sampleRate, parseAudioSpecificConfig(explicit).channels], [44000, 2]);
  const usac = new BitWriter().u(5, 31).u(6, 10).u(4, 3).u(4, 2).u(8, 0).bytes(); // AOT 32 + 10 = 42
  const u = parseAudioSpecificConfig(usac);
  assert.deepEqual([u.objectType, u.profile, u.channels, u.frameLength], [42, 'USAC', 2, undefined]);
  const lc960 = new BitWriter().u(5, 2).u(4, 3).u(4, 2).u(3, 0b100).bytes();
  assert.equal(parseAudioSpecificConfig(lc960).frameLength, 960);
  const ld = new BitWriter().u(5, 23).u(4, 3).u(4, 1).u(3, 0b100).u(2, 0).bytes(); // ER AAC LD, 480 samples, epConfig 0
  assert.deepEqual([parseAudioSpecificConfig(ld).profile, parseAudioSpecificConfig(ld).frameLength], ['ER AAC LD', 480]);
  assert.equal(parseAudioSpecificConfig(LC_44100_STEREO).frameLength, 1024);
});

test('reserved sampling frequency indices and a zero explicit rate are MediaFormatErrors', () => {
  for (const index of [13, 14]) {
    const bad = new BitWriter().u(5, 2).u(4, index).u(4, 2).u(3, 0).bytes();
    assert.throws(() => parseAudioSpecificConfig(bad), (e: unknown) => e instanceof MediaFormatError && new RegExp(`samplingFrequencyIndex ${index} is reserved`).test(e.message));
  }
  const zero = new BitWriter().u(5, 2).u(4, 15).u(24, 0).u(4, 2).u(3, 0).bytes();
  assert.throws(() => parseAudioSpecificConfig(zero), /samplingFrequency is 0/);
});

test('every truncation is a MediaFormatError or a parse that agrees on the core fields', () => {
  for (const [name, asc] of CASES) {
    const full = parseAudioSpecificConfig(asc);
    for (let n = 0; n < asc.length; n++) {
      try {
        const c = parseAudioSpecificConfig(asc.subarray(0, n));
        // Only the optional trailing extension may be cut off.
        assert.deepEqual([c.objectType, c.sampleRate, c.channels], [full.objectType, full.sampleRate, full.channels], `${name} prefix ${n}`);
      } catch (e) {
        assert.ok(e instanceof MediaFormatError, `${name} prefix ${n}: ${String(e)}`);
      }
    }
    assert.throws(() => parseAudioSpecificConfig(asc.subarray(0, 1)), MediaFormatError, `${name}: one byte is never enough`);
  }
  // A PCE cut inside its comment.
  assert.throws(() => parseAudioSpecificConfig(LC_PCE_21.subarray(0, 12)), /truncated comment_field_data/);
});

test('object type names', () => {
  assert.equal(aacObjectTypeName(2), 'AAC LC');
  assert.equal(aacObjectTypeName(29), 'HE-AAC v2');
  assert.equal(aacObjectTypeName(39), 'ER AAC ELD');
  assert.equal(aacObjectTypeName(50), 'audio object type 50');
});
