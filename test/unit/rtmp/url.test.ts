import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UrlError } from '../../../src/errors.js';
import { parseRtmpUrl, redactSecrets, redactUrl, resolveReconnectUrl, type RtmpUrl } from '../../../src/rtmp/url.js';

describe('parseRtmpUrl', () => {
  const cases: Array<[string, Partial<RtmpUrl>]> = [
    ['rtmp://live.example.com/live/abc-123', { protocol: 'rtmp', host: 'live.example.com', port: 1935, app: 'live', stream: 'abc-123', tcUrl: 'rtmp://live.example.com/live' }],
    ['rtmps://live.example.com/app/key', { protocol: 'rtmps', port: 443, tcUrl: 'rtmps://live.example.com/app' }],
    ['RTMP://Host:1936/live/key', { protocol: 'rtmp', host: 'Host', port: 1936, tcUrl: 'rtmp://Host:1936/live' }],
    ['rtmp://h/live/key?token=a/b&x=1', { app: 'live', stream: 'key?token=a/b&x=1', tcUrl: 'rtmp://h/live' }],
    // app/instance/stream, as ffmpeg splits it
    ['rtmp://h/app/instance/stream', { app: 'app/instance', stream: 'stream', tcUrl: 'rtmp://h/app/instance' }],
    ['rtmp://h/app/inst/dir/name', { app: 'app/inst', stream: 'dir/name' }],
    // a ':' before the next '/' keeps a path-like stream whole
    ['rtmp://h/vod/mp4:folder/file.mp4', { app: 'vod', stream: 'mp4:folder/file.mp4' }],
    ['rtmp://h/vod/mp3:music/song', { app: 'vod', stream: 'mp3:music/song' }],
    // ffmpeg's play path rules for bare .mp4/.f4v/.flv names
    ['rtmp://h/vod/movie.mp4', { app: 'vod', stream: 'mp4:movie.mp4' }],
    ['rtmp://h/vod/movie.f4v', { stream: 'mp4:movie.f4v' }],
    ['rtmp://h/vod/clip.flv', { stream: 'clip' }],
    ['rtmp://h/ondemand/a/b', { app: 'ondemand', stream: 'a/b' }],
    // the query belongs to the app when the path has no stream
    ['rtmp://h/app?auth=x/stream', { app: 'app?auth=x', stream: 'stream', tcUrl: 'rtmp://h/app?auth=x' }],
    ['rtmp://[::1]/live/key', { host: '::1', port: 1935, tcUrl: 'rtmp://[::1]/live' }],
    ['rtmp://[2001:db8::7]:1940/live/key', { host: '2001:db8::7', port: 1940, tcUrl: 'rtmp://[2001:db8::7]:1940/live' }],
    ['rtmp://bob:p%40ss@h/live/key', { user: 'bob', password: 'p@ss', host: 'h', tcUrl: 'rtmp://h/live' }],
    ['rtmp://bob@h/live/key', { user: 'bob', password: undefined }],
    ['  rtmp://h/live/key\n', { host: 'h', stream: 'key' }],
  ];
  for (const [url, expected] of cases) {
    it(url.trim(), () => {
      const got = parseRtmpUrl(url);
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(got[k as keyof RtmpUrl], v, k);
    });
  }

  it('overrides replace app, stream and tcUrl', () => {
    assert.deepEqual(parseRtmpUrl('rtmp://h/live', { stream: 'key' }), {
      protocol: 'rtmp', host: 'h', port: 1935, app: 'live', stream: 'key', tcUrl: 'rtmp://h/live',
    });
    // with the app given, a single path element is the stream (ffmpeg's -rtmp_app)
    const a = parseRtmpUrl('rtmp://h/key', { app: 'live/inst' });
    assert.equal(a.app, 'live/inst');
    assert.equal(a.stream, 'key');
    assert.equal(a.tcUrl, 'rtmp://h/live/inst');
    assert.equal(parseRtmpUrl('rtmp://h/a/b', { tcUrl: 'rtmp://other/a' }).tcUrl, 'rtmp://other/a');
    assert.equal(parseRtmpUrl('rtmp://h/a/b', { stream: 'c.flv' }).stream, 'c.flv');
  });

  const errors: Array<[string, RegExp]> = [
    ['http://h/live/key', /unsupported scheme "http:\/\/"/],
    ['rtmpe://h/live/key', /unsupported scheme "rtmpe:\/\/"/],
    ['srt://h:9000', /unsupported scheme/],
    ['h/live/key', /not an RTMP URL/],
    ['', /not an RTMP URL/],
    ['rtmp:///live/key', /no host/],
    ['rtmp://user:pw@/live/key', /no host/],
    ['rtmp://h:abc/live/key', /bad port "abc"/],
    ['rtmp://h:0/live/key', /bad port "0"/],
    ['rtmp://h:65536/live/key', /bad port "65536"/],
    ['rtmp://h:/live/key', /bad port ""/],
    ['rtmp://[::1/live/key', /closing "\]"/],
    ['rtmp://[::1]x/live/key', /after the IPv6 address/],
    ['rtmp://h', /no application name/],
    ['rtmp://h/', /no application name/],
    ['rtmp://h//key', /no application name/],
    ['rtmp://h/live', /no stream name/],
    ['rtmp://h/live/', /no stream name/],
    ['rtmp://h/live?x=1', /no stream name/],
    ['rtmp://a%zz:b@h/live/key', /percent-encoded user name/],
  ];
  for (const [url, message] of errors) {
    it(`rejects ${JSON.stringify(url)}`, () => {
      assert.throws(() => parseRtmpUrl(url), (e: unknown) => {
        assert.ok(e instanceof UrlError, String(e));
        assert.equal(e.code, 'RTMP_ERR_URL');
        assert.match(e.message, message);
        return true;
      });
    });
  }

  it('error messages never contain the stream key or password', () => {
    for (const url of ['rtmp://u:secretpw@h:99999/live/secretkey', 'http://h/live/secretkey']) {
      assert.throws(() => parseRtmpUrl(url), (e: unknown) => !String((e as Error).message).includes('secret'));
    }
  });
});

