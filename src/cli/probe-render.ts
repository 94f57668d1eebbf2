/**
 * The probe report as aligned text for people: steps with their times, the
 * server, the metadata, each track, the measurements, problems and checks.
 * Pure: takes the report and the colours to use, returns the text.
 */
import type { JsonValue, ProbeReport, ProbeStep } from '../pipeline/probe-report.js';
import { describeHandshake } from '../rtmp/handshake.js';

/** The colours the text uses; identity functions for plain output. */
export interface ReportColors {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const PLAIN_COLORS: ReportColors = { green: (s) => s, yellow: (s) => s, red: (s) => s, dim: (s) => s, bold: (s) => s };

const LABEL = 18;
/** Longest value shown for a metadata or server field. */
const MAX_VALUE = 100;

const STEP_LABELS: Record<ProbeStep['name'], string> = {
  dns: 'DNS lookup',
  tcp: 'TCP connect',
  handshake: 'handshake',
  connect: 'connect',
  createStream: 'createStream',
  play: 'play',
  publish: 'publish',
  unpublish: 'unpublish',
  metadata: 'first metadata',
  audio: 'first audio',
  video: 'first video',
  keyframe: 'first keyframe',
};

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(1)} ms`;
}

function rate(bps: number | null): string {
  if (bps === null) return '?';
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${Math.round(bps / 1e3)} kbit/s`;
}

function num(n: number | null, digits = 2): string {
  return n === null ? '?' : Number.isInteger(n) ? String(n) : n.toFixed(digits);
}

/** `s` padded to `width`, or followed by one space when it is longer. */
function col(s: string, width: number): string {
  return s.length >= width ? `${s} ` : s.padEnd(width);
}

function scalar(v: JsonValue): string {
  const s = typeof v === 'string' && v.trim() !== '' ? v : JSON.stringify(v);
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
}

/** Nested objects as dotted keys ("data.version"), arrays and scalars as values. */
function flatten(v: JsonValue, prefix = ''): Array<[string, string]> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return prefix ? [[prefix, scalar(v)]] : [];
  return Object.entries(v).flatMap(([k, x]) => flatten(x, prefix ? `${prefix}.${k}` : k));
}

/** Renders the report as text lines (ending with a newline). */
export function renderProbeReport(r: ProbeReport, c: ReportColors = PLAIN_COLORS): string {
  const out: string[] = [];
  const row = (label: string, value: string): void => {
    out.push(`  ${c.dim(label.padEnd(LABEL))}${value}`);
  };
  const heading = (text: string, rest = ''): void => {
    out.push('', `${c.bold(text)}${rest ? `  ${rest}` : ''}`);
  };
  const what = r.input.mode === 'publish' ? 'publish check' : r.durationMs > 0 ? `${r.durationMs / 1000} s of media` : 'until the end';
  out.push(`${c.bold('rtmp probe')} ${r.input.target}  ${c.dim(`(${r.input.mode}, ${what})`)}`);

  if (r.steps.length > 0) {
    heading('Steps');
    for (const s of r.steps) {
      // Pad before colouring: escape codes would count as width.
      const time = (s.status === 'skipped' ? 'skipped' : ms(s.ms ?? 0)).padStart(10);
      const shown = s.status === 'skipped' ? c.dim(time) : s.status === 'failed' ? c.red(time) : time;
      const detail = s.status === 'failed' ? c.red(`failed: ${s.detail ?? ''}`) : (s.detail ?? '');
      row(STEP_LABELS[s.name], `${shown}${detail ? `  ${detail}` : ''}`);
    }
  }
  if (r.server) renderServer(r, row, heading, c);
  if (r.metadata !== null) {
    heading('Metadata', c.dim('(onMetaData)'));
    for (const [k, v] of flatten(r.metadata)) row(k, v);
  }
  renderTracks(r, row, heading);
  const m = r.measurements;
  const measured = m !== null && (m.video !== null || m.audio !== null);
  if (m && measured) {
    heading('Measured', c.dim(`${ms(m.mediaMs)} of media${m.wallMs !== null ? ` in ${ms(m.wallMs)}` : ''}`));
    row('total bitrate', rate(m.totalBitrate));
    if (m.startupMs !== null) row('startup', `${ms(m.startupMs)} to the first keyframe`);
    if (m.avOffset) row('A/V offset', `video − audio ${m.avOffset.startMs} ms at the start, ${m.avOffset.endMs} ms at the end`);
    if (m.dataMessages > 0) row('data messages', String(m.dataMessages));
  }
  if (measured || r.problems.length > 0) {
    heading('Problems', r.problems.length === 0 ? c.green('none') : c.yellow(String(r.problems.length)));
    for (const p of r.problems) out.push(`  ${c.yellow('!')} ${c.yellow(col(p.kind, LABEL + 6))}${p.message}${p.count > 1 && !p.message.includes(String(p.count)) ? ` (${p.count}×)` : ''}`);
  }
  if (r.checks.length > 0) {
    const failed = r.checks.filter((k) => !k.ok).length;
    heading('Checks', failed === 0 ? c.green('all passed') : c.red(`${failed} of ${r.checks.length} failed`));
    for (const k of r.checks) out.push(`  ${k.ok ? c.green('✓') : c.red('✗')} ${col(k.expect, LABEL + 6)}${k.message}`);
  }
  return `${out.map((line) => line.trimEnd()).join('\n')}\n`;
}

type Row = (label: string, value: string) => void;
type Heading = (text: string, rest?: string) => void;

