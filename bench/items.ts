// Stored items and sources made up for the benchmarks that start from a full store (serve, render, store)
// instead of fetching it: shaped like what the ingest benchmark's fixture feeds become after normalize
// (~980 bytes of JSON each), optionally with full content.
import { stringify } from 'yaml';
import type { Item } from '../src/model.ts';
import { toPlainText } from '../src/normalize/plain-text.ts';

/** 50 tags, as the render benchmark asks for; source n carries tag n % 50 unless it says otherwise. */
export const TAGS = Array.from({ length: 50 }, (_, i) => `tag-${String(i).padStart(2, '0')}`);

export interface BenchSource {
  id: string;
  tags: string[];
}

const NEWEST = Date.UTC(2025, 2, 9, 12, 0, 0);

export interface ItemOptions {
  /** characters of HTML content besides the summary (0: none, as in the fixture feeds) */
  contentChars?: number;
  /** minutes before 2025-03-09 12:00 UTC the item was published */
  ageMinutes: number;
  /** a different hash: the same item, changed */
  revision?: number;
}

/** Item n of a source, as normalize would store it. */
export function benchItem(sourceId: string, n: number, options: ItemOptions): Item {
  const published = new Date(NEWEST - options.ageMinutes * 60_000).toISOString();
  const link = `https://${sourceId}.example.org/news/2025/03/${n}.html`;
  const revision = options.revision ?? 0;
  const title = `${sourceId} story ${n}: markets, weather & the city council${revision ? ` (update ${revision})` : ''}`;
  return {
    id: `tag:bench.example.org,2025:${sourceId}/${n}`,
    sourceId,
    key: `g:${sourceId}-story-${n}`,
    title: toPlainText(title, 'plain'),
    link: `${link}?utm_source=rss`,
    canonicalLink: link,
    fingerprint: title.toLowerCase().replace(/[^a-z0-9]/g, ''),
    published,
    updated: published,
    firstSeen: published,
    summary: `<p>Story ${n} of ${sourceId}. The council met on Sunday to discuss the <a href="https://${sourceId}.example.org/budget">budget</a>,\n`
      + 'the weather was mild and markets closed higher.</p><p><img src="https://example.org/img/1.jpg" alt="photo" /> More text follows here,\n'
      + 'as news items usually carry a paragraph or two of summary before the link to the full article.</p>',
    ...(options.contentChars ? { content: articleHtml(n, options.contentChars) } : {}),
    categories: [toPlainText('news', 'plain'), toPlainText(`topic-${n % 5}`, 'plain')],
    enclosures: [],
    alsoIn: [],
    hash: `${sourceId}-${n}-${revision}`,
  };
}

/**
 * `perSource` items for each source, newest first within a source and interleaved across sources (item i of
 * every source is older than item i-1 of every source), as a store filled by many fetch cycles looks.
 */
export function benchItems(sources: BenchSource[], perSource: number, options: Omit<ItemOptions, 'ageMinutes'> = {}): Item[] {
  const items: Item[] = [];
  for (let i = 0; i < perSource; i++) {
    sources.forEach((source, s) => items.push(benchItem(source.id, i, { ...options, ageMinutes: 1 + i * sources.length + s })));
  }
  return items;
}

function articleHtml(n: number, chars: number): string {
  const paragraph = `<p>Paragraph of article ${n}: the city council approved the budget after a long debate about `
    + 'schools, roads and the new tram line; the opposition asked for more money for libraries and parks.</p>\n';
  return paragraph.repeat(Math.ceil(chars / paragraph.length)).slice(0, chars).replace(/<[^>]*$/, '');
}

/**
 * The config file of a benchmark site: these sources, all on one (never fetched) host unless urlOf says, keeping
 * up to maxItemsPerSource items each (500 unless a bigger store needs more, which would otherwise be pruned).
 */
export function benchConfigYaml(sources: BenchSource[], urlOf = (id: string) => `http://127.0.0.1:9/${id}.xml`, maxItemsPerSource = 500): string {
  return stringify({
    title: 'Bench',
    baseUrl: 'http://127.0.0.1:8080',
    retention: { maxItemsPerSource },
    sources: sources.map((s) => ({ id: s.id, url: urlOf(s.id), tags: s.tags })),
  });
}

/** `count` sources, source n tagged with one of the 50 tags. */
export function benchSources(count: number, tags = TAGS): BenchSource[] {
  return Array.from({ length: count }, (_, n) => ({ id: `source-${n}`, tags: [tags[n % tags.length]!] }));
}
