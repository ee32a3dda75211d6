import type { Item, PlainText } from '../model.ts';
import type { RuleTags } from '../rules/tagger.ts';
import { runAtOnce, type Steps } from '../store/slices.ts';
import type { ItemChange } from '../store/store.ts';
import {
  allTags, feedHeads, feedListsSteps, itemTags, listOf, sourceTagMap, withExtra, type FeedHead, type FeedLists, type FeedSpec, type SiteInfo,
} from './feed-specs.ts';
import { editedSteps, FEW } from './sorted-lists.ts';

/** What the index reads from the store: its items, and what changed since a revision when it can tell. */
export interface IndexedItems {
  readonly revision: number;
  items(): readonly Item[];
  changesSince(revision: number): readonly ItemChange[] | null;
}

export interface FeedIndexInput {
  site: SiteInfo;
  sourceTitles: Record<string, PlainText>;
  ruleTags?: RuleTags;
  /** items shown in one source's feed and nowhere else (a failing source's error item) */
  sourceOnly?: ReadonlyMap<string, Item>;
}

/**
 * The newest `updated` of each list the index made (undefined for an empty list; absent until known). Its lists
 * are never changed once made, so the value holds for the list's life, and a list made from another by a few
 * edits gets it from the old one's without a walk over every item (latest holds them all).
 */
const newestOfList = new WeakMap<readonly Item[], string | undefined>();
const indexLists = new WeakSet<readonly Item[]>();

/** The newest `updated` of the items, looked up once per list of the index, else found by a walk. */
export function newestUpdated(items: readonly Item[]): string | undefined {
  return runAtOnce(newestUpdatedSteps(items));
}

/**
 * newestUpdated, pausing every 4,096 items of its walk: the latest list holds every stored item, and its walk after a
 * start with 100k stored held the serving thread 63 ms in one piece (npm run bench -- serve, a CPU profile).
 */
export function* newestUpdatedSteps(items: readonly Item[]): Steps<string | undefined> {
  if (newestOfList.has(items)) return newestOfList.get(items);
  let newest: string | undefined;
  for (let i = 0; i < items.length; i++) {
    if (i % 4096 === 4095) yield;
    const updated = items[i]!.updated;
    if (newest === undefined || updated > newest) newest = updated;
  }
  if (indexLists.has(items)) newestOfList.set(items, newest);
  return newest;
}

/**
 * Every feed's items, newest first, kept from one render to the next: what buildFeedSpecs gives, without
 * sorting every stored item at every render. The lists follow the store's changes (an added item goes into the
 * lists of its feeds, a replaced or dropped one out of them) and are sorted again from all items only when the
 * store cannot tell what changed (first render, rollback, too many changes) or the config moved items between
 * feeds (sources, their tags, rules). A list that changes is a new array: the specs, pages and views rendered
 * from the old one keep it as it was.
 */
export class FeedIndex {
  #lists: FeedLists | undefined;
  #revision = 0;
  /** the sources, their tags and the rule tags the lists were sorted by */
  #shape = '';
  #ruleTags: RuleTags | undefined;
  #tagsOf = new Map<string, string[]>();
  #specs = new Map<string, FeedSpec>();
  /** each source feed's error item, as JSON, to tell when it changed */
  #extras = new Map<string, string>();
  #limit = 0;
  /** full sorts since this index was made (tests check that following the store needs none) */
  rebuilds = 0;

  /**
   * Every feed of the site, as buildFeedSpecs builds it from the store's items. A feed whose items, title and
   * error item did not change keeps its spec object, so FeedSet can tell it needs no look.
   */
  specs(store: IndexedItems, input: FeedIndexInput): FeedSpec[] {
    return runAtOnce(this.specSteps(store, input));
  }

