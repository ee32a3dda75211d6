import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Item } from '../model.ts';
import { EMPTY_FEED_DATE } from './feed-document.ts';
import { feedPage } from './feed-pages.ts';
import type { FeedQuery } from './feed-query.ts';
import { newestUpdated } from './feed-index.ts';
import type { FeedSpec } from './feed-specs.ts';
import { FeedViews, type FeedViewsOptions } from './feed-views.ts';
import { htmlPage, type HtmlStamp } from './html-pages.ts';
import { renderKept, type FeedDocument, type FeedFormat, type KeptFeed, type RenderContext, type RenderedFeed } from './render-feed.ts';

interface Entry {
  /** of what the plain feed shows: re-rendered when it changes */
  signature: string;
  /**
   * of everything in the feed: pages and filtered views rendered from an older generation are stale. Signed
   * when a page or view first asks for it, not at every update: it covers every stored item of the feed, and
   * signing all of them for all feeds made each render cost in proportion to the whole store.
   */
  generation?: string;
  spec: FeedSpec;
  formats: Record<FeedFormat, RenderedFeed>;
}

/** A feed's HTML page as a previous run kept it: the feed's signature then, and the page's stamp. */
export interface HtmlSeed {
  signature: string;
  stamp: HtmlStamp;
}

/** rendered pages and filtered views kept, at most, and their bytes */
export type FeedSetOptions = FeedViewsOptions;

/**
 * The rendered output feeds, kept ready for serving. update() re-renders only the feeds whose content
 * signature changed, and swaps each one in whole, so a request never sees half a render. Older pages and
 * filtered views are rendered on first request and kept in a bounded LRU keyed by feed, format, canonical
 * query and the feed's generation, so a repeated request never renders again while nothing changed.
 */
export class FeedSet {
  #entries = new Map<string, Entry>();
  #ctx: RenderContext | undefined;
  #sign: Signer | undefined;
  #pageSize = 50;
  #contextKey: string | undefined;
  #seeds: ((path: string) => HtmlSeed | undefined) | undefined;
  readonly #views: FeedViews;

  constructor(options: FeedSetOptions = {}) {
    this.#views = new FeedViews(options);
  }

  get(path: string, format: FeedFormat): RenderedFeed | undefined {
    return this.#entries.get(path)?.formats[format];
  }

