import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TagRule } from '../../../src/config/types.ts';
import type { Item, PlainText } from '../../../src/model.ts';
import { FeedIndex, newestUpdated } from '../../../src/render/feed-index.ts';
import { FeedSet } from '../../../src/render/feed-set.ts';
import { buildFeedSpecs, sourceTagMap, type FeedSpec, type SiteInfo } from '../../../src/render/feed-specs.ts';
import { FEED_FORMATS, type RenderContext } from '../../../src/render/render-feed.ts';
import { RuleTagging } from '../../../src/rules/tagger.ts';
import { retentionPolicy } from '../../../src/store/retention.ts';
import { ItemStore } from '../../../src/store/store.ts';
import { plain } from '../../helpers/plain-text.ts';

/** A small deterministic generator (mulberry32), so a failing sequence can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SOURCE_IDS = ['wire', 'portal', 'blog', 'radio', 'gone'];
const TAGS = ['world', 'china', 'tech', 'ai'];

interface Setup {
  sources: SiteInfo['sources'];
  rules: TagRule[];
  failing: Map<string, Item>;
  titles: Record<string, PlainText>;
  limit: number;
}

function site(setup: Setup): SiteInfo {
  return { title: plain('Wire'), baseUrl: 'http://127.0.0.1:8080', limit: setup.limit, sources: setup.sources, rules: setup.rules };
}

/** Same fields as normalize/ gives them; dates on a coarse grid so that equal published dates are common. */
function makeItem(rand: () => number, n: number): Item {
  const sourceId = SOURCE_IDS[Math.floor(rand() * SOURCE_IDS.length)]!;
  const published = new Date(Date.UTC(2025, 0, 1) + Math.floor(rand() * 40) * 3_600_000).toISOString();
  const alsoIn = rand() < 0.2 ? [SOURCE_IDS[Math.floor(rand() * SOURCE_IDS.length)]!] : [];
  return {
    id: `tag:tributary.test,2025:${sourceId}/${n}`, sourceId, key: `g:${n}`, title: plain(rand() < 0.3 ? `LLM story ${n}` : `Story ${n}`),
    link: `https://${sourceId}.example/${n}`, published, updated: published, firstSeen: published, summary: `<p>${n}</p>`,
    categories: rand() < 0.2 ? [plain('markets')] : [], enclosures: [], alsoIn, hash: `h${n}`,
  };
}

function randomSources(rand: () => number): SiteInfo['sources'] {
  // 'gone' is sometimes not configured: its items stay in latest and the tags of the sources that also had them.
  return SOURCE_IDS.filter((id) => id !== 'gone' || rand() < 0.5).map((id) => ({
    id, url: `https://${id}.example/rss.xml`, enabled: true, tags: TAGS.filter(() => rand() < 0.4),
  }));
}

function randomRules(rand: () => number): TagRule[] {
  const rules: TagRule[] = [];
  if (rand() < 0.6) rules.push({ tag: 'ai', match: ['/\\bLLM\\b/'], categories: [], exclude: [] });
  if (rand() < 0.5) rules.push({ tag: 'finance', match: [], categories: ['markets'], exclude: [], ...(rand() < 0.5 ? { sources: ['wire', 'blog'] } : {}) });
  return rules;
}

function errorItem(sourceId: string, day: number): Item {
  const at = new Date(Date.UTC(2025, 0, 1) + day * 3_600_000).toISOString();
  return {
    id: `tag:tributary.test,${at.slice(0, 10)}:${sourceId}/fetch-error`, sourceId, key: `error:${day}`, title: plain(`${sourceId} failing`),
    link: `https://${sourceId}.example/`, published: at, updated: at, firstSeen: at, categories: [], enclosures: [], alsoIn: [], hash: '',
  };
}