  /**
   * specs() as Steps (store/slices.ts), for the service to follow a big cycle's changes between requests: the
   * store must not change until they end (cycles and config changes run one at a time, and render after them).
   */
  *specSteps(store: IndexedItems, input: FeedIndexInput): Steps<FeedSpec[]> {
    const { site, sourceTitles, sourceOnly = new Map<string, Item>() } = input;
    const touched = yield* this.#syncSteps(store, site, input.ruleTags);
    const lists = this.#lists!;
    const sameLimit = site.limit === this.#limit;
    this.#limit = site.limit;
    const specs: FeedSpec[] = [];
    for (const head of feedHeads(site, sourceTitles)) {
      specs.push(this.#specOf(head, lists, site.limit, sameLimit, touched, sourceOnly));
      if (specs.length % 64 === 0) yield;
    }
    this.#specs = new Map(specs.map((spec) => [spec.path, spec]));
    return specs;
  }

  #specOf(head: FeedHead, lists: FeedLists, limit: number, sameLimit: boolean, touched: (path: string) => boolean,
    sourceOnly: ReadonlyMap<string, Item>): FeedSpec {
    const extra = head.kind === 'source' ? sourceOnly.get(head.name) : undefined;
    const extraText = extra ? JSON.stringify(extra) : '';
    const old = this.#specs.get(head.path);
    if (old && sameLimit && !touched(head.path) && old.kind === head.kind && old.title === head.title
      && old.description === head.description && (this.#extras.get(head.path) ?? '') === extraText) return old;
    if (extraText) this.#extras.set(head.path, extraText);
    else this.#extras.delete(head.path);
    const all = head.kind === 'source' ? withExtra(listOf(lists, head), extra) : listOf(lists, head);
    return { ...head, items: all.slice(0, limit), all };
  }

  /** Every stored item, newest first: the latest feed's list (no copy; never changed in place). */
  latest(): readonly Item[] {
    return this.#lists?.latest ?? [];
  }

  /** Brings the lists up to date; returns which lists are new arrays. */
  *#syncSteps(store: IndexedItems, site: SiteInfo, ruleTags: RuleTags | undefined): Steps<(path: string) => boolean> {
    const shape = JSON.stringify([site.sources.map((s) => [s.id, s.tags]), allTags(site)]);
    const sameShape = this.#lists !== undefined && shape === this.#shape && ruleTags === this.#ruleTags;
    const told = sameShape ? store.changesSince(this.#revision) : null;
    // Past a quarter of the items (a store filled at once), one sort of them all costs less than following.
    const changes = told && told.length <= store.items().length / 4 + FEW ? told : null;
    this.#revision = store.revision;
    if (!changes) {
      this.#shape = shape;
      this.#ruleTags = ruleTags;
      this.#tagsOf = sourceTagMap(site);
      this.#lists = yield* feedListsSteps(store.items(), site, ruleTags);
      indexLists.add(this.#lists.latest);
      for (const list of this.#lists.byTag.values()) indexLists.add(list);
      for (const list of this.#lists.bySource.values()) indexLists.add(list);
      this.rebuilds++;
      return () => true;
    }
    // Per list, the items to take out of the old list and the items to put in, netted in the order the changes
    // came: an item added then dropped is neither, and one dropped then stored again (the very same object, as
    // a replacement by itself) is taken out and put back, so it stays.
    const edits = new Map<string, { adds: Map<Item, number>; removes: Set<Item> }>();
    const edit = (path: string) => {
      let found = edits.get(path);
      if (!found) edits.set(path, (found = { adds: new Map(), removes: new Set() }));
      return found;
    };
    for (let n = 0; n < changes.length; n++) {
      const { before, after } = changes[n]!;
      if (n % 256 === 255) yield;
      if (before) {
        for (const path of this.#pathsOf(before)) {
          const { adds, removes } = edit(path);
          const pending = adds.get(before) ?? 0;
          if (pending > 1) adds.set(before, pending - 1);
          else if (pending === 1) adds.delete(before);
          else removes.add(before);
        }
      }
      if (after) {
        for (const path of this.#pathsOf(after)) {
          const { adds } = edit(path);
          adds.set(after, (adds.get(after) ?? 0) + 1);
        }
      }
    }
    for (const [path, { adds: counted, removes }] of edits) {
      const adds = [...counted].flatMap(([item, count]) => (count === 1 ? [item] : Array<Item>(count).fill(item)));
      const old = this.#listAt(path);
      const list = yield* editedSteps(old, adds, removes);
      indexLists.add(list);
      const newest = newestAfter(old, adds, removes);
      if (newest !== null) newestOfList.set(list, newest);
      this.#setList(path, list);
      yield;
    }
    return (path) => edits.has(path);
  }

  /** The lists an item is in, once per time buildFeedSpecs would push it there. */
  #pathsOf(item: Item): string[] {
    const lists = this.#lists!;
    const paths = ['latest'];
    for (const tag of itemTags(item, this.#tagsOf, this.#ruleTags)) if (lists.byTag.has(tag)) paths.push(`tags/${tag}`);
    if (lists.bySource.has(item.sourceId)) paths.push(`sources/${item.sourceId}`);
    for (const id of item.alsoIn) if (id !== item.sourceId && lists.bySource.has(id)) paths.push(`sources/${id}`);
    return paths;
  }

  #listAt(path: string): Item[] {
    const lists = this.#lists!;
    if (path === 'latest') return lists.latest;
    const slash = path.indexOf('/');
    return (path.startsWith('tags/') ? lists.byTag : lists.bySource).get(path.slice(slash + 1))!;
  }

  #setList(path: string, list: Item[]): void {
    const lists = this.#lists!;
    if (path === 'latest') lists.latest = list;
    else (path.startsWith('tags/') ? lists.byTag : lists.bySource).set(path.slice(path.indexOf('/') + 1), list);
  }
}

/** The newest `updated` of a list after these edits, when the old list's tells it; null when unknown. */
function newestAfter(old: readonly Item[], adds: readonly Item[], removes: ReadonlySet<Item>): string | undefined | null {
  if (!newestOfList.has(old)) return null;
  const before = newestOfList.get(old);
  // A dropped item that held the newest date may leave an older one newest: only a walk can tell.
  for (const item of removes) if (item.updated === before) return null;
  let newest = before;
  for (const item of adds) if (newest === undefined || item.updated > newest) newest = item.updated;
  return newest;
}