  specs(): FeedSpec[] {
    return [...this.#entries.values()].map((e) => e.spec);
  }

  /**
   * A page or filtered view of a feed; undefined for an unknown feed. Throws FeedPageNotFoundError past the
   * last page; a filtered view not rendered yet comes as a promise, rejected with FilterBudgetError when the
   * filter runs out of time (see FeedViews.view).
   */
  view(path: string, format: FeedFormat, query: FeedQuery): RenderedFeed | Promise<RenderedFeed> | undefined {
    const entry = this.#entries.get(path);
    if (!entry || !this.#ctx || !this.#sign) return undefined;
    entry.generation ??= this.#sign(entry.spec, entry.spec.all, '');
    return this.#views.view({ spec: entry.spec, generation: entry.generation, pageSize: this.#pageSize }, format, query, this.#ctx);
  }

  /** pages and views rendered since start (cache misses): a repeated request does not add to it */
  get viewsRendered(): number {
    return this.#views.rendered;
  }

  /**
   * Renders what changed; returns the paths re-rendered. `pageSize` is the configured limit. With a `contextKey`
   * (whatever the context's bytes depend on: site settings, sources' titles and tags, rules) equal to the last
   * update's, a spec that is the very object the feed was last rendered from is kept without a look: the caller
   * makes a new spec for every feed whose items or title changed (FeedIndex). Otherwise every feed is signed and
   * only those whose signature changed are rendered again.
   */
  update(specs: FeedSpec[], ctx: RenderContext, pageSize: number, contextKey?: string): string[] {
    const plan = this.#plan(specs, ctx, pageSize, contextKey);
    for (const job of plan.jobs) plan.next.set(job.path, { ...job.entry, formats: this.#kept(job, ctx, plan.now, renderKept(job.doc, ctx)) });
    return this.#swap(plan, ctx, pageSize, contextKey);
  }

  /**
   * update(), with each changed feed rendered by `render` (which yields to the event loop and compresses off it:
   * site-render.ts), so that rendering every feed after a big cycle never holds the thread serving them. The new
   * feeds are swapped in together at the end: until then requests get the previous render, whole.
   */
  async updateAsync(specs: FeedSpec[], ctx: RenderContext, pageSize: number, contextKey: string | undefined,
    render: (docs: readonly FeedDocument[], ctx: RenderContext) => Promise<KeptFeed[]>): Promise<string[]> {
    const plan = await this.#planYielding(specs, ctx, pageSize, contextKey);
    const rendered = await render(plan.jobs.map((job) => job.doc), ctx);
    plan.jobs.forEach((job, i) => plan.next.set(job.path, { ...job.entry, formats: this.#kept(job, ctx, plan.now, rendered[i]!) }));
    return this.#swap(plan, ctx, pageSize, contextKey);
  }

  /** Which feeds to keep as they are and which to render again (in the order of `specs`). */
  #plan(specs: FeedSpec[], ctx: RenderContext, pageSize: number, contextKey?: string): Plan {
    const plan = this.#newPlan(ctx, pageSize, contextKey);
    for (const spec of specs) this.#planFeed(plan, spec, pageSize);
    return plan;
  }

  /** #plan(), yielding to the event loop every few milliseconds: signing 1,000 changed feeds takes ~100 ms. */
  async #planYielding(specs: FeedSpec[], ctx: RenderContext, pageSize: number, contextKey?: string): Promise<Plan> {
    const plan = this.#newPlan(ctx, pageSize, contextKey);
    let sliceStart = performance.now();
    for (const spec of specs) {
      if (performance.now() - sliceStart >= PLAN_SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
      this.#planFeed(plan, spec, pageSize);
    }
    return plan;
  }

  #newPlan(ctx: RenderContext, pageSize: number, contextKey?: string): Plan {
    const sameContext = contextKey !== undefined && contextKey === this.#contextKey && pageSize === this.#pageSize;
    return { next: new Map(), jobs: [], sig: signer(ctx), sameContext, now: ctx.now ?? Date.now() };
  }

  #planFeed(plan: Plan, spec: FeedSpec, pageSize: number): void {
    const { next, jobs, sig } = plan;
    const old = this.#entries.get(spec.path);
    if (plan.sameContext && old && old.spec === spec) {
      next.set(spec.path, old);
      return;
    }
    const doc = feedPage(spec, spec.all, { page: 1 }, pageSize, newestUpdated(spec.all) ?? EMPTY_FEED_DATE, spec.count);
    const signature = sig(doc.spec, doc.items, `${JSON.stringify(doc.paging ?? null)}\0${doc.emptyUpdated}`);
    if (old && old.signature === signature) {
      next.set(spec.path, { signature, spec, formats: old.formats });
      return;
    }
    // A placeholder keeps the order of `specs` in the map; the job fills it in.
    next.set(spec.path, undefined as unknown as Entry);
    jobs.push({ path: spec.path, doc, entry: { signature, spec } });
  }

  /**
   * The HTML pages of the feeds rendered from now on start from what a previous run kept (rendered-docs.ts): a feed
   * whose signature is the one it had then gets its page with the "now" of then, so the same bytes and ETag.
   */
  seedHtml(seeds: ((path: string) => HtmlSeed | undefined) | undefined): void {
    this.#seeds = seeds;
  }

  /** A feed as served: its syndication formats as rendered, its HTML page made on request (html-pages.ts). */
  #kept(job: Plan['jobs'][number], ctx: RenderContext, now: number, kept: KeptFeed): Record<FeedFormat, RenderedFeed> {
    const { signature } = job.entry;
    const seed = this.#seeds?.(job.path);
    const html = htmlPage(job.doc, ctx, { now, signature, ...(seed?.signature === signature ? { seed: seed.stamp } : {}) });
    return { atom: kept.atom, rss: kept.rss, json: kept.json, html };
  }

  #swap(plan: Plan, ctx: RenderContext, pageSize: number, contextKey?: string): string[] {
    this.#entries = plan.next;
    this.#ctx = ctx;
    this.#sign = plan.sig;
    this.#pageSize = pageSize;
    this.#contextKey = contextKey;
    return plan.jobs.map((job) => job.path);
  }
}

interface Plan {
  next: Map<string, Entry>;
  jobs: { path: string; doc: FeedDocument; entry: Omit<Entry, 'formats'> }[];
  sig: Signer;
  sameContext: boolean;
  /** the "now" of the HTML pages' relative times */
  now: number;
}

/** Longest run of planning between two turns of the event loop (updateAsync). */
const PLAN_SLICE_MS = 8;

export type Signer = (spec: FeedSpec, items: readonly Item[], extra: string) => string;

/**
 * Signs what a feed's bytes depend on: the site-wide settings, the feed's title, and per item its fields and
 * the title, links and tags of the sources it names, but not other sources', so that a source whose own
 * title or tags change re-renders only the feeds that carry it.
 */
export function signer(ctx: RenderContext): Signer {
  const site = JSON.stringify([ctx.baseUrl, ctx.hubs, ctx.stylesheet ?? null]);
  const sources = new Map<string, string>();
  const sourceSig = (id: string) => {
    let text = sources.get(id);
    if (text === undefined) {
      text = JSON.stringify([id, ctx.sources.get(id) ?? null, ctx.tagsOf.get(id) ?? null]);
      sources.set(id, text);
    }
    return text;
  };
  return (spec, items, extra) => {
    const hash = createHash('sha1').update(site).update('\0').update(extra).update('\0').update(spec.title).update('\0').update(spec.description);
    if (spec.kind === 'source') hash.update(sourceSig(spec.name));
    for (const item of items) {
      // An item without a content hash (a failing source's outage item, whose error and count change while its
      // id and date stay) is signed by its content, so it is served as it is now.
      hash.update(`\0${item.id}|${item.hash || JSON.stringify(item)}|${item.updated}|${item.language ?? ''}|${sourceSig(item.sourceId)}`);
      for (const id of item.alsoIn) hash.update(`|${sourceSig(id)}`);
      // Rule tags are categories of the entry: a rule change re-renders exactly the feeds holding re-tagged items.
      if (ctx.ruleTags) hash.update(`|${ctx.ruleTags(item).join(',')}`);
    }
    return hash.digest('base64');
  };
}