/** Everything a spec holds, items by their content: the incremental index must give exactly this. */
const contentOf = (specs: FeedSpec[]) => JSON.stringify(specs);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-feed-index-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FeedIndex', () => {
  it('gives what a full sort gives after any sequence of adds, updates, prunes, rollbacks and config changes', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const rand = random(seed);
      const store = await ItemStore.open(join(dir, `s${seed}`));
      const tagging = new RuleTagging();
      const index = new FeedIndex();
      const setup: Setup = { sources: randomSources(rand), rules: randomRules(rand), failing: new Map(), titles: {}, limit: 5 };
      let n = 0;
      let previous = new Map<string, { spec: FeedSpec; content: string }>();
      let incremental = 0;
      for (let step = 0; step < 120; step++) {
        const roll = rand();
        const stored = store.items();
        const pick = () => stored[Math.floor(rand() * stored.length)]!;
        let reshaped = false;
        if (roll < 0.35 || stored.length === 0) {
          store.apply(Array.from({ length: 1 + Math.floor(rand() * 4) }, () => makeItem(rand, ++n)), []);
        } else if (roll < 0.5) {
          // An update that moves the item's date (and may move it into other tag feeds by its title).
          const old = pick();
          const published = new Date(Date.parse(old.published) + (Math.floor(rand() * 20) - 10) * 3_600_000).toISOString();
          store.apply([], [{ ...old, published, updated: published, title: plain(rand() < 0.5 ? `LLM ${old.title}` : `${old.title}.`), hash: `${old.hash}'` }]);
        } else if (roll < 0.6) {
          store.apply([], [{ ...pick() }]); // stored again unchanged: a new object, the same content
        } else if (roll < 0.65) {
          store.apply([makeItem(rand, ++n)], [{ ...pick() }]);
          store.prune(retentionPolicy({ maxItemsPerSource: 3 + Math.floor(rand() * 6) }, setup.sources, rand() < 0.3), new Date('2025-02-01T00:00:00Z'));
        } else if (roll < 0.7) {
          await store.commit();
          store.apply([makeItem(rand, ++n)], [{ ...pick(), title: plain('rolled back'), hash: 'x' }]);
          store.rollback();
        } else if (roll < 0.75) {
          await store.commit();
        } else if (roll < 0.8) {
          setup.sources = randomSources(rand);
          reshaped = true;
        } else if (roll < 0.85) {
          setup.rules = randomRules(rand);
          reshaped = true;
        } else if (roll < 0.92) {
          const id = SOURCE_IDS[Math.floor(rand() * SOURCE_IDS.length)]!;
          if (setup.failing.has(id) && rand() < 0.5) setup.failing.delete(id);
          else setup.failing.set(id, errorItem(id, Math.floor(rand() * 40)));
        } else if (roll < 0.96) {
          const id = SOURCE_IDS[Math.floor(rand() * SOURCE_IDS.length)]!;
          setup.titles = { ...setup.titles, [id]: plain(`Title ${step}`) };
        } else {
          setup.limit = setup.limit === 5 ? 7 : 5;
        }
        // The error items are made again at every render, as the app does from the sources' states.
        const failing = new Map([...setup.failing].map(([id, item]) => [id, { ...item }]));
        const tagger = tagging.forRules(setup.rules);
        const before = index.rebuilds;
        const specs = index.specs(store, { site: site(setup), sourceTitles: setup.titles, ruleTags: tagger.tagsOf, sourceOnly: failing });
        const expected = buildFeedSpecs(store.items(), site(setup), setup.titles, tagger.tagsOf, failing);
        expect(contentOf(specs), `seed ${seed}, step ${step}`).toBe(contentOf(expected));
        for (const spec of specs) {
          // The newest date a list carries along from the list it was edited from is the one a walk finds.
          expect(newestUpdated(spec.all)).toBe(spec.all.reduce<string | undefined>((newest, item) => (newest === undefined || item.updated > newest ? item.updated : newest), undefined));
          // Item objects are the store's own (an error item aside), so a feed keeps serving what is stored.
          expect(spec.all.filter((item) => item.hash !== '').every((item) => store.items().includes(item))).toBe(true);
          const old = previous.get(spec.path);
          // A spec kept as the same object must have the same content: FeedSet does not look at it again.
          if (old && old.spec === spec) expect(contentOf([spec])).toBe(old.content);
        }
        if (!reshaped && index.rebuilds === before) incremental++;
        previous = new Map(specs.map((spec) => [spec.path, { spec, content: contentOf([spec]) }]));
        tagger.endPass();
      }
      expect(incremental).toBeGreaterThan(60);
    }
  });

  it('follows added and replaced items without sorting all items again, and gives unchanged feeds their old spec', async () => {
    const store = await ItemStore.open(dir);
    const rand = random(7);
    const sources: SiteInfo['sources'] = [
      { id: 'wire', url: 'https://wire.example/rss.xml', enabled: true, tags: ['world'] },
      { id: 'portal', url: 'https://portal.example/rss.xml', enabled: true, tags: ['china'] },
      { id: 'blog', url: 'https://blog.example/rss.xml', enabled: true, tags: ['tech'] },
    ];
    store.apply(Array.from({ length: 30 }, (_, i) => makeItem(rand, i)), []);
    const input = { site: { title: plain('Wire'), baseUrl: 'http://127.0.0.1:8080', limit: 5, sources }, sourceTitles: {} };
    const index = new FeedIndex();
    const first = index.specs(store, input);
    expect(index.rebuilds).toBe(1);
    const item = { ...makeItem(rand, 100), sourceId: 'portal', alsoIn: [] };
    store.apply([item], []);
    const second = index.specs(store, input);
    expect(index.rebuilds).toBe(1);
    const changed = second.filter((spec, i) => spec !== first[i]).map((spec) => spec.path);
    expect(changed).toEqual(['latest', 'tags/china', 'sources/portal']);
    // Nothing changed since: every spec is kept.
    expect(index.specs(store, input).every((spec, i) => spec === second[i])).toBe(true);
    // The old lists are not changed in place: the first render's specs still show what they showed.
    expect(first[0]!.all).toHaveLength(30);
  });
});

