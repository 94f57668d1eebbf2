/**
 * The HEVC, AV1 and VP9 configuration parsers against real encoders: ffmpeg
 * encodes a few frames with libx265, libaom-av1, libsvtav1 and libvpx-vp9 into
 * MP4, the test takes the hvcC/av1C/vpcC box out of the sample entry, and what
 * our parsers read must match what ffprobe reports (profile, level, size, pixel
 * format). Each record then travels through an Enhanced RTMP SequenceStart and
 * back unchanged.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAv1CodecConfig } from '../../src/media/av1.js';
import { buildVideoSequenceStart, parseExVideoMessage, type VideoFourCc } from '../../src/media/enhanced.js';
import { parseHevcDecoderConfig } from '../../src/media/hevc.js';
import { parseVp9FrameHeader, parseVpCodecConfig } from '../../src/media/vp9.js';
import { sampleEntryConfig } from '../helpers/mp4-boxes.js';
import { ffprobeVideoStream, genVideo, peerAvailable, requirePeer, tempDir, type ProbedVideoStream } from '../helpers/peers.js';

/** The pixel format ffmpeg names for a chroma format and bit depth. */
function pixFmt(chroma: string, bitDepth: number): string {
  const base = { '4:2:0': 'yuv420p', '4:2:2': 'yuv422p', '4:4:4': 'yuv444p', '4:0:0': 'gray' }[chroma] ?? chroma;
  return bitDepth === 8 ? base : `${base}${bitDepth}le`;
}

interface Sample {
  name: string;
  size: string;
  codecArgs: string[];
  configBox: string;
  fourcc: VideoFourCc;
}

