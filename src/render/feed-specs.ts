import type { Item } from '../model.ts';
import { newestFirst } from '../store/store.ts';

/** One output feed before rendering: what it is called and which items it holds, newest first. */
export interface FeedSpec {
  /** path under /feeds/ without extension: latest, tags/<tag>, sources/<id> */
  path: string;
  kind: 'latest' | 'tag' | 'source';
  /** the tag or source id, for titles */
  name: string;
  title: string;
  description: string;
  items: Item[];
}

export interface SiteInfo {
  title: string;
  description?: string;
  baseUrl: string;
  limit: number;
  sources: { id: string; url: string; title?: string; tags: string[]; enabled: boolean }[];
}

/**
 * Every output feed of the site: latest, one per tag, one per source. Pure. `sourceOnly` holds items shown in
 * one source's feed and nowhere else (a failing source's error item).
 */
export function buildFeedSpecs(items: readonly Item[], site: SiteInfo, sourceTitles: Record<string, string>, sourceOnly: ReadonlyMap<string, Item> = new Map()): FeedSpec[] {
  const sorted = [...items].sort(newestFirst);
  const tagsOf = sourceTagMap(site);
  // One pass over the sorted items fills every feed (newest first, up to the limit): with a thousand sources,
  // scanning all items once per feed costs seconds per render.
  const byTag = new Map<string, Item[]>(allTags(site).map((tag) => [tag, []]));
  const bySource = new Map<string, Item[]>(site.sources.map((s) => [s.id, []]));
  const add = (list: Item[] | undefined, item: Item) => {
    if (list && list.length < site.limit) list.push(item);
  };
  for (const item of sorted) {
    for (const tag of itemTags(item, tagsOf)) add(byTag.get(tag), item);
    add(bySource.get(item.sourceId), item);
    for (const id of item.alsoIn) if (id !== item.sourceId) add(bySource.get(id), item);
  }
  const specs: FeedSpec[] = [{
    path: 'latest', kind: 'latest', name: 'latest', title: site.title,
    description: site.description ?? `Latest news from ${site.sources.length} sources`,
    items: sorted.slice(0, site.limit),
  }];
  for (const [tag, tagged] of byTag) {
    specs.push({
      path: `tags/${tag}`, kind: 'tag', name: tag, title: `${site.title} · ${tag}`, description: `Latest items tagged ${tag}`,
      items: tagged,
    });
  }
  for (const source of site.sources) {
    const title = sourceTitles[source.id] ?? source.title ?? source.id;
    specs.push({
      path: `sources/${source.id}`, kind: 'source', name: source.id, title: `${site.title} · ${title}`,
      description: `Items of ${title}`,
      items: withExtra(bySource.get(source.id)!, sourceOnly.get(source.id), site.limit),
    });
  }
  return specs;
}

function withExtra(items: Item[], extra: Item | undefined, limit: number): Item[] {
  return extra ? [extra, ...items].sort(newestFirst).slice(0, limit) : items;
}

/** Tags of an item: those of its source and of every source that also carried it, in config order. */
export function itemTags(item: Item, tagsOf: Map<string, string[]>): string[] {
  const own = tagsOf.get(item.sourceId) ?? [];
  if (item.alsoIn.length === 0) return own;
  return [...new Set([...own, ...item.alsoIn.flatMap((id) => tagsOf.get(id) ?? [])])];
}

export function sourceTagMap(site: Pick<SiteInfo, 'sources'>): Map<string, string[]> {
  return new Map(site.sources.map((s) => [s.id, s.tags]));
}

export function allTags(site: Pick<SiteInfo, 'sources'>): string[] {
  return [...new Set(site.sources.flatMap((s) => s.tags))];
}
