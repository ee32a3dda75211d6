import type { TagInfo } from '../config/types.ts';
import type { Item } from '../model.ts';
import type { RuleTags } from '../rules/tagger.ts';
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
  /** tag rules: each rule's tag gets its feeds even before an item matches */
  rules?: readonly { tag: string }[];
  /** configured titles and descriptions of tag feeds */
  tags?: Record<string, TagInfo>;
}

/** Every output feed of the site: latest, one per tag, one per source. Pure. */
export function buildFeedSpecs(items: readonly Item[], site: SiteInfo, sourceTitles: Record<string, string>, ruleTags?: RuleTags): FeedSpec[] {
  const sorted = [...items].sort(newestFirst);
  const tagsOf = sourceTagMap(site);
  const tagsOfItem = memoizedTags(tagsOf, ruleTags);
  const specs: FeedSpec[] = [{
    path: 'latest', kind: 'latest', name: 'latest', title: site.title,
    description: site.description ?? `Latest news from ${site.sources.length} sources`,
    items: sorted.slice(0, site.limit),
  }];
  for (const tag of allTags(site)) {
    const info = site.tags?.[tag];
    specs.push({
      path: `tags/${tag}`, kind: 'tag', name: tag,
      title: info?.title ?? `${site.title} · ${tag}`, description: info?.description ?? `Latest items tagged ${tag}`,
      items: take(sorted, site.limit, (item) => tagsOfItem(item).includes(tag)),
    });
  }
  for (const source of site.sources) {
    const title = sourceTitles[source.id] ?? source.title ?? source.id;
    specs.push({
      path: `sources/${source.id}`, kind: 'source', name: source.id, title: `${site.title} · ${title}`,
      description: `Items of ${title}`,
      items: take(sorted, site.limit, (item) => item.sourceId === source.id || item.alsoIn.includes(source.id)),
    });
  }
  return specs;
}

/**
 * Tags of an item: those of its source and of every source that also carried it, in config order, then
 * those tag rules give it.
 */
export function itemTags(item: Item, tagsOf: Map<string, string[]>, ruleTags?: RuleTags): string[] {
  const own = tagsOf.get(item.sourceId) ?? [];
  const ruled = ruleTags?.(item) ?? [];
  if (item.alsoIn.length === 0 && ruled.length === 0) return own;
  return [...new Set([...own, ...item.alsoIn.flatMap((id) => tagsOf.get(id) ?? []), ...ruled])];
}

/** itemTags once per item for one build, not once per item per tag feed. */
function memoizedTags(tagsOf: Map<string, string[]>, ruleTags: RuleTags | undefined): (item: Item) => string[] {
  const memo = new Map<Item, string[]>();
  return (item) => {
    let tags = memo.get(item);
    if (!tags) memo.set(item, (tags = itemTags(item, tagsOf, ruleTags)));
    return tags;
  };
}

export function sourceTagMap(site: Pick<SiteInfo, 'sources'>): Map<string, string[]> {
  return new Map(site.sources.map((s) => [s.id, s.tags]));
}

export function allTags(site: Pick<SiteInfo, 'sources' | 'rules'>): string[] {
  return [...new Set([...site.sources.flatMap((s) => s.tags), ...(site.rules ?? []).map((r) => r.tag)])];
}

function take(sorted: Item[], limit: number, keep: (item: Item) => boolean): Item[] {
  const out: Item[] = [];
  for (const item of sorted) {
    if (out.length >= limit) break;
    if (keep(item)) out.push(item);
  }
  return out;
}