const SAMPLES: Sample[] = [
  { name: 'hevc-main', size: '200x110', codecArgs: ['-c:v', 'libx265', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p'], configBox: 'hvcC', fourcc: 'hvc1' },
  { name: 'hevc-rext-422-10', size: '176x100', codecArgs: ['-c:v', 'libx265', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv422p10le'], configBox: 'hvcC', fourcc: 'hvc1' },
  { name: 'av1-aom', size: '200x110', codecArgs: ['-c:v', 'libaom-av1', '-cpu-used', '8', '-pix_fmt', 'yuv420p'], configBox: 'av1C', fourcc: 'av01' },
  { name: 'av1-svt-10', size: '192x108', codecArgs: ['-c:v', 'libsvtav1', '-pix_fmt', 'yuv420p10le', '-svtav1-params', 'lp=1'], configBox: 'av1C', fourcc: 'av01' },
  { name: 'vp9-profile0', size: '200x110', codecArgs: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-pix_fmt', 'yuv420p'], configBox: 'vpcC', fourcc: 'vp09' },
  { name: 'vp9-profile3-444-10', size: '200x110', codecArgs: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-pix_fmt', 'yuv444p10le'], configBox: 'vpcC', fourcc: 'vp09' },
];

describe('codec configuration records from real encoders', () => {
  let dir = '';
  const made = new Map<string, { config: Buffer; entry: string; probed: ProbedVideoStream; mp4: Buffer }>();

  before(async () => {
    if (!peerAvailable('ffmpeg')) return;
    dir = await tempDir('rtmp-codec-config-');
    for (const s of SAMPLES) {
      const file = path.join(dir, `${s.name}.mp4`);
      await genVideo(file, { size: s.size, frames: 3, codecArgs: s.codecArgs });
      const mp4 = await readFile(file);
      const { entry, config } = sampleEntryConfig(mp4, s.configBox);
      made.set(s.name, { config, entry, probed: await ffprobeVideoStream(file), mp4 });
    }
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The record survives an Enhanced RTMP SequenceStart round trip byte for byte. */
  function throughSequenceStart(fourcc: VideoFourCc, config: Buffer): void {
    const m = parseExVideoMessage(buildVideoSequenceStart(fourcc, config));
    assert.equal(m.tracks[0]?.fourcc, fourcc);
    assert.deepEqual(m.tracks[0]?.data, config);
  }

  for (const s of SAMPLES.filter((x) => x.configBox === 'hvcC')) {
    test(`${s.name}: hvcC and SPS agree with ffprobe`, (t) => {
      if (!requirePeer(t, 'ffmpeg')) return;
      const { config, probed } = made.get(s.name)!;
      const hevc = parseHevcDecoderConfig(config);
      const sps = hevc.spsInfo;
      assert.equal(sps.profile, probed.profile);
      assert.equal(sps.levelIdc, probed.level);
      assert.equal(hevc.levelIdc, sps.levelIdc);
      assert.equal(sps.width, probed.width);
      assert.equal(sps.height, probed.height);
      assert.equal(pixFmt(sps.chromaFormat, sps.bitDepthLuma), probed.pix_fmt);
      assert.equal(hevc.bitDepthLuma, sps.bitDepthLuma);
      assert.equal(hevc.chromaFormatIdc, sps.chromaFormatIdc);
      // x265 pads to whole 8x8 coding blocks and crops with the conformance window.
      assert.equal(sps.codedHeight - sps.crop.bottom, sps.height);
      assert.equal(hevc.nalLengthSize, 4);
      assert.deepEqual(hevc.arrays.map((a) => a.nalUnitType).slice(0, 3), [32, 33, 34]);
      assert.match(sps.codecString, /^hvc1\.\d+\.[0-9a-f]+\.L\d+/);
      throughSequenceStart(s.fourcc, config);
    });
  }

  for (const s of SAMPLES.filter((x) => x.configBox === 'av1C')) {
    test(`${s.name}: av1C and sequence header agree with ffprobe`, (t) => {
      if (!requirePeer(t, 'ffmpeg')) return;
      const { config, probed } = made.get(s.name)!;
      const av1 = parseAv1CodecConfig(config);
      const seq = av1.sequenceHeader;
      assert.ok(seq, 'ffmpeg puts the sequence header OBU in configOBUs');
      assert.equal(seq.profile, probed.profile);
      assert.equal(seq.seqLevelIdx, probed.level);
      assert.equal(av1.seqLevelIdx0, seq.seqLevelIdx);
      assert.equal(av1.seqProfile, seq.seqProfile);
      assert.equal(pixFmt(seq.chromaFormat, seq.bitDepth), probed.pix_fmt);
      assert.equal(av1.highBitdepth, seq.bitDepth > 8);
      // The sequence header carries the maximum frame size: here every frame's size.
      assert.equal(seq.width, probed.width);
      assert.equal(seq.height, probed.height);
      throughSequenceStart(s.fourcc, config);
    });
  }

  for (const s of SAMPLES.filter((x) => x.configBox === 'vpcC')) {
    test(`${s.name}: vpcC and the key frame header agree with ffprobe`, (t) => {
      if (!requirePeer(t, 'ffmpeg')) return;
      const { config, probed, mp4 } = made.get(s.name)!;
      const vp = parseVpCodecConfig(config);
      assert.equal(`Profile ${vp.profile}`, probed.profile);
      assert.equal(pixFmt(vp.chromaFormat, vp.bitDepth), probed.pix_fmt);
      assert.ok(vp.levelIdc >= 10, `level ${vp.levelIdc}`);
      // The first sample in mdat is the key frame: its uncompressed header has the size.
      const mdat = mp4.indexOf('mdat', 0, 'latin1');
      const frame = parseVp9FrameHeader(mp4.subarray(mdat + 4));
      assert.ok(frame);
      assert.equal(frame.width, probed.width);
      assert.equal(frame.height, probed.height);
      assert.equal(frame.profile, vp.profile);
      assert.equal(frame.bitDepth, vp.bitDepth);
      assert.equal(frame.chromaFormat, vp.chromaFormat);
      throughSequenceStart(s.fourcc, config);
    });
  }
});