describe('FeedSet with the FeedIndex', () => {
  it('re-renders exactly the feeds whose bytes changed, with the bytes a full render gives', async () => {
    const rand = random(11);
    const store = await ItemStore.open(dir);
    const tagging = new RuleTagging();
    const index = new FeedIndex();
    const feeds = new FeedSet();
    const setup: Setup = { sources: randomSources(rand), rules: randomRules(rand), failing: new Map(), titles: {}, limit: 4 };
    let n = 0;
    const bytesOf = (set: FeedSet, path: string) => FEED_FORMATS.map((format) => set.get(path, format)?.body.toString() ?? '').join('\0');
    for (let step = 0; step < 60; step++) {
      const roll = rand();
      const stored = store.items();
      const pick = () => stored[Math.floor(rand() * stored.length)]!;
      // A new config or source title is signed whole, as it always was: feeds it cannot show may render again.
      const reconfigured = roll >= 0.8 && roll < 0.95;
      if (roll < 0.4 || stored.length === 0) store.apply([makeItem(rand, ++n)], []);
      else if (roll < 0.55) store.apply([], [{ ...pick() }]);
      else if (roll < 0.7) {
        const old = pick();
        const published = new Date(Date.parse(old.published) - 3_600_000).toISOString();
        store.apply([], [{ ...old, published, updated: published, hash: `${old.hash}'` }]);
      } else if (roll < 0.8) {
        const id = SOURCE_IDS[Math.floor(rand() * SOURCE_IDS.length)]!;
        if (setup.failing.has(id)) setup.failing.delete(id);
        else setup.failing.set(id, errorItem(id, Math.floor(rand() * 40)));
      } else if (roll < 0.85) setup.rules = randomRules(rand);
      else if (roll < 0.9) setup.sources = randomSources(rand);
      else if (roll < 0.95) setup.titles = { ...setup.titles, [SOURCE_IDS[Math.floor(rand() * 4)]!]: plain(`Title ${step}`) };
      else store.prune(retentionPolicy({ maxItemsPerSource: 4 }, setup.sources, false), new Date('2025-02-01T00:00:00Z'));
      const tagger = tagging.forRules(setup.rules);
      const failing = new Map([...setup.failing].map(([id, item]) => [id, { ...item }]));
      const ctx: RenderContext = {
        baseUrl: 'http://127.0.0.1:8080', tagsOf: sourceTagMap(setup), hubs: [], ruleTags: tagger.tagsOf,
        sources: new Map(setup.sources.map((s) => [s.id, { title: setup.titles[s.id] ?? plain(s.id), url: s.url }])),
      };
      const contextKey = JSON.stringify([[...ctx.sources], setup.sources.map((s) => [s.id, s.tags]), tagger.version]);
      const before = new Map(feeds.specs().map((spec) => [spec.path, bytesOf(feeds, spec.path)]));
      const specs = index.specs(store, { site: site(setup), sourceTitles: setup.titles, ruleTags: tagger.tagsOf, sourceOnly: failing });
      const changed = feeds.update(specs, ctx, setup.limit, contextKey);
      const full = new FeedSet();
      full.update(buildFeedSpecs(store.items(), site(setup), setup.titles, tagger.tagsOf, failing), ctx, setup.limit);
      const differing = specs.map((spec) => spec.path).filter((path) => bytesOf(feeds, path) !== before.get(path));
      if (reconfigured) expect(changed, `step ${step}`).toEqual(expect.arrayContaining(differing));
      else expect(changed.sort(), `step ${step}`).toEqual(differing.sort());
      for (const spec of specs) expect(bytesOf(feeds, spec.path), `step ${step} ${spec.path}`).toBe(bytesOf(full, spec.path));
      tagger.endPass();
    }
  });

  it('follows an item that becomes also-in another source into that source\'s feed and its tags\' feeds, and a cycle\'s edge cases', async () => {
    const setup: Setup = {
      sources: [
        { id: 'wire', url: 'https://wire.example/rss.xml', enabled: true, tags: ['world'] },
        { id: 'portal', url: 'https://portal.example/rss.xml', enabled: true, tags: ['china', 'tech'] },
      ],
      rules: [], failing: new Map(), titles: {}, limit: 3,
    };
    const store = await ItemStore.open(dir);
    const index = new FeedIndex();
    const rand = random(7);
    store.apply(Array.from({ length: 12 }, (_, n) => ({ ...makeItem(rand, n), sourceId: 'wire', alsoIn: [] })), []);
    const check = (label: string) => {
      const specs = index.specs(store, { site: site(setup), sourceTitles: {} });
      expect(contentOf(specs), label).toBe(contentOf(buildFeedSpecs(store.items(), site(setup), {})));
      return specs;
    };
    check('start');
    const rebuilds = index.rebuilds;
    const shared = store.items()[4]!;
    store.apply([], [{ ...shared, alsoIn: ['portal'] }]);
    const specs = check('also in portal');
    for (const path of ['sources/portal', 'tags/china', 'tags/tech']) {
      expect(specs.find((spec) => spec.path === path)!.all.map((item) => item.id), path).toEqual([shared.id]);
    }
    // Replaced twice in one cycle, one of them moving it to the top.
    store.apply([], [{ ...store.items()[2]!, title: plain('first edit') }]);
    store.apply([], [{ ...store.items()[2]!, title: plain('second edit'), published: '2026-01-01T00:00:00.000Z' }]);
    check('replaced twice');
    // Added, then pruned before any render.
    store.apply([{ ...makeItem(rand, 100), sourceId: 'wire', alsoIn: ['portal'] }], []);
    store.prune(retentionPolicy({ maxItemsPerSource: 10 }, setup.sources, false), new Date('2025-02-01T00:00:00Z'));
    check('added then pruned');
    // Stored again as the very object it is: nothing changed, and it stays in every feed it was in.
    store.apply([], [store.items()[0]!]);
    check('same object stored again');
    expect(index.rebuilds).toBe(rebuilds);
  });
});
