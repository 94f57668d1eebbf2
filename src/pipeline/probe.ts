/**
 * `probe` as a pipeline: any packet source → ProbeAnalyzer → report. This
 * module has the file probe (`rtmp probe file.flv`: the same analysis, no
 * network steps) and is the library's entry to everything probe:
 * probe-network.ts has the RTMP probe, probe-report.ts the report and its
 * schema id, probe-schema.ts the validator, probe-checks.ts the --expect checks.
 */
import { openMediaSource } from './media-source.js';
import { ProbeAnalyzer, type AnalyzerOptions } from './probe-analyzer.js';
import { describeProbeError, finishMedia, newReport, type ProbeOutcome } from './probe-report.js';

export { ProbeAnalyzer, type AnalyzerOptions, type MediaAnalysis } from './probe-analyzer.js';
export { evaluateExpectations, parseExpectations, type Expectation } from './probe-checks.js';
export { probeNetwork, type NetworkProbeOptions } from './probe-network.js';
export { PROBE_SCHEMA, type ProbeOutcome, type ProbeReport, type ProbeStep, type ProbeProblem, type CheckResult } from './probe-report.js';
export { validateProbeReport } from './probe-schema.js';

export interface FileProbeOptions {
  /** Media time to analyse in ms; 0 reads the whole file. */
  durationMs: number;
  analyzer?: AnalyzerOptions;
  signal?: AbortSignal;
}

/**
 * Analyses an FLV, MP4, MOV, MKV or WebM file (or FLV on stdin with '-'). FLV warnings (a wrong
 * PreviousTagSize, a truncated last tag) become problems of kind 'flv'.
 * Never throws: a failure ends the probe with the report so far and the error.
 */
export async function probeFile(path: string, opts: FileProbeOptions): Promise<ProbeOutcome> {
  const report = newReport({ kind: 'file', target: path === '-' ? 'stdin' : path, mode: 'file' }, opts.durationMs);
  const analyzer = new ProbeAnalyzer(opts.analyzer);
  let error: unknown;
  try {
    const onWarning = (message: string, offset: number): void =>
      analyzer.addProblem('flv', message.includes(String(offset)) ? message : `${message} (offset ${offset})`);
    for await (const p of openMediaSource(path, { onWarning, signal: opts.signal })) {
      analyzer.push(p);
      if (opts.durationMs > 0 && analyzer.mediaSpanMs >= opts.durationMs) break;
    }
    if (!analyzer.hasMedia) analyzer.addProblem('no-media', 'the file holds no audio or video frames');
  } catch (e) {
    error = e;
  }
  if (error !== undefined) report.error = describeProbeError(error, null);
  finishMedia(report, analyzer);
  return { report, error };
}
