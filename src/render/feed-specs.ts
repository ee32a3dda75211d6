import type { TagInfo } from '../config/types.ts';
import type { Item, PlainText } from '../model.ts';
import { toPlainText } from '../normalize/plain-text.ts';
import type { RuleTags } from '../rules/tagger.ts';
import { runAtOnce, type Steps } from '../store/slices.ts';
import { newestFirst } from '../store/store.ts';
import { messages } from './messages.ts';
import { sortedSteps } from './sorted-lists.ts';

/** One output feed before rendering: what it is called and which items it holds, newest first. */
export interface FeedSpec {
  /** path under /feeds/ without extension: latest, tags/<tag>, sources/<id> */
  path: string;
  kind: 'latest' | 'tag' | 'source';
  /** the tag or source id, for titles */
  name: string;
  title: PlainText;
  description: PlainText;
  /** the newest `limit` items: the feed itself (page 1) */
  items: Item[];
  /** every stored item of the feed, newest first: older pages and filtered views are cut from it */
  all: Item[];
  /**
   * how many items the feed has, when `all` holds only its first page (the PostgreSQL store keeps no more in
   * memory): page 1's links to the last page count them all
   */
  count?: number;
}

export interface SiteInfo {
  title: PlainText;
  description?: PlainText;
  baseUrl: string;
  limit: number;
  sources: { id: string; url: string; title?: PlainText; tags: string[]; enabled: boolean }[];
  /** tag rules: each rule's tag gets its feeds even before an item matches */
  rules?: readonly { tag: string }[];
  /** `language:` of the config: the words of the descriptions no config gives */
  language?: string;
  /** configured titles and descriptions of tag feeds */
  tags?: Record<string, TagInfo>;
}

/** What names a feed, apart from its items. */
export type FeedHead = Omit<FeedSpec, 'items' | 'all'>;

/** Every feed's items, newest first, without error items: latest, by tag, by configured source. */
export interface FeedLists {
  latest: Item[];
  byTag: Map<string, Item[]>;
  bySource: Map<string, Item[]>;
}

/**
 * Every output feed of the site: latest, one per tag, one per source. Pure. `sourceOnly` holds items shown in
 * one source's feed and nowhere else (a failing source's error item).
 */
export function buildFeedSpecs(
  items: readonly Item[], site: SiteInfo, sourceTitles: Record<string, PlainText>, ruleTags?: RuleTags,
  sourceOnly: ReadonlyMap<string, Item> = new Map(),
): FeedSpec[] {
  const lists = feedLists(items, site, ruleTags);
  return feedHeads(site, sourceTitles).map((head) => {
    const all = head.kind === 'source' ? withExtra(lists.bySource.get(head.name)!, sourceOnly.get(head.name)) : listOf(lists, head);
    return { ...head, items: all.slice(0, site.limit), all };
  });
}

/** Sorts the items into every feed's list. */
export function feedLists(items: readonly Item[], site: Pick<SiteInfo, 'sources' | 'rules'>, ruleTags?: RuleTags): FeedLists {
  return runAtOnce(feedListsSteps(items, site, ruleTags));
}

/**
 * feedLists() as Steps (store/slices.ts): the service sorts every stored item again after a config change or a
 * cycle that changed a quarter of them, which held the serving thread ~400 ms at 120k items in one go.
 */
export function* feedListsSteps(items: readonly Item[], site: Pick<SiteInfo, 'sources' | 'rules'>, ruleTags?: RuleTags): Steps<FeedLists> {
  const latest = yield* sortedSteps(items);
  const tagsOf = sourceTagMap(site);
  // One pass over the sorted items fills every feed (all of its items, for paging): with a thousand sources,
  // scanning all items once per feed costs seconds per render.
  const byTag = new Map<string, Item[]>(allTags(site).map((tag) => [tag, []]));
  const bySource = new Map<string, Item[]>(site.sources.map((s) => [s.id, []]));
  for (let i = 0; i < latest.length; i++) {
    const item = latest[i]!;
    for (const tag of itemTags(item, tagsOf, ruleTags)) byTag.get(tag)?.push(item);
    bySource.get(item.sourceId)?.push(item);
    for (const id of item.alsoIn) if (id !== item.sourceId) bySource.get(id)?.push(item);
    if (i % 1024 === 1023) yield;
  }
  return { latest, byTag, bySource };
}

/** The list of a feed (a source's without its error item). */
export function listOf(lists: FeedLists, head: Pick<FeedHead, 'kind' | 'name'>): Item[] {
  if (head.kind === 'latest') return lists.latest;
  return (head.kind === 'tag' ? lists.byTag : lists.bySource).get(head.name)!;
}

/** Every feed of the site in order (latest, tags, sources) with its title and description. */
export function feedHeads(site: SiteInfo, sourceTitles: Record<string, PlainText>): FeedHead[] {
  // Joins of plain texts are plain text; passing them through the gate again keeps the type honest.
  const text = (value: string) => toPlainText(value, 'plain');
  const words = messages(site.language);
  const heads: FeedHead[] = [{
    path: 'latest', kind: 'latest', name: 'latest', title: site.title,
    description: site.description ?? text(words.latestDescription(site.sources.length)),
  }];
  for (const tag of allTags(site)) {
    const info = site.tags?.[tag];
    heads.push({
      path: `tags/${tag}`, kind: 'tag', name: tag,
      title: info?.title ?? text(`${site.title} · ${tag}`), description: info?.description ?? text(words.tagDescription(tag)),
    });
  }
  for (const source of site.sources) {
    const title = sourceTitles[source.id] ?? source.title ?? source.id;
    heads.push({
      path: `sources/${source.id}`, kind: 'source', name: source.id, title: text(`${site.title} · ${title}`),
      description: text(words.sourceDescription(title)),
    });
  }
  return heads;
}

/** A source's list with its error item in place. */
export function withExtra(items: Item[], extra: Item | undefined): Item[] {
  return extra ? [extra, ...items].sort(newestFirst) : items;
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

export function sourceTagMap(site: Pick<SiteInfo, 'sources'>): Map<string, string[]> {
  return new Map(site.sources.map((s) => [s.id, s.tags]));
}

export function allTags(site: Pick<SiteInfo, 'sources' | 'rules'>): string[] {
  return [...new Set([...site.sources.flatMap((s) => s.tags), ...(site.rules ?? []).map((r) => r.tag)])];
}