describe('redactUrl', () => {
  const cases: Array<[string, string]> = [
    ['rtmp://host/live/abc-123', 'rtmp://host/live/****'],
    ['rtmp://host:1936/live/abc?token=x', 'rtmp://host:1936/live/****?****'],
    ['rtmps://bob:hunter2@host/app/inst/key', 'rtmps://bob:****@host/app/inst/****'],
    ['rtmp://bob@host/live/key', 'rtmp://bob@host/live/****'],
    ['rtmp://[::1]/live/key', 'rtmp://[::1]/live/****'],
    ['rtmp://host/live', 'rtmp://host/live'],
    ['rtmp://host/live/', 'rtmp://host/live/'],
    ['rtmp://host/app?auth=x', 'rtmp://host/app?****'],
    ['not a url/with/key', 'not a url/with/****'],
  ];
  for (const [url, expected] of cases) {
    it(url, () => assert.equal(redactUrl(url), expected));
  }

  it('show returns the URL unchanged', () => {
    assert.equal(redactUrl('rtmp://u:p@host/live/key', true), 'rtmp://u:p@host/live/key');
  });

  it('redacts a parsed URL from its fields', () => {
    const u = parseRtmpUrl('rtmps://bob:pw@host:444/vod/mp4:dir/file.mp4?t=1');
    assert.equal(redactUrl(u), 'rtmps://bob:****@host:444/vod/****');
    assert.equal(redactUrl(u, true), 'rtmps://bob:pw@host:444/vod/mp4:dir/file.mp4?t=1');
    assert.equal(redactUrl(parseRtmpUrl('rtmp://[::1]/app?auth=x/key')), 'rtmp://[::1]/app?****/****');
  });
});

describe('redactSecrets', () => {
  it('replaces every occurrence, longest first, and URL-encoded forms', () => {
    const text = 'connect rtmp://h/live/ab/cd key=ab/cd short=ab enc=ab%2Fcd';
    assert.equal(redactSecrets(text, ['ab', 'ab/cd', '']), 'connect rtmp://h/live/**** key=**** short=**** enc=****');
  });

  it('leaves text without secrets alone', () => {
    assert.equal(redactSecrets('nothing here', ['zzz']), 'nothing here');
    assert.equal(redactSecrets('nothing here', []), 'nothing here');
  });
});

describe('resolveReconnectUrl (Enhanced RTMP ReconnectRequest tcUrl)', () => {
  const current = parseRtmpUrl('rtmp://user:pw@old.example.com:1936/live/inst/key?x=1');
  const cases: Array<[string | undefined, Partial<RtmpUrl>]> = [
    [undefined, { host: 'old.example.com', port: 1936, app: 'live/inst', tcUrl: 'rtmp://old.example.com:1936/live/inst' }],
    ['rtmp://new.example.com/app', { host: 'new.example.com', port: 1935, app: 'app', tcUrl: 'rtmp://new.example.com/app' }],
    ['rtmp://[::1]:1940/a/b', { host: '::1', port: 1940, app: 'a/b', tcUrl: 'rtmp://[::1]:1940/a/b' }],
    ['//192.0.2.0/realtimeapp', { host: '192.0.2.0', port: 1935, app: 'realtimeapp' }],
    ['/realtimeapp', { host: 'old.example.com', port: 1936, app: 'realtimeapp', tcUrl: 'rtmp://old.example.com:1936/realtimeapp' }],
    ['app2', { host: 'old.example.com', app: 'live/app2' }],
    ['rtmps://edge/ingest?token=t', { protocol: 'rtmps', port: 443, app: 'ingest?token=t' }],
  ];
  for (const [tcUrl, want] of cases) {
    it(String(tcUrl), () => {
      const got = resolveReconnectUrl(current, tcUrl);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof RtmpUrl], v, k);
      assert.equal(got.stream, 'key?x=1', 'the stream stays');
      assert.equal(got.password, 'pw', 'the credentials stay');
    });
  }
  it('refuses other schemes and a missing host', () => {
    assert.throws(() => resolveReconnectUrl(current, 'http://x/y'), (e) => e instanceof UrlError && /unsupported scheme "http:\/\/"/.test(e.message));
    assert.throws(() => resolveReconnectUrl(current, 'rtmp:///y'), UrlError);
  });
});
