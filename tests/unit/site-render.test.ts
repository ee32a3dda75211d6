import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { ComposedFeeds } from '../../src/render/composed-feeds.ts';
import { FeedSet } from '../../src/render/feed-set.ts';
import { SiteRenderer } from '../../src/site-render.ts';
import { ItemStore } from '../../src/store/store.ts';
import { sampleItem } from '../helpers/sample-items.ts';
import { plain } from '../helpers/plain-text.ts';

const CONFIG = parseConfig(`title: Test Wire
baseUrl: http://tributary.test
sources:
  - id: world
    url: https://world.example.com/rss
    tags: [world, news]
  - id: tech
    url: https://tech.example.com/atom
    tags: [tech]
`, 'sources.yaml');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-site-render-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function site() {
  const store = await ItemStore.open(dir);
  const renderer = new SiteRenderer({ config: () => CONFIG, store, feeds: new FeedSet(), composed: new ComposedFeeds(), hubs: () => [] });
  return { store, renderer };
}

describe('SiteRenderer', () => {
  it('keeps the index and the OPML, bytes and Last-Modified, across renders that change nothing they show', async () => {
    const { store, renderer } = await site();
    store.apply([sampleItem(1), sampleItem(2)], []);
    renderer.render();
    const index = renderer.page('index')!;
    const opml = renderer.page('opml')!;
    expect(index.body.toString()).toContain('data-source="world"');
    // An item stored again unchanged: the store's revision moves, no feed or page changes.
    store.apply([], [{ ...sampleItem(1) }]);
    expect(renderer.render()).toEqual([]);
    expect(renderer.page('index')).toBe(index);
    expect(renderer.page('opml')).toBe(opml);
  });

  it('shows a source\'s new status and item count on the index, and the newest item in the OPML', async () => {
    const { store, renderer } = await site();
    store.apply([sampleItem(1)], []);
    renderer.render();
    const index = renderer.page('index')!;
    const opml = renderer.page('opml')!;
    store.setSourceState({ id: 'tech', consecutiveFailures: 2, lastError: 'HTTP 500', lastFetch: '2025-01-01T05:00:00.000Z' });
    store.apply([sampleItem(9)], []);
    expect(renderer.render().sort()).toEqual(['latest', 'sources/world', 'tags/news', 'tags/world']);
    const body = renderer.page('index')!.body.toString();
    expect(body).toContain('<li class="source failing" data-source="tech">');
    expect(body).toMatch(/data-source="world">.*items 2 ·/);
    expect(renderer.page('index')!.etag).not.toBe(index.etag);
    expect(renderer.page('opml')!.body.toString()).toContain(`<dateCreated>${new Date(sampleItem(9).updated).toUTCString()}</dateCreated>`);
    expect(renderer.page('opml')!.etag).not.toBe(opml.etag);
    // Compressed forms are made when asked for, once.
    const page = renderer.page('index')!;
    expect(page.gzip).toBe(page.gzip);
    expect(page.brotli.length).toBeGreaterThan(0);
  });

  it('renders again when a reload changes only the rules, the tag titles or the hubs, as a restart would', async () => {
    const base = `title: Test Wire
baseUrl: http://tributary.test
sources:
  - id: world
    url: https://world.example.com/rss
    tags: [world]
`;
    let config = parseConfig(base, 'sources.yaml');
    let hubs: string[] = [];
    const store = await ItemStore.open(dir);
    const feeds = new FeedSet();
    const renderer = new SiteRenderer({ config: () => config, store, feeds, composed: new ComposedFeeds(), hubs: () => hubs });
    store.apply([sampleItem(1, { title: plain('LLM news') }), sampleItem(2)], []);
    renderer.render();
    expect(feeds.get('tags/ai', 'atom')).toBeUndefined();
    // What a fresh renderer (a restart) serves under a config: the reloaded one must serve the same bytes.
    const restarted = (next: Config, nextHubs: string[]) => {
      const fresh = new FeedSet();
      new SiteRenderer({ config: () => next, store, feeds: fresh, composed: new ComposedFeeds(), hubs: () => nextHubs }).render();
      return fresh;
    };

    config = parseConfig(`${base}rules:\n  - tag: ai\n    match: ["LLM"]\n`, 'sources.yaml');
    expect(renderer.render()).toContain('tags/ai');
    expect(feeds.get('tags/ai', 'atom')!.body.toString()).toBe(restarted(config, hubs).get('tags/ai', 'atom')!.body.toString());
    expect(feeds.get('tags/ai', 'atom')!.body.toString()).toContain('LLM news');

    config = parseConfig(`${base}rules:\n  - tag: ai\n    match: ["LLM"]\ntags:\n  ai: { title: "AI 要闻" }\n`, 'sources.yaml');
    expect(renderer.render()).toEqual(['tags/ai']);
    expect(feeds.get('tags/ai', 'atom')!.body.toString()).toContain('<title>AI 要闻</title>');

    hubs = ['https://hub.example.com/'];
    expect(renderer.render()).toContain('latest');
    expect(feeds.get('latest', 'atom')!.body.toString()).toBe(restarted(config, hubs).get('latest', 'atom')!.body.toString());
    expect(feeds.get('latest', 'atom')!.body.toString()).toContain('https://hub.example.com/');
  });
});
