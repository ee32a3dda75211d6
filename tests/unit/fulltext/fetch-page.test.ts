// Item pages through the fetch stage, from a real server on 127.0.0.1.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractArticle } from '../../../src/fulltext/extract.ts';
import { FullTextError } from '../../../src/fulltext/errors.ts';
import { fetchPage } from '../../../src/fulltext/fetch-page.ts';
import { SourceHttpError } from '../../../src/fetch/errors.ts';
import { RedirectGuards } from '../../../src/fetch/redirect-guard.ts';
import { FixtureServer } from '../../helpers/fixture-server.ts';

const PORTAL = readFileSync(new URL('../../fixtures/articles/portal-article.gbk.html', import.meta.url));
const OPTIONS = { timeoutMs: 5000, maxBytes: 1024 * 1024, userAgent: 'tributary-test' };

describe('fetchPage', () => {
  const fx = new FixtureServer();
  const other = new FixtureServer();
  beforeAll(async () => {
    await fx.start();
    await other.start('127.0.0.2');
    fx.routes.set('/sh/2026/12-05/10000100.shtml', { headers: { 'content-type': 'text/html' }, body: PORTAL });
    fx.routes.set('/old.shtml', { status: 301, headers: { location: '/sh/2026/12-05/10000100.shtml' } });
    fx.routes.set('/report.pdf', { headers: { 'content-type': 'application/pdf' }, body: '%PDF-1.4' });
    fx.routes.set('/busy', { status: 429, headers: { 'retry-after': '120' } });
    other.routes.set('/a.html', { headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<p>elsewhere</p>' });
  });
  afterAll(async () => {
    await fx.stop();
    await other.stop();
  });
  const source = () => ({ id: 'portal', url: fx.url('/rss.xml'), headers: { Cookie: 'session=s3cret' } });

  it('decodes a GBK page by its <meta> and follows a redirect; the URL is where the page was read', async () => {
    const page = await fetchPage(fx.url('/old.shtml'), source(), OPTIONS);
    expect(page.url).toBe(fx.url('/sh/2026/12-05/10000100.shtml'));
    const { html } = await extractArticle(page.text, page.url, { select: 'div.left_zw' });
    expect(html).toContain('(记者 李喆)进入十二月');
    expect(html).toContain(`<img src="${fx.base}/2026/12-05/U123P4T8D10001F24DT20261205143200.jpg"`);
  });

  it("sends the source's headers to the source's own origin only", async () => {
    await fetchPage(fx.url('/sh/2026/12-05/10000100.shtml'), source(), OPTIONS);
    expect(fx.requests.at(-1)!.headers.cookie).toBe('session=s3cret');
    expect(fx.requests.at(-1)!.headers.accept).toMatch(/^text\/html/);
    await fetchPage(other.url('/a.html'), source(), OPTIONS);
    expect(other.requests.at(-1)!.headers.cookie).toBeUndefined();
  });

  it('refuses a link that is no web page', async () => {
    const error = await fetchPage(fx.url('/report.pdf'), source(), OPTIONS).catch((e: unknown) => e);
    expect((error as FullTextError).reason).toBe('the link is not a web page (Content-Type application/pdf)');
  });

  it('a failed fetch keeps the fetch error as its cause (a 429 with its Retry-After)', async () => {
    const error = await fetchPage(fx.url('/busy'), source(), OPTIONS).catch((e: unknown) => e) as FullTextError;
    expect(error).toBeInstanceOf(FullTextError);
    expect(error.reason).toMatch(/^HTTP 429 .*retry/);
    expect(error.cause).toBeInstanceOf(SourceHttpError);
    expect((error.cause as SourceHttpError).retryAfter).toBeInstanceOf(Date);
  });

  it('a missing page fails with its status', async () => {
    const error = await fetchPage(fx.url('/gone'), source(), OPTIONS).catch((e: unknown) => e) as FullTextError;
    expect(error.reason).toBe('HTTP 404 Not Found');
  });

  it('holds a public source\'s item links to fetch.allowPrivateRedirects: no request reaches the private network', async () => {
    // 127.0.0.2 plays the public internet (as TRIBUTARY_PUBLIC_ADDRESSES makes it in the service); 127.0.0.1 is private.
    const guards = new RedirectGuards(5000, ['127.0.0.2/32']);
    const publicSource = { id: 'public', url: other.url('/feed.xml') };
    const options = { ...OPTIONS, redirectGuard: guards.for(false)! };
    const before = fx.requests.length;
    try {
      for (const link of [fx.url('/sh/2026/12-05/10000100.shtml'), `http://localhost:${new URL(fx.base).port}/sh/2026/12-05/10000100.shtml`]) {
        const error = await fetchPage(link, publicSource, options).catch((e: unknown) => e) as FullTextError;
        expect(error, link).toBeInstanceOf(FullTextError);
        expect(error.reason).toMatch(/^the item's link leads into the private network: .*loopback address \(allow it with fetch\.allowPrivateRedirects\)/);
      }
      expect(fx.requests.length).toBe(before);
      // The source's own host, and a source on a private host, are not held to it.
      expect((await fetchPage(other.url('/a.html'), publicSource, options)).text).toContain('elsewhere');
      expect((await fetchPage(fx.url('/sh/2026/12-05/10000100.shtml'), source(), options)).url).toBe(fx.url('/sh/2026/12-05/10000100.shtml'));
    } finally {
      await guards.close();
    }
  });
});
