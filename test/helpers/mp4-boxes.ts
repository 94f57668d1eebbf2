/**
 * Just enough ISO BMFF walking for tests: the codec configuration box (avcC,
 * hvcC, av1C, vpcC, dOps, ...) of the first sample entry of the first track,
 * as ffmpeg writes it into a small MP4.
 */

interface Box {
  type: string;
  /** The box body (after the 8- or 16-byte header). */
  body: Buffer;
}

function* boxes(buf: Buffer): Generator<Box> {
  let at = 0;
  while (at + 8 <= buf.length) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) {
      size = buf.length - at;
    }
    if (size < header || at + size > buf.length) throw new Error(`bad MP4 box '${type}' of ${size} bytes at ${at}`);
    yield { type, body: buf.subarray(at + header, at + size) };
    at += size;
  }
}

function child(buf: Buffer, type: string): Buffer {
  for (const b of boxes(buf)) if (b.type === type) return b.body;
  throw new Error(`no MP4 box '${type}'`);
}

/** Bytes before the child boxes of a sample entry: 8 (SampleEntry) + 70 (VisualSampleEntry) or + 20 (AudioSampleEntry). */
const VISUAL_ENTRY_FIELDS = 78;
const AUDIO_ENTRY_FIELDS = 28;

/** The sample entry FourCC (e.g. 'hvc1', 'hev1', 'av01') and the body of its `configType` box. */
export function sampleEntryConfig(mp4: Buffer, configType: string, kind: 'video' | 'audio' = 'video'): { entry: string; config: Buffer } {
  const stbl = ['trak', 'mdia', 'minf', 'stbl'].reduce((buf, t) => child(buf, t), child(mp4, 'moov'));
  const stsd = child(stbl, 'stsd');
  // FullBox version/flags and entry_count, then the first sample entry.
  const [entry] = [...boxes(stsd.subarray(8))];
  if (entry === undefined) throw new Error('empty stsd');
  const skip = kind === 'video' ? VISUAL_ENTRY_FIELDS : AUDIO_ENTRY_FIELDS;
  return { entry: entry.type, config: child(entry.body.subarray(skip), configType) };
}
