/**
 * The probe's list of Enhanced RTMP tracks: every multitrack message is parsed
 * whole, each track counted by id (frames, bytes) and its sequence start
 * described. Messages that are not multitrack count as track 0, the default
 * track, once the stream has sent any multitrack message of that kind.
 * Bounded: track ids are a UI8, so at most 256 entries per kind.
 */
import { isRtmpError } from '../errors.js';
import { audioCodecName, videoCodecName } from '../media/codec-names.js';
import { AudioPacketType, parseExAudioMessage, parseExVideoMessage, VideoPacketType, type ExTrack } from '../media/enhanced.js';
import { describeVideoConfig, profileAndLevel } from './probe-codecs.js';
import type { MultitrackEntry, ProbeProblem } from './probe-report.js';

type Kind = 'video' | 'audio';

export class MultitrackLister {
  private readonly lists: Record<Kind, Map<number, MultitrackEntry>> = { video: new Map(), audio: new Map() };
  private readonly seen: Record<Kind, boolean> = { video: false, audio: false };
  private readonly bad: Record<Kind, { count: number; message: string }> = { video: { count: 0, message: '' }, audio: { count: 0, message: '' } };

  /** Lists a multitrack video message's tracks; returns track 0's part, if it carries one. */
  video(payload: Buffer): ExTrack | undefined {
    return this.take('video', payload);
  }

  /** Lists a multitrack audio message's tracks; returns track 0's part, if it carries one. */
  audio(payload: Buffer): ExTrack | undefined {
    return this.take('audio', payload);
  }

  /** Counts a message that is not multitrack as track 0. */
  plain(kind: Kind, fourcc: string | undefined, codec: string, frame: boolean, bytes: number): void {
    const e = this.entry(kind, 0, fourcc ?? '', codec);
    if (frame) e.frames++;
    e.bytes += bytes;
  }

  private take(kind: Kind, payload: Buffer): ExTrack | undefined {
    this.seen[kind] = true;
    let tracks: ExTrack[];
    let packetType: number;
    try {
      const m = kind === 'video' ? parseExVideoMessage(payload) : parseExAudioMessage(payload);
      tracks = m.tracks;
      packetType = m.packetType;
    } catch (e) {
      if (!isRtmpError(e)) throw e;
      this.bad[kind].count++;
      this.bad[kind].message ||= `a multitrack ${kind} message that cannot be read: ${e.message}`;
      return undefined;
    }
    const frame = kind === 'video' ? packetType === VideoPacketType.CodedFrames || packetType === VideoPacketType.CodedFramesX : packetType === AudioPacketType.CodedFrames;
    for (const t of tracks) {
      const codec = kind === 'video' ? videoCodecName({ fourcc: t.fourcc }).id : audioCodecName({ soundFormat: 9, fourcc: t.fourcc }).id;
      const e = this.entry(kind, t.trackId, t.fourcc, codec);
      if (frame) e.frames++;
      e.bytes += t.data.length;
      if (kind === 'video' && packetType === VideoPacketType.SequenceStart && e.width === null) this.describe(e, t.data);
    }
    return tracks.find((t) => t.trackId === 0);
  }

  private describe(e: MultitrackEntry, config: Buffer): void {
    try {
      const f = describeVideoConfig(e.codec, config);
      e.width = f.width;
      e.height = f.height;
      Object.assign(e, profileAndLevel(f));
    } catch (err) {
      if (!isRtmpError(err)) throw err;
      this.bad.video.count++;
      this.bad.video.message ||= `the sequence start of video track ${e.trackId} cannot be read: ${err.message}`;
    }
  }

  private entry(kind: Kind, trackId: number, fourcc: string, codec: string): MultitrackEntry {
    const list = this.lists[kind];
    let e = list.get(trackId);
    if (e === undefined) {
      e = { trackId, codec, fourcc, frames: 0, bytes: 0, width: null, height: null, profile: null, level: null };
      list.set(trackId, e);
    }
    return e;
  }

  /** The tracks by id, for each kind that carried multitrack messages. */
  entries(): { video: MultitrackEntry[]; audio: MultitrackEntry[] } {
    const sorted = (k: Kind): MultitrackEntry[] => (this.seen[k] ? [...this.lists[k].values()].sort((a, b) => a.trackId - b.trackId) : []);
    return { video: sorted('video'), audio: sorted('audio') };
  }

  problems(): ProbeProblem[] {
    return (['video', 'audio'] as const)
      .filter((k) => this.bad[k].count > 0)
      .map((k) => ({ kind: 'bad-header', track: k, count: this.bad[k].count, atMs: null, message: this.bad[k].message, field: null, declared: null, measured: null }));
  }
}