function renderServer(r: ProbeReport, row: Row, heading: Heading, c: ReportColors): void {
  const s = r.server!;
  heading('Server', s.address ?? '');
  if (s.connect) {
    for (const [k, v] of flatten(s.connect.properties)) row(k, v);
    for (const [k, v] of flatten(s.connect.information)) row(k, v);
  }
  if (s.windowAckSize !== null) row('window ack size', String(s.windowAckSize));
  if (s.peerBandwidth) row('peer bandwidth', `${s.peerBandwidth.size} (${s.peerBandwidth.limitType})`);
  if (s.chunkSize !== null) row('chunk size', String(s.chunkSize));
  s.events.forEach((e, i) => {
    const info = e.type === 'status' && e.detail && typeof e.detail === 'object' && !Array.isArray(e.detail) ? e.detail['description'] : undefined;
    const name = e.type === 'status' ? `onStatus ${e.name}` : e.name;
    const text = `${c.dim(`+${ms(e.atMs)}`)}  ${name}${typeof info === 'string' && info ? ` "${info}"` : ''}${e.streamId !== null ? c.dim(` (stream ${e.streamId})`) : ''}`;
    row(i === 0 ? 'events' : '', text);
  });
  if (s.eventsDropped > 0) row('', c.dim(`… ${s.eventsDropped} more events`));
  const h = s.handshake;
  if (h) row('handshake', describeHandshake(h));
  if (s.tls) {
    row('TLS', `${s.tls.protocol ?? '?'}, ${s.tls.cipher}`);
    if (s.tls.subject !== null) row('certificate', s.tls.subject);
    if (s.tls.issuer !== null) row('issuer', s.tls.issuer);
    if (s.tls.validTo !== null) row('valid until', s.tls.validTo);
  }
}

function renderTracks(r: ProbeReport, row: Row, heading: Heading): void {
  const v = r.tracks.video;
  const mv = r.measurements?.video ?? null;
  if (v) {
    const avc = v.avc;
    const detail = avc ?? v.hevc ?? v.av1;
    const vpText = v.vp ? `  Profile ${v.vp.profile}${v.vp.level ? ` level ${v.vp.level}` : ''} (${v.vp.codecString})` : '';
    heading('Video', `${v.codecName}${detail ? `  ${detail.profile} ${detail.level} (${detail.codecString})` : vpText}`);
    if (avc) {
      const crop = Object.entries(avc.crop).filter(([, n]) => n > 0).map(([side, n]) => `${side} ${n}`);
      row('size', `${v.width}x${v.height}${crop.length > 0 ? ` (coded ${avc.codedWidth}x${avc.codedHeight}, cropped ${crop.join(', ')})` : ''}${avc.sar && avc.sar !== '1:1' ? `, SAR ${avc.sar}` : ''}`);
      row('format', `${avc.chromaFormat}, ${avc.bitDepth}-bit, ${avc.interlaced ? 'interlaced' : 'progressive'}, NAL length ${avc.nalLengthSize}`);
      if (avc.vuiFps !== null) row('VUI frame rate', `${num(avc.vuiFps, 3)} fps${avc.fixedFrameRate ? ' (fixed)' : ''}`);
    }
    const other = v.hevc ?? v.av1 ?? v.vp;
    if (other) {
      const h = v.hevc;
      const crop = h ? Object.entries(h.crop).filter(([, n]) => n > 0).map(([side, n]) => `${side} ${n}`) : [];
      if (v.width !== null) row('size', `${v.width}x${v.height}${h && crop.length > 0 ? ` (coded ${h.codedWidth}x${h.codedHeight}, cropped ${crop.join(', ')})` : ''}`);
      row('format', `${other.chromaFormat}, ${other.bitDepth}-bit${h ? `, ${h.tier} tier, NAL length ${h.nalLengthSize}` : ''}`);
    }
    if (v.colorInfo !== null) row('colorInfo', JSON.stringify(v.colorInfo));
    if (mv) {
      row('measured', `${mv.frames} frames, ${num(mv.fps)} fps, ${rate(mv.bitrate)}`);
      const g = mv.gop;
      const gop = g ? `${g.minFrames === g.maxFrames ? g.maxFrames : `${g.minFrames}–${g.maxFrames}`} frames (${g.minMs === g.maxMs ? ms(g.maxMs) : `${ms(g.minMs)}–${ms(g.maxMs)}`}), ${g.count} complete` : 'fewer than two keyframes';
      row('keyframes', `${mv.keyframes}; GOP ${gop}`);
    }
  }
  const a = r.tracks.audio;
  const ma = r.measurements?.audio ?? null;
  if (a) {
    heading('Audio', `${a.codecName}${a.aac ? `  ${a.aac.profile} (${a.aac.codecString})` : ''}`);
    const ch = a.channels === null ? '' : `, ${a.channels} channel${a.channels === 1 ? '' : 's'}`;
    row('format', `${a.sampleRate ?? '?'} Hz${ch}${a.sampleSize ? `, ${a.sampleSize}-bit` : ''}${a.aac && a.aac.coreSampleRate !== a.sampleRate ? ` (core ${a.aac.coreSampleRate} Hz)` : ''}`);
    if (ma) row('measured', `${ma.packets} packets, ${num(ma.packetRate)} /s, ${rate(ma.bitrate)}`);
  }
  for (const kind of ['video', 'audio'] as const) {
    const list = r.tracks.multitrack[kind];
    if (list.length === 0) continue;
    heading('Tracks', `${kind}, ${list.length} (Enhanced RTMP multitrack)`);
    for (const e of list) {
      const size = e.width !== null ? `, ${e.width}x${e.height}` : '';
      const profile = e.profile !== null ? `, ${e.profile}${e.level !== null ? ` ${e.level}` : ''}` : '';
      row(`track ${e.trackId}`, `${e.codec} '${e.fourcc}'${size}${profile}: ${e.frames} frames, ${e.bytes} bytes`);
    }
  }
}
