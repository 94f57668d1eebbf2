/**
 * Properties of the two parsers that take text and files from users rather
 * than from servers: RTMP URLs (any string is refused with a UrlError or
 * parsed into usable parts, parts survive a round trip, and the printed form
 * never shows the key or the password) and `rtmp flv check` (any bytes give
 * the same verdict however they are split, only FlvFormatError is thrown,
 * and it buffers no more than a tag header).
 */
import fc from 'fast-check';
import type { BufferList } from '../../src/bytes/buffer-list.js';
import { FlvFormatError, UrlError } from '../../src/errors.js';
import { FlvChecker, type FlvCheckResult } from '../../src/flv/check.js';
import { FLV_TAG_HEADER_SIZE } from '../../src/flv/tag.js';
import { FLV_TAG_OVERHEAD } from '../../src/flv/writer.js';
import { PacketType } from '../../src/media/packet.js';
import { parseRtmpUrl, redactSecrets, redactUrl } from '../../src/rtmp/url.js';
import { bytes, check, errorKey, guarded, mutated, peekPrivate, pieces, prop, splits, type NamedProperty } from './harness.js';
import { flvFile } from './media-properties.js';

// ---------------------------------------------------------------- URLs

const lower = 'abcdefghijklmnopqrstuvwxyz';
const word = (chars: string, min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...chars), { minLength: min, maxLength: max }).map((a) => a.join(''));

/** Host names, IPv4 and IPv6 addresses; never containing a key or password (those use other letters). */
const host = fc.oneof(
  fc.array(word('abcdefgh', 1, 8), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.')),
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.')),
  fc.constantFrom('::1', '2001:db8::7', 'fe80::1:2'),
);
/** App names: letters only, so that no play-path rule or ':' split applies. */
const appName = word('abcdefgh', 1, 8);
/** Keys and passwords start with 'K'/'P' and use letters absent from hosts and apps, so finding one in output is a leak. */
const secret = (first: string): fc.Arbitrary<string> => word('klmnopqrstuvwxyz0123456789_-', 5, 20).map((s) => first + s);
const query = fc.option(fc.tuple(word('klmnopqrst', 1, 6), word('uvwxyz0123', 1, 8)).map(([k, v]) => `?${k}=${v}&sig=${v}`), { nil: undefined });

interface UrlParts {
  protocol: 'rtmp' | 'rtmps';
  user: string | undefined;
  password: string | undefined;
  host: string;
  port: number | undefined;
  app: string;
  instance: string | undefined;
  key: string;
  query: string | undefined;
}

const urlParts: fc.Arbitrary<UrlParts> = fc.record({
  protocol: fc.constantFrom('rtmp' as const, 'rtmps' as const),
  user: fc.option(word(lower.slice(0, 8), 1, 6), { nil: undefined }),
  password: fc.option(secret('P'), { nil: undefined }),
  host,
  port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
  app: appName,
  instance: fc.option(appName, { nil: undefined }),
  key: secret('K'),
  query,
});

function formatParts(u: UrlParts): string {
  const info = u.user !== undefined ? `${u.user}${u.password !== undefined ? `:${encodeURIComponent(u.password)}` : ''}@` : '';
  const h = u.host.includes(':') ? `[${u.host}]` : u.host;
  const port = u.port !== undefined ? `:${u.port}` : '';
  const inst = u.instance !== undefined ? `/${u.instance}` : '';
  return `${u.protocol}://${info}${h}${port}/${u.app}${inst}/${u.key}${u.query ?? ''}`;
}

/** Strings around the URL shape: any text, and real URLs with a few characters replaced, inserted or cut. */
const urlLike = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ maxLength: 60, unit: 'binary' }),
  fc
    .tuple(urlParts.map(formatParts), fc.array(fc.tuple(fc.nat(80), fc.nat(3), fc.constantFrom('', '/', ':', '@', '?', '[', ']', '%', '%zz', ' ', '//', 'rtmp://')), { maxLength: 4 }))
    .map(([text, edits]) => edits.reduce((s, [at, cut, ins]) => s.slice(0, at % (s.length + 1)) + ins + s.slice((at % (s.length + 1)) + cut), text)),
);

// ---------------------------------------------------------------- flv check

type Verdict = { result: FlvCheckResult; error: undefined } | { result: undefined; error: string };

/** Runs the checker over `data` cut at `cuts`; checks it never buffers more than a tag header. */
function checkFlv(data: Buffer, cuts: number[]): Verdict {
  const checker = new FlvChecker();
  for (const piece of pieces(data, cuts)) {
    const r = guarded('FlvChecker.push', () => checker.push(piece));
    if (!r.ok) {
      check(r.error instanceof FlvFormatError, `FlvChecker threw ${r.error.code}`);
      return { result: undefined, error: errorKey(r.error)! };
    }
    const buffered = peekPrivate<BufferList>(checker, 'list').length;
    check(buffered <= FLV_TAG_HEADER_SIZE, `checker buffers ${buffered} bytes`);
  }
  const r = guarded('FlvChecker.end', () => checker.end());
  if (!r.ok) {
    check(r.error instanceof FlvFormatError, `FlvChecker.end threw ${r.error.code}`);
    return { result: undefined, error: errorKey(r.error)! };
  }
  return { result: r.value, error: undefined };
}

