/**
 * RTMP URLs: rtmp[s]://[user[:password]@]host[:port]/app[/instance]/stream[?query]
 *
 * The split between application and stream follows ffmpeg (rtmpproto.c):
 * the first path element is the app; a second one joins the app as its
 * instance when more elements follow, unless a ':' (as in `mp4:dir/file.mp4`)
 * comes before the next '/'. So `/app/inst/name` is app `app/inst`, stream
 * `name`; `/vod/mp4:a/b.mp4` is app `vod`, stream `mp4:a/b.mp4`.
 */
import { UrlError } from '../errors.js';

/** A parsed RTMP URL, ready for connect (app, tcUrl) and publish/play (stream). */
export interface RtmpUrl {
  protocol: 'rtmp' | 'rtmps';
  /** Host name or address, IPv6 without brackets. */
  host: string;
  port: number;
  app: string;
  /** Stream name or key, including any `?query`. */
  stream: string;
  /** `rtmp://host[:port]/app`, sent in connect; the stream is not part of it. */
  tcUrl: string;
  user?: string;
  password?: string;
}

/** Values that replace what the URL says, like ffmpeg's -rtmp_app, -rtmp_playpath, -rtmp_tcurl. */
export interface RtmpUrlOverrides {
  app?: string;
  stream?: string;
  tcUrl?: string;
  /** The stream when the URL names none (a key kept out of the URL, e.g. from RTMP_STREAM_KEY). */
  defaultStream?: string;
}

const DEFAULT_PORT = { rtmp: 1935, rtmps: 443 } as const;
const MASK = '****';
const SHAPE = 'expected rtmp://host[:port]/app/stream';

/** Parses and checks an RTMP URL; every problem is a UrlError with one clear message. */
export function parseRtmpUrl(url: string, overrides: RtmpUrlOverrides = {}): RtmpUrl {
  const text = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (!scheme) throw new UrlError(`not an RTMP URL (${SHAPE})`);
  const proto = scheme[1]!.toLowerCase();
  if (proto !== 'rtmp' && proto !== 'rtmps') {
    throw new UrlError(`unsupported scheme "${proto}://": only rtmp:// and rtmps:// are supported`);
  }
  const rest = text.slice(scheme[0].length);
  const slash = rest.search(/[/?]/);
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const pathAndQuery = slash < 0 ? '' : rest.slice(slash);

  const { user, password, host, port, explicitPort } = parseAuthority(authority, proto);
  let { app, stream } = splitPath(pathAndQuery, overrides.app !== undefined);
  if (overrides.app !== undefined) app = overrides.app;
  if (overrides.stream !== undefined) stream = overrides.stream;
  if (stream === '' && overrides.defaultStream !== undefined) stream = overrides.defaultStream;
  if (app === '') throw new UrlError(`RTMP URL has no application name (${SHAPE})`);
  if (stream === '') throw new UrlError(`RTMP URL has no stream name or key (${SHAPE})`);

  const hostPart = host.includes(':') ? `[${host}]` : host;
  const tcUrl = overrides.tcUrl ?? `${proto}://${hostPart}${explicitPort ? `:${port}` : ''}/${app}`;
  const out: RtmpUrl = { protocol: proto, host, port, app, stream, tcUrl };
  if (user !== undefined) out.user = user;
  if (password !== undefined) out.password = password;
  return out;
}

interface Authority {
  user?: string;
  password?: string;
  host: string;
  port: number;
  explicitPort: boolean;
}

function parseAuthority(authority: string, proto: 'rtmp' | 'rtmps'): Authority {
  const at = authority.lastIndexOf('@');
  const out: Authority = { host: '', port: DEFAULT_PORT[proto], explicitPort: false };
  if (at >= 0) {
    const info = authority.slice(0, at);
    const colon = info.indexOf(':');
    out.user = decode(colon < 0 ? info : info.slice(0, colon), 'user name');
    if (colon >= 0) out.password = decode(info.slice(colon + 1), 'password');
  }
  const hostPort = authority.slice(at + 1);
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) throw new UrlError('RTMP URL has an IPv6 address without its closing "]"');
    out.host = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw new UrlError(`RTMP URL has unexpected text after the IPv6 address`);
    if (after !== '') portText = after.slice(1);
  } else {
    const colon = hostPort.indexOf(':');
    out.host = colon < 0 ? hostPort : hostPort.slice(0, colon);
    if (colon >= 0) portText = hostPort.slice(colon + 1);
  }
  if (out.host === '') throw new UrlError(`RTMP URL has no host (${SHAPE})`);
  if (/[\s/\\@#]/.test(out.host)) throw new UrlError(`RTMP URL has an invalid host name`);
  if (portText !== undefined) {
    const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      throw new UrlError(`RTMP URL has a bad port "${portText}": expected a number from 1 to 65535`);
    }
    out.port = port;
    out.explicitPort = true;
  }
  return out;
}

function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new UrlError(`RTMP URL has a badly percent-encoded ${what}`);
  }
}

/**
 * ffmpeg's app/stream split, applied to the path before the query. The
 * query belongs to the stream; when the path has no stream, it belongs to
 * the app (and a '/' inside it starts the stream: `/app?auth=x/stream`).
 */
