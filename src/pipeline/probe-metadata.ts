/**
 * Compares what onMetaData declares with what the media turned out to be:
 * picture size and codec ids against the sequence headers, frame rate against
 * the measured rate, sample rate and channels against the AudioSpecificConfig
 * or tag header. Declared bitrates are not compared: encoders announce a
 * target that a window of a few seconds does not measure reliably.
 */
import type { AudioTrack, JsonValue, ProbeProblem, VideoMeasurements, VideoTrack } from './probe-report.js';

/** Measured frame rates within max(1 fps, 5 %) of the declared one agree. */
const FPS_TOLERANCE_ABS = 1;
const FPS_TOLERANCE_REL = 0.05;
/** Fewer frames than this give too rough a rate to call the metadata wrong. */
const MIN_FRAMES_FOR_FPS = 10;

function num(meta: { [key: string]: JsonValue }, key: string): number | undefined {
  const v = meta[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function mismatch(track: 'video' | 'audio', field: string, declared: JsonValue, measured: JsonValue, what: string): ProbeProblem {
  return {
    kind: 'metadata-mismatch',
    track,
    count: 1,
    atMs: null,
    message: `onMetaData declares ${field} ${JSON.stringify(declared)}, but ${what} ${JSON.stringify(measured)}`,
    field,
    declared,
    measured,
  };
}

/** One metadata-mismatch problem per onMetaData field that disagrees with the media. */
export function compareMetadata(
  metadata: JsonValue,
  tracks: { video: VideoTrack | null; audio: AudioTrack | null },
  video: VideoMeasurements | null,
): ProbeProblem[] {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return [];
  const out: ProbeProblem[] = [];
  const v = tracks.video;
  const a = tracks.audio;
  if (v) {
    for (const field of ['width', 'height'] as const) {
      const declared = num(metadata, field);
      const actual = v[field];
      if (declared !== undefined && actual !== null && Math.round(declared) !== actual) out.push(mismatch('video', field, declared, actual, 'the SPS says'));
    }
    const codecId = metadata['videocodecid'];
    if (typeof codecId === 'number' && v.codecId !== null && codecId !== v.codecId) out.push(mismatch('video', 'videocodecid', codecId, v.codecId, 'the video is CodecID'));
    if (typeof codecId === 'string' && v.fourcc !== null && codecId !== v.fourcc) out.push(mismatch('video', 'videocodecid', codecId, v.fourcc, 'the video is'));
    const fpsField = num(metadata, 'framerate') !== undefined ? 'framerate' : 'fps';
    const declaredFps = num(metadata, fpsField);
    const fps = video?.fps ?? null;
    if (declaredFps !== undefined && declaredFps > 0 && fps !== null && (video?.frames ?? 0) >= MIN_FRAMES_FOR_FPS) {
      if (Math.abs(declaredFps - fps) > Math.max(FPS_TOLERANCE_ABS, declaredFps * FPS_TOLERANCE_REL)) out.push(mismatch('video', fpsField, declaredFps, fps, 'the measured rate is'));
    }
  }
  if (a) {
    const codecId = metadata['audiocodecid'];
    if (typeof codecId === 'number' && a.soundFormat !== null && codecId !== a.soundFormat) out.push(mismatch('audio', 'audiocodecid', codecId, a.soundFormat, 'the audio is SoundFormat'));
    if (typeof codecId === 'string' && a.fourcc !== null && codecId !== a.fourcc) out.push(mismatch('audio', 'audiocodecid', codecId, a.fourcc, 'the audio is'));
    const rate = num(metadata, 'audiosamplerate');
    // HE-AAC metadata may name either the core or the output rate.
    const rates = [a.sampleRate, a.aac?.coreSampleRate].filter((r): r is number => typeof r === 'number');
    if (rate !== undefined && rate > 0 && rates.length > 0 && !rates.includes(Math.round(rate))) out.push(mismatch('audio', 'audiosamplerate', rate, a.sampleRate, 'the audio is'));
    const channels = num(metadata, 'audiochannels');
    if (channels !== undefined && a.channels !== null && channels !== a.channels) out.push(mismatch('audio', 'audiochannels', channels, a.channels, 'the audio has'));
    const stereo = metadata['stereo'];
    if (typeof stereo === 'boolean' && (a.channels === 1 || a.channels === 2) && stereo !== (a.channels === 2)) {
      out.push(mismatch('audio', 'stereo', stereo, a.channels, 'the number of channels is'));
    }
  }
  return out;
}
