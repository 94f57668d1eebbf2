/**
 * Bookkeeping for the network probe: the timed steps, and what the server
 * told us on the side (connect result, window and bandwidth, chunk size,
 * onStatus, onBWDone and user control events).
 */
import type { ClientEvent, ConnectResult } from '../client/rtmp-client.js';
import { UserControlEvent } from '../rtmp/message.js';
import { amfToJson, type JsonValue, type ProbeServer, type ProbeStep, type ProbeStepName } from './probe-report.js';

/** Milliseconds rounded to 0.1 ms: finer digits are noise for network steps. */
function ms(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Steps in the order they ran; the one in progress fails if an error arrives. */
export class StepClock {
  readonly steps: ProbeStep[] = [];
  private current: { name: ProbeStepName; start: number } | undefined;
  private readonly t0: number;
  private readonly onStep: ((text: string) => void) | undefined;

  constructor(t0: number, onStep?: (text: string) => void) {
    this.t0 = t0;
    this.onStep = onStep;
  }

  /** Milliseconds since the probe started. */
  now(): number {
    return performance.now() - this.t0;
  }

  /** Starts a step; `text` is shown on the spinner. */
  begin(name: ProbeStepName, text: string): void {
    this.current = { name, start: this.now() };
    this.onStep?.(text);
  }

  /** Ends the step in progress successfully. */
  done(detail: string | null = null): void {
    const c = this.current;
    if (!c) return;
    const at = this.now();
    this.steps.push({ name: c.name, status: 'ok', ms: ms(at - c.start), atMs: ms(at), detail });
    this.current = undefined;
  }

  /** Records a step that did not need to run. */
  skip(name: ProbeStepName, detail: string): void {
    this.steps.push({ name, status: 'skipped', ms: null, atMs: null, detail });
  }

  /** Records a step that happened at `atMs`, `sinceMs` after its reference point (e.g. first video after play). */
  mark(name: ProbeStepName, atMs: number | undefined, sinceMs: number, missing: string): void {
    if (atMs === undefined) this.skip(name, missing);
    else this.steps.push({ name, status: 'ok', ms: ms(atMs - sinceMs), atMs: ms(atMs), detail: null });
  }

  /** Fails the step in progress with `message`; returns its name (null if none was running). */
  fail(message: string): ProbeStepName | null {
    const c = this.current;
    if (!c) return null;
    const at = this.now();
    this.steps.push({ name: c.name, status: 'failed', ms: ms(at - c.start), atMs: ms(at), detail: message });
    this.current = undefined;
    return c.name;
  }
}

/** The most server events a report lists; the rest are counted in `eventsDropped`. */
export const MAX_SERVER_EVENTS = 100;

const USER_CONTROL_NAMES: Record<number, string> = {
  [UserControlEvent.StreamBegin]: 'StreamBegin',
  [UserControlEvent.StreamEof]: 'StreamEOF',
  [UserControlEvent.StreamDry]: 'StreamDry',
  [UserControlEvent.SetBufferLength]: 'SetBufferLength',
  [UserControlEvent.StreamIsRecorded]: 'StreamIsRecorded',
  [UserControlEvent.PingRequest]: 'PingRequest',
  [UserControlEvent.PingResponse]: 'PingResponse',
  31: 'BufferEmpty',
  32: 'BufferReady',
};

const LIMIT_TYPES = ['hard', 'soft', 'dynamic'];

/** Collects the server part of the report from client events. */
export class ServerLog {
  readonly server: ProbeServer = { address: null, connect: null, windowAckSize: null, peerBandwidth: null, chunkSize: null, events: [], eventsDropped: 0, handshake: null, tls: null };

  private add(event: ProbeServer['events'][number]): void {
    if (this.server.events.length < MAX_SERVER_EVENTS) this.server.events.push(event);
    else this.server.eventsDropped++;
  }

  /** Records one client event, `atMs` after the probe started. */
  onEvent(ev: ClientEvent, atMs: number): void {
    const at = ms(atMs);
    switch (ev.type) {
      case 'status':
        this.add({ atMs: at, type: 'status', streamId: ev.streamId, name: ev.info.code, detail: amfToJson(ev.info.raw) });
        return;
      case 'command':
        this.add({ atMs: at, type: 'command', streamId: ev.streamId, name: ev.name, detail: ev.args.map(amfToJson) });
        return;
      case 'control': {
        const c = ev.control;
        if (c.type === 'setChunkSize') this.server.chunkSize = c.size;
        else if (c.type === 'windowAckSize') this.server.windowAckSize = c.size;
        else if (c.type === 'setPeerBandwidth') this.server.peerBandwidth = { size: c.size, limitType: LIMIT_TYPES[c.limitType] ?? String(c.limitType) };
        else if (c.type === 'userControl') {
          const detail: { [key: string]: JsonValue } = {};
          if (c.bufferLength !== undefined) detail['bufferLength'] = c.bufferLength;
          if (c.timestamp !== undefined) detail['timestamp'] = c.timestamp;
          const name = USER_CONTROL_NAMES[c.event] ?? `event ${c.event}`;
          this.add({ atMs: at, type: 'userControl', streamId: c.streamId ?? null, name, detail });
        }
        return;
      }
      default: {
        const never: never = ev;
        return never;
      }
    }
  }

  /** Records the connect `_result`. */
  connected(result: ConnectResult | undefined): void {
    if (!result) return;
    this.server.connect = { properties: amfToJson(result.properties), information: result.information ? amfToJson(result.information.raw) : null };
  }
}