function sameVerdict(data: Buffer, cuts: number[]): Verdict {
  const whole = checkFlv(data, []);
  const split = checkFlv(data, cuts);
  check(split.error === whole.error, `split check ended with ${split.error}, whole check with ${whole.error}`);
  check(JSON.stringify(split.result) === JSON.stringify(whole.result), 'split check gave another verdict than the whole check');
  return whole;
}

const flvHeaderThen = fc
  .tuple(bytes(200), fc.constantFrom(1, 4, 5))
  .map(([b, flags]) => Buffer.concat([Buffer.from([0x46, 0x4c, 0x56, 1, flags, 0, 0, 0, 9]), b]));

// ---------------------------------------------------------------- properties

export const inputProperties: NamedProperty[] = [
  prop('url.any-string', 800, [urlLike], (text) => {
    const r = guarded('parseRtmpUrl', () => parseRtmpUrl(text));
    guarded('redactUrl(string)', () => redactUrl(text));
    if (!r.ok) return check(r.error instanceof UrlError, `parseRtmpUrl threw ${r.error.code}`);
    const u = r.value;
    check(u.host.length > 0 && u.app.length > 0 && u.stream.length > 0, `parsed without host, app or stream: ${JSON.stringify(u)}`);
    check(Number.isInteger(u.port) && u.port >= 1 && u.port <= 65535, `port ${u.port}`);
    check(u.tcUrl.startsWith(`${u.protocol}://`), `tcUrl ${u.tcUrl} does not start with the scheme`);
    guarded('redactUrl(parsed)', () => redactUrl(u));
  }),
  prop('url.parts-round-trip', 500, [urlParts], (parts) => {
    const text = formatParts(parts);
    const r = guarded('parseRtmpUrl', () => parseRtmpUrl(text));
    check(r.ok, () => `refused ${text}: ${r.ok ? '' : r.error.message}`);
    const u = r.value;
    const app = parts.instance !== undefined ? `${parts.app}/${parts.instance}` : parts.app;
    const want = {
      protocol: parts.protocol,
      host: parts.host,
      port: parts.port ?? (parts.protocol === 'rtmp' ? 1935 : 443),
      app,
      stream: parts.key + (parts.query ?? ''),
      user: parts.user,
      password: parts.user !== undefined ? parts.password : undefined,
    };
    const got = { protocol: u.protocol, host: u.host, port: u.port, app: u.app, stream: u.stream, user: u.user, password: u.password };
    check(JSON.stringify(got) === JSON.stringify(want), () => `${text} parsed as ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    // The canonical form (what --show-key prints) parses back to the same parts.
    const again = parseRtmpUrl(redactUrl(u, true));
    check(JSON.stringify({ ...again, tcUrl: '' }) === JSON.stringify({ ...u, tcUrl: '' }), `canonical form ${redactUrl(u, true)} parses differently`);
  }),
  prop('url.redaction', 500, [urlParts, fc.string({ maxLength: 20 })], (parts, noise) => {
    const text = formatParts(parts);
    const hidden = [parts.key, ...(parts.user !== undefined && parts.password !== undefined ? [parts.password] : [])];
    const u = parseRtmpUrl(text);
    for (const shown of [redactUrl(text), redactUrl(u), redactSecrets(`${noise}${text}${noise}`, [u.stream, parts.key, u.password ?? ''])]) {
      for (const s of hidden) check(!shown.includes(s), `'${shown}' shows the secret '${s}'`);
    }
  }),
  prop('flv-check.random-bytes', 400, [fc.oneof(bytes(200), flvHeaderThen), splits], (data, cuts) => {
    sameVerdict(data, cuts);
  }),
  prop('flv-check.mutated-file', 400, [mutated(flvFile.map((f) => f.bytes)), splits], (data, cuts) => {
    sameVerdict(data, cuts);
  }),
  prop('flv-check.truncated-file', 300, [flvFile, fc.nat(), splits], (file, cutAt, cuts) => {
    // A valid file cut anywhere after its header is never "damaged", and counts exactly the tags whose bodies it holds.
    const length = 13 + (cutAt % (file.bytes.length - 12));
    const v = sameVerdict(file.bytes.subarray(0, length), cuts);
    check(v.result !== undefined, `truncated file refused: ${v.error}`);
    const r = v.result;
    check(r.state !== 'damaged', () => `a writer's file cut at ${length} is damaged: ${r.damage?.message}`);
    const want = { audio: 0, video: 0, data: 0, unknown: 0 };
    let end = 13;
    for (const p of file.packets) {
      end += FLV_TAG_OVERHEAD - 4 + p.payload.length;
      if (end > length) break;
      want[p.type === PacketType.Audio ? 'audio' : p.type === PacketType.Video ? 'video' : 'data']++;
      end += 4;
    }
    check(JSON.stringify(r.tags) === JSON.stringify(want), `counted ${JSON.stringify(r.tags)}, the file holds ${JSON.stringify(want)}`);
    check(r.size === length, `size ${r.size} of a ${length}-byte file`);
    check((r.tail.partial === null) === (r.tail.repairedSize === length), `tail ${JSON.stringify(r.tail)} for a ${length}-byte file`);
  }),
];
