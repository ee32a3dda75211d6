import type { AddressInfo } from 'node:net';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { RenderedFeed } from '../../../src/render/render-feed.ts';
import { createFeedServer, StoreLoadingError, type ServedSite } from '../../../src/serve/server.ts';

function doc(text: string, etag: string): RenderedFeed {
  const body = Buffer.from(text);
  return { body, bytes: body.length, gzip: gzipSync(body), brotli: brotliCompressSync(body), etag, lastModified: 'Sun, 09 Mar 2025 12:00:00 GMT', contentType: 'application/atom+xml; charset=utf-8' };
}

describe('feed server headers', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('answers with the current document and cache age, right after either changes', async () => {
    let current = doc('<feed>one</feed>', '"one"');
    let maxAge = 300;
    const site: ServedSite = {
      feed: (path) => (path === 'latest' ? current : undefined),
      view: () => undefined,
      page: () => undefined,
      health: () => ({}),
      status: () => ({}),
      maxAgeSeconds: () => maxAge,
    };
    const server = createFeedServer(site);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    close = () => server.close();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/feeds/latest.atom`;

    const first = await fetch(url);
    expect([first.headers.get('etag'), first.headers.get('cache-control'), await first.text()]).toEqual(['"one"', 'public, max-age=300', '<feed>one</feed>']);
    const cached = await fetch(url, { headers: { 'if-none-match': '"one"' } });
    expect([cached.status, cached.headers.get('etag'), cached.headers.get('content-length')]).toEqual([304, '"one"', null]);

    current = doc('<feed>two, longer</feed>', '"two"');
    maxAge = 60;
    const second = await fetch(url, { headers: { 'if-none-match': '"one"', 'accept-encoding': 'identity' } });
    expect(second.status).toBe(200);
    expect([second.headers.get('etag'), second.headers.get('cache-control'), second.headers.get('content-length')])
      .toEqual(['"two"', 'public, max-age=60', String('<feed>two, longer</feed>'.length)]);
    expect(await second.text()).toBe('<feed>two, longer</feed>');
    const head = await fetch(url, { method: 'HEAD', headers: { 'accept-encoding': 'br' } });
    expect([head.headers.get('content-encoding'), head.headers.get('content-length')]).toEqual(['br', String(current.brotli.length)]);
  });
});

describe('feed server routing', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  async function serve(site: ServedSite): Promise<string> {
    const server = createFeedServer(site);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    close = () => server.close();
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function recordingSite(overrides: Partial<ServedSite> = {}): { site: ServedSite; seen: [string, number][] } {
    const seen: [string, number][] = [];
    const feeds = new Map([['latest', doc('<feed>latest</feed>', '"l"')], ['tags/科技', doc('<feed>科技</feed>', '"k"')]]);
    const site: ServedSite = {
      feed: (path) => feeds.get(path),
      view: (path) => {
        if (!feeds.has(path)) return undefined;
        throw new Error('unreachable in these tests');
      },
      page: () => undefined,
      health: () => ({}),
      status: () => ({}),
      maxAgeSeconds: () => 60,
      onRequest: (route, status) => seen.push([route, status]),
      ...overrides,
    };
    return { site, seen };
  }

  it('answers a percent-encoded tag path the same way every time it is asked', async () => {
    const { site, seen } = recordingSite();
    const base = await serve(site);
    const path = `/feeds/tags/${encodeURIComponent('科技')}.atom`;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}${path}`, { headers: { 'accept-encoding': 'identity' } });
      expect([res.status, await res.text()]).toEqual([200, '<feed>科技</feed>']);
    }
    const bad = await fetch(`${base}/feeds/tags/%E7%A7.atom`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('bad percent-encoding in URL\n');
    expect(seen).toEqual([['tags/科技.atom', 200], ['tags/科技.atom', 200], ['tags/科技.atom', 200]]);
  });

  it('counts a bad query on a feed that does not exist as not-found, never under a client-made name', async () => {
    const { site, seen } = recordingSite();
    const base = await serve(site);
    const unknown = await fetch(`${base}/feeds/tags/made-up-${Date.now()}.atom?page=zero`);
    expect(unknown.status).toBe(400);
    const known = await fetch(`${base}/feeds/latest.atom?page=zero`);
    expect(known.status).toBe(400);
    expect(seen).toEqual([['not-found', 400], ['latest.atom', 400]]);
  });

  it('answers a feed URL asked before as it answered it first: methods, queries, Vary and counting unchanged', async () => {
    const queries: string[] = [];
    const { site, seen } = recordingSite({
      view: (path, _format, query) => {
        queries.push(`${path} ${JSON.stringify(query)}`);
        return doc('<feed>page 2</feed>', '"p2"');
      },
    });
    const base = await serve(site);
    const answer = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(`${base}${path}`, init);
      return [res.status, res.headers.get('vary'), res.headers.get('allow'), await res.text()];
    };
    for (const format of ['atom', 'json']) {
      // The first request reads the URL; the next ones find it known (server.ts answers them before any other check).
      const vary = format === 'json' ? 'Accept-Encoding' : 'Accept-Encoding, Accept';
      for (let i = 0; i < 2; i++) expect(await answer(`/feeds/latest.${format}`, { headers: { 'accept-encoding': 'identity' } })).toEqual([200, vary, null, '<feed>latest</feed>']);
      expect(await answer(`/feeds/latest.${format}`, { method: 'POST' })).toEqual([405, 'Accept', 'GET, HEAD', 'method not allowed\n']);
      expect(await answer(`/feeds/latest.${format}`, { method: 'HEAD' })).toEqual([200, vary, null, '']);
      expect(await answer(`/feeds/latest.${format}?page=2`, { headers: { 'accept-encoding': 'identity' } })).toEqual([200, vary, null, '<feed>page 2</feed>']);
    }
    expect(queries).toHaveLength(2);
    expect(seen).toEqual([...['atom', 'json'].flatMap((f) => Array.from({ length: 4 }, () => [`latest.${f}`, 200]))]);
  });

  it('answers 503 with Retry-After while a feed read from disk waits for the store, and 500 when the read fails, leaving no unhandled rejection', async () => {
    let failure: Error = new StoreLoadingError('this feed', 2);
    const { site } = recordingSite({ feed: () => Promise.reject(failure) });
    const base = await serve(site);
    const loading = await fetch(`${base}/feeds/latest.atom`);
    expect([loading.status, loading.headers.get('retry-after'), await loading.text()])
      .toEqual([503, '2', 'this feed is answered once the store is loaded (the service is starting); retry in 2 s\n']);
    failure = new Error('disk gone');
    const broken = await fetch(`${base}/feeds/latest.atom`);
    expect([broken.status, broken.headers.get('retry-after'), await broken.text()]).toEqual([500, null, 'internal error: disk gone\n']);
  });

  it('answers 500 when a page lookup throws, and keeps serving', async () => {
    let broken = true;
    const { site } = recordingSite({
      page: () => {
        if (broken) throw new Error('index exploded');
        return doc('<html></html>', '"i"');
      },
    });
    const base = await serve(site);
    const failed = await fetch(`${base}/`);
    expect([failed.status, await failed.text()]).toEqual([500, 'internal error: index exploded\n']);
    broken = false;
    expect((await fetch(`${base}/`)).status).toBe(200);
  });
});
