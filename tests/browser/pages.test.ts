// Issue 18, "checked in a real browser": the pages a person opens, in Debian's chromium with its CJK fonts, at
// 1280 and 390 px. Feed pages join PAGES as they come (each kind: latest, a tag, a source).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copiedBy, fontsRendering, horizontalOverflow, launchChromium, screenshot, visit, WIDTHS, type OpenBrowser, type PageCase } from '../helpers/browser.ts';
import { startService, type RunningService } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { until } from '../helpers/poll.ts';

const SITE_TITLE = '中文新闻聚合';
const PAGES: PageCase[] = [
  { name: 'index', path: '/', status: 200, chinese: SITE_TITLE },
  { name: 'not-found', path: '/feeds/no-such-feed.html', status: 404 },
  { name: 'latest', path: '/feeds/latest.html', status: 200, chinese: '北京今日晴转多云' },
  { name: 'tag', path: `/feeds/tags/${encodeURIComponent('财经')}.html`, status: 200, chinese: '北京今日晴转多云' },
  { name: 'source', path: '/feeds/sources/cn-news.html', status: 200, chinese: '北京今日晴转多云' },
];

let dir: string;
let service: RunningService;
let open: OpenBrowser;
const fixture = new FixtureServer();

beforeAll(async () => {
  // the browser first: without it the file fails at once, saying what to install
  open = await launchChromium();
  dir = await mkdtemp(join(tmpdir(), 'tributary-browser-'));
  await fixture.start();
  fixture.routes.set('/cn.xml', { headers: { 'content-type': 'application/rss+xml' },
    body: await readFile(new URL('../fixtures/feeds/chinese-portal.rss.xml', import.meta.url)) });
  fixture.routes.set('/broken.xml', { status: 500, body: 'down' });
  const config = join(dir, 'feeds.yaml');
  await writeFile(config, `title: ${SITE_TITLE}\nlanguage: zh-CN\nsources:\n  - id: cn-news\n    title: 财经要闻\n    url: ${fixture.url('/cn.xml')}\n    tags: [财经]\n`
    + `  - id: broken\n    title: 坏掉的来源\n    url: ${fixture.url('/broken.xml')}\n`);
  service = await startService(['--config', config, '--data', join(dir, 'data')]);
  await until('the first cycle', () => /cycle: 2 sources/.test(service.stderr()));
});

afterAll(async () => {
  await open?.close();
  await service?.stop();
  await fixture.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.each(PAGES)('the $name page', (pageCase) => {
  it.each(WIDTHS)('at %i px: fits the width, no console error, Chinese drawn in a CJK font', async (width) => {
    const { context, page, status, errors } = await visit(open.browser, service.base, pageCase, width);
    try {
      expect(status).toBe(pageCase.status);
      await screenshot(page, `${pageCase.name}-${width}`);
      // soft: one run reports every problem of the page, not the first
      expect.soft(await horizontalOverflow(page), 'pixels past the right edge').toBeLessThanOrEqual(0);
      expect.soft(errors, `console errors: ${errors.join(' | ')}`).toEqual([]);
      if (pageCase.chinese) {
        const fonts = await fontsRendering(page, pageCase.chinese);
        expect.soft(fonts.some((family) => /CJK/i.test(family)), `fonts drawing "${pageCase.chinese}": ${fonts.join(', ')}`).toBe(true);
      }
    } finally {
      await context.close();
    }
  });
});

describe('the links of the index', () => {
  it('lead to the feed they name', async () => {
    const { context, page } = await visit(open.browser, service.base, PAGES[0]!, 1280);
    try {
      const link = page.locator('a[href$="/feeds/sources/cn-news.atom"]').first();
      const href = await link.getAttribute('href');
      expect(href).toBeTruthy();
      const url = new URL(href!, service.base).href;
      // the feed a reader would get by following it: an Atom document whose self link is this URL, with the source's items
      const response = await page.request.get(url);
      expect(response.status()).toBe(200);
      expect(response.headers()['content-type']).toContain('atom');
      const body = await response.text();
      expect(body).toContain(`<link rel="self" href="${url}"/>`);
      expect(body).toContain('新能源汽车3月销量创新高');
      // and following the link in the page arrives at the same document
      const [download] = await Promise.all([
        page.waitForResponse((r) => r.url() === url),
        link.click({ modifiers: [] }).catch(() => {}),
      ]);
      expect(download.status()).toBe(200);
    } finally {
      await context.close();
    }
  });
});

describe('the feed pages', () => {
  it.each(['atom', 'rss', 'json'])('copy the %s URL of the feed to the clipboard, and link back to the index', async (format) => {
    const { context, page } = await visit(open.browser, service.base, PAGES[2]!, 390);
    try {
      expect(await copiedBy(page, `button[data-copy="${format}"]`)).toBe(`${service.base}/feeds/latest.${format}`);
      expect(await page.getAttribute(`button[data-copy="${format}"]`, 'data-copied')).toBe('yes');
      const back = await page.getAttribute('a[data-index-link]', 'href');
      expect(new URL(back!, service.base).href).toBe(`${service.base}/`);
      // the item titles lead to the originals, the source to its own page
      const source = await page.getAttribute('ol[data-items] > li a[href$="/feeds/sources/cn-news.html"]', 'href');
      expect(source).toBeTruthy();
    } finally {
      await context.close();
    }
  });
});
