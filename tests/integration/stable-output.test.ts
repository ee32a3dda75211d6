import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFeed } from '../helpers/feed-reader.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { fixture, sampleConfigText, serveSampleFeeds, SITE_BASE, startSampleSite } from '../helpers/sample-site.ts';

const FEEDS = ['latest', 'tags/world', 'tags/news', 'tags/tech', 'tags/新闻', 'sources/world', 'sources/tech', 'sources/cn', 'sources/broken'];

describe('output that stays put across renders, restarts and config edits', () => {
  const fx = new FixtureServer();
  beforeAll(async () => {
    await fx.start();
    serveSampleFeeds(fx);
  });
  afterAll(() => fx.stop());

  async function entryIds(base: string, format: string): Promise<string[]> {
    return readFeed(await (await fetch(`${base}/feeds/latest.${format}?limit=50`)).text()).entries.map((e) => e.id).sort();
  }

  it('keeps every entry id when the service restarts with another baseUrl', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-ids-'));
    const first = await startSampleSite(sampleConfigText(fx), {}, dataDir);
    await first.app.runCycle();
    const ids = await entryIds(first.base, 'atom');
    expect(ids).toHaveLength(7);
    expect(ids.filter((id) => id.startsWith('tag:tributary.test,'))).not.toHaveLength(0);
    const etags = FEEDS.map((p) => first.app.feeds.get(p, 'rss')!.etag);
    await first.app.close();

    // A plain restart: byte-identical feeds, so readers' ETags stay valid.
    const restarted = await startSampleSite(sampleConfigText(fx), {}, dataDir);
    expect(FEEDS.map((p) => restarted.app.feeds.get(p, 'rss')!.etag)).toEqual(etags);
    await restarted.app.close();

    const moved = sampleConfigText(fx).replace(`baseUrl: ${SITE_BASE}`, 'baseUrl: https://news.example.net/wire');
    const second = await startSampleSite(moved, {}, dataDir);
    try {
      for (const format of ['atom', 'rss', 'json']) expect(await entryIds(second.base, format), format).toEqual(ids);
      await second.app.runCycle(); // the same items fetched again under the new baseUrl
      expect(await entryIds(second.base, 'atom')).toEqual(ids);
      const feed = readFeed(await (await fetch(`${second.base}/feeds/latest.atom`)).text());
      expect(feed.links.self).toBe('https://news.example.net/wire/feeds/latest.atom');
    } finally {
      await second.app.close();
    }
  });

  it('re-renders only the feeds that carry a source whose items changed', async () => {
    const site = await startSampleSite(sampleConfigText(fx));
    try {
      await site.app.runCycle();
      const before = new Map(FEEDS.map((p) => [p, site.app.feeds.get(p, 'atom')!]));
      const edited = fixture('chinanews.gbk.rss.xml').toString('latin1').replace('<item>', '<item><title>Breaking</title><guid>cn-new-1</guid><pubDate>Mon, 10 Mar 2025 08:00:00 +0800</pubDate></item><item>');
      fx.routes.set('/cn.xml', { headers: { 'content-type': 'text/xml' }, body: Buffer.from(edited, 'latin1') });
      const report = await site.app.runCycle();
      expect(report.added).toBe(1);
      expect(report.rendered.sort()).toEqual(['latest', 'sources/cn', 'tags/新闻']);
      for (const path of FEEDS) {
        const same = site.app.feeds.get(path, 'atom') === before.get(path);
        expect(same, path).toBe(!report.rendered.includes(path));
      }
    } finally {
      serveSampleFeeds(fx);
      await site.app.close();
    }
  });
});
