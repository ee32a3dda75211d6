// What every feed of the site is rendered with, apart from its items: the site's heads, the render context, the
// tags of an item and the failing sources' error items. The embedded store's renderer (site-render.ts) and the
// PostgreSQL store's (shared-render.ts) both take it from here, so the same items give the same bytes on either.
import type { Config } from './config/types.ts';
import type { Item, PlainText, SourceState } from './model.ts';
import { toPlainText } from './normalize/plain-text.ts';
import { errorItemsOf } from './render/error-items.ts';
import { itemTags, sourceTagMap, type SiteInfo } from './render/feed-specs.ts';
import type { RenderContext, SourceInfo } from './render/render-feed.ts';
import type { RuleTagger, RuleTagging } from './rules/tagger.ts';
import { FEED_STYLESHEET_PATH } from './serve/feed-style.ts';

export interface SiteContext {
  site: SiteInfo;
  /** each source's title as the feeds show it */
  titles: Record<string, PlainText>;
  ctx: RenderContext;
  /**
   * everything of the context a feed's bytes depend on, apart from its items: equal keys let FeedSet keep the
   * feeds whose specs did not change without signing them
   */
  contextKey: string;
  /** the sources as rendered and their tags, as text: part of what tells a render that nothing changed */
  sourcesText: string;
  tagsText: string;
  /** the tags an item is shown under */
  tags: (item: Item) => readonly string[];
  /** the error item of each failing source with errorItems: true */
  failing: Map<string, Item>;
  /** rule tags come from the rules in force at each render, so a new config re-tags stored items by itself */
  tagger: RuleTagger;
}

export function siteContext(config: Config, states: Readonly<Record<string, SourceState>>, hubs: readonly string[], tagging: RuleTagging): SiteContext {
  const titles: Record<string, PlainText> = {};
  const sources = new Map<string, SourceInfo>();
  for (const s of config.sources) {
    const state = states[s.id];
    titles[s.id] = s.title ?? state?.feedTitle ?? toPlainText(s.id, 'plain');
    sources.set(s.id, { title: titles[s.id]!, url: s.url, ...(state?.feedLink ? { link: state.feedLink } : {}),
      ...(state?.feedImage ? { image: state.feedImage } : {}) });
  }
  const { title, baseUrl, description, defaults, sources: configured } = config;
  const site: SiteInfo = { title, baseUrl, limit: defaults.limit, sources: configured,
    ...(description ? { description } : {}), ...(config.language ? { language: config.language } : {}),
    ...(config.rules ? { rules: config.rules } : {}), ...(config.tags ? { tags: config.tags } : {}) };
  const tagger = tagging.forRules(config.rules ?? []);
  const tagsOf = sourceTagMap(site);
  const ctx: RenderContext = { baseUrl, sources, tagsOf, hubs, stylesheet: FEED_STYLESHEET_PATH, ruleTags: tagger.tagsOf,
    timezone: defaults.timezone, ...(config.language ? { language: config.language } : {}) };
  const sourcesText = JSON.stringify([...sources]);
  const tagsText = JSON.stringify(configured.map((s) => [s.id, s.tags]));
  const contextKey = `${sourcesText}\0${tagsText}\0${JSON.stringify([baseUrl, hubs, FEED_STYLESHEET_PATH, tagger.version, config.language, defaults.timezone])}`;
  return {
    site, titles, ctx, contextKey, sourcesText, tagsText, tagger,
    tags: (item) => itemTags(item, tagsOf, tagger.tagsOf),
    failing: errorItemsOf(config.sources, states, titles, new URL(baseUrl).hostname),
  };
}