function splitPath(pathAndQuery: string, appGiven: boolean): { app: string; stream: string } {
  const body = pathAndQuery.startsWith('/') ? pathAndQuery.slice(1) : pathAndQuery;
  const q = body.indexOf('?');
  const path = q < 0 ? body : body.slice(0, q);
  const query = q < 0 ? '' : body.slice(q);
  const withQuery = (s: string): string => (query.length > 1 ? s + query : s);

  if (path.startsWith('ondemand/')) {
    return { app: 'ondemand', stream: withQuery(playpath(path.slice(9))) };
  }
  const first = path.indexOf('/');
  if (first < 0) {
    // One element: the app — or, when the caller names the app, the stream (as ffmpeg does).
    if (appGiven) return { app: '', stream: withQuery(playpath(path)) };
    const slash = query.lastIndexOf('/');
    if (slash < 0) return { app: withQuery(path), stream: '' };
    return { app: path + query.slice(0, slash), stream: playpath(query.slice(slash + 1)) };
  }
  const colon = path.indexOf(':', first + 1);
  const second = path.indexOf('/', first + 1);
  const cut = second < 0 || (colon >= 0 && colon < second) ? first : second;
  const stream = path.slice(cut + 1);
  return { app: path.slice(0, cut), stream: stream === '' ? '' : withQuery(playpath(stream)) };
}

/** ffmpeg's play path rules: `x.mp4`/`x.f4v` gain an `mp4:` prefix, `x.flv` loses its extension. */
function playpath(name: string): string {
  if (name.includes(':') || name.length < 5) return name;
  const ext = name.slice(-4).toLowerCase();
  if (ext === '.mp4' || ext === '.f4v') return `mp4:${name}`;
  if (ext === '.flv') return name.slice(0, -4);
  return name;
}

/**
 * Where an Enhanced RTMP `NetConnection.Connect.ReconnectRequest` sends the
 * client. Its tcUrl may be absolute (`rtmp://host[:port]/app`),
 * scheme-relative (`//host/app`), an absolute path (`/app`) or relative
 * (`app2`, resolved against the current tcUrl); without one the client
 * reconnects to the current tcUrl. The stream name and credentials stay.
 */
export function resolveReconnectUrl(current: RtmpUrl, tcUrl: string | undefined): RtmpUrl {
  if (tcUrl === undefined || tcUrl.trim() === '') return { ...current };
  let resolved: URL;
  try {
    resolved = new URL(tcUrl.trim(), current.tcUrl);
  } catch {
    throw new UrlError(`the server asked to reconnect to an unusable tcUrl '${tcUrl}'`);
  }
  const proto = resolved.protocol.replace(/:$/, '').toLowerCase();
  if (proto !== 'rtmp' && proto !== 'rtmps') throw new UrlError(`the server asked to reconnect with unsupported scheme "${proto}://"`);
  const host = resolved.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UrlError(`the server asked to reconnect to '${tcUrl}', which names no host`);
  const app = decode(resolved.pathname.replace(/^\//, ''), 'application name') + resolved.search;
  if (app === '') throw new UrlError(`the server asked to reconnect to '${tcUrl}', which names no application`);
  const port = resolved.port === '' ? DEFAULT_PORT[proto] : Number(resolved.port);
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const out: RtmpUrl = { protocol: proto, host, port, app, stream: current.stream, tcUrl: `${proto}://${hostPart}${resolved.port === '' ? '' : `:${port}`}/${app}` };
  if (current.user !== undefined) out.user = current.user;
  if (current.password !== undefined) out.password = current.password;
  return out;
}

/**
 * The URL with the stream key (last path element), any query and any
 * password replaced by `****`, e.g. `rtmp://host/live/****` — for logs and
 * error messages. `show` returns the URL unchanged.
 */
export function redactUrl(url: string | RtmpUrl, show = false): string {
  if (typeof url !== 'string') return show ? formatUrl(url) : redactParsed(url);
  if (show) return url;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  const start = scheme ? scheme[0].length : 0;
  const slash = url.slice(start).search(/[/?]/);
  const authEnd = slash < 0 ? url.length : start + slash;
  let authority = url.slice(start, authEnd);
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const info = authority.slice(0, at);
    const colon = info.indexOf(':');
    if (colon >= 0) authority = `${info.slice(0, colon)}:${MASK}${authority.slice(at)}`;
  }
  const rest = url.slice(authEnd);
  const q = rest.indexOf('?');
  let path = q < 0 ? rest : rest.slice(0, q);
  const last = path.lastIndexOf('/');
  if (last > 0 && last < path.length - 1) path = `${path.slice(0, last + 1)}${MASK}`;
  const query = q >= 0 && q < rest.length - 1 ? `?${MASK}` : '';
  return `${url.slice(0, start)}${authority}${path}${query}`;
}

function authorityOf(u: RtmpUrl, password: string | undefined): string {
  const host = u.host.includes(':') ? `[${u.host}]` : u.host;
  const port = u.port !== DEFAULT_PORT[u.protocol] ? `:${u.port}` : '';
  let info = '';
  if (u.user !== undefined) {
    info = encodeURIComponent(u.user) + (password !== undefined ? `:${password}` : '') + '@';
  }
  return `${u.protocol}://${info}${host}${port}`;
}

function formatUrl(u: RtmpUrl): string {
  const pw = u.password !== undefined ? encodeURIComponent(u.password) : undefined;
  return `${authorityOf(u, pw)}/${u.app}/${u.stream}`;
}

function redactParsed(u: RtmpUrl): string {
  const q = u.app.indexOf('?');
  const app = q < 0 ? u.app : `${u.app.slice(0, q)}?${MASK}`;
  return `${authorityOf(u, u.password !== undefined ? MASK : undefined)}/${app}/${MASK}`;
}

/**
 * Replaces every occurrence of each secret (and its URL-encoded form) in
 * `text` with `****`. Longer secrets go first so that one containing
 * another is masked whole. Empty secrets are ignored.
 */
export function redactSecrets(text: string, secrets: string[]): string {
  const all = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    all.add(s);
    all.add(encodeURIComponent(s));
  }
  let out = text;
  for (const s of [...all].sort((a, b) => b.length - a.length)) out = out.split(s).join(MASK);
  return out;
}
