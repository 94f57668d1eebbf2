/**
 * Picks the reader for an input file: FLV (our own reader) or a container
 * that mediabunny demuxes (MP4, MOV, Matroska, WebM). The content decides;
 * the extension only matters when the first bytes say nothing, so a garbage
 * `x.mp4` is reported as a broken MP4 and a garbage `x.bin` as "not an FLV".
 * stdin is always FLV (containers need random access).
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { MediaPacket } from '../media/packet.js';
import { readContainerPackets } from './container-source.js';
import { readFlvPackets, type FlvSourceOptions } from './flv-file-source.js';

export type MediaSourceKind = 'flv' | 'container';

/**
 * Extensions that send a file the sniffer does not recognise to the
 * container reader: ours, and formats it names when it refuses them
 * (MPEG-TS, Ogg, MP3, WAVE, FLAC, ADTS) rather than calling them "not an FLV".
 */
const CONTAINER_EXTENSIONS = new Set([
  '.mp4', '.m4v', '.m4a', '.mov', '.qt', '.3gp', '.mkv', '.mka', '.webm',
  '.ts', '.m2ts', '.mts', '.ogg', '.oga', '.opus', '.mp3', '.wav', '.flac', '.aac',
]);

/** ISO BMFF box types that start a file (ISO/IEC 14496-12 4.3: ftyp first; older QuickTime files start with others). */
const ISOBMFF_FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot']);

/** The EBML magic that starts every Matroska and WebM file. */
const EBML_MAGIC = 0x1a45dfa3;

/** What the first bytes of a file look like: FLV, a container, or neither (undefined). */
export function sniffMediaKind(head: Buffer): MediaSourceKind | undefined {
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'FLV') return 'flv';
  if (head.length >= 4 && head.readUInt32BE(0) === EBML_MAGIC) return 'container';
  if (head.length >= 8 && ISOBMFF_FIRST_BOXES.has(head.toString('latin1', 4, 8))) return 'container';
  return undefined;
}

/** Which reader `input` needs: by content, else by extension, else FLV (whose reader explains what is wrong). */
export async function detectMediaKind(input: string): Promise<MediaSourceKind> {
  if (input === '-') return 'flv';
  let head = Buffer.alloc(0);
  try {
    const handle = await open(input, 'r');
    try {
      // A pipe or device is read once, as FLV: sniffing would eat its first bytes.
      if (!(await handle.stat()).isFile()) return 'flv';
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(12), 0, 12, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    // Unreadable: the FLV reader reports it with the usual message.
    return 'flv';
  }
  return sniffMediaKind(head) ?? (CONTAINER_EXTENSIONS.has(path.extname(input).toLowerCase()) ? 'container' : 'flv');
}

/**
 * The media packets of an input file of any supported kind ('-' = FLV on
 * stdin). FLV warnings go to `opts.onWarning`; the container reader has none.
 */
export async function* openMediaSource(input: string, opts: FlvSourceOptions = {}): AsyncGenerator<MediaPacket> {
  if ((await detectMediaKind(input)) === 'container') yield* readContainerPackets(input, { signal: opts.signal });
  else yield* readFlvPackets(input, opts);
}
