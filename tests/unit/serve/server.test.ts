import type { AddressInfo } from 'node:net';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { RenderedFeed } from '../../../src/render/render-feed.ts';
import { createFeedServer, type ServedSite } from '../../../src/serve/server.ts';

function doc(text: string, etag: string): RenderedFeed {
  const body = Buffer.from(text);
  return { body, gzip: gzipSync(body), brotli: brotliCompressSync(body), etag, lastModified: 'Sun, 09 Mar 2025 12:00:00 GMT', contentType: 'application/atom+xml; charset=utf-8' };
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
