// The fourth rendering of a feed document: an HTML page a person reads, with the same items in the same order as
// the Atom, RSS and JSON documents of that page. Every title and name is escaped here; the summaries are the
// sanitized HTML the store holds (normalize/html.ts), written as they are, never a source's raw markup.
import type { Item } from '../model.ts';
import { feedUrl, type FeedDocument, type FeedFormat, type RenderContext } from './feed-document.ts';
import { itemTags } from './feed-specs.ts';
import { messages, pageLang, relativeTime, type Messages, type RelativeUnit } from './messages.ts';
import { PAGE_STYLE, VIEW_SCRIPT } from './page-style.ts';
import { plainText } from './plain-text.ts';
import { xmlText } from './xml-text.ts';

/** A summary longer than this (as text) is folded into <details>, its beginning shown. */
const FOLD_AT = 320;
const SUBSCRIBE: [Exclude<FeedFormat, 'html'>, string][] = [['atom', 'Atom'], ['rss', 'RSS'], ['json', 'JSON Feed']];

export function renderHtmlView(doc: FeedDocument, ctx: RenderContext): string {
  const words = messages(ctx.language);
  const lang = pageLang(ctx.language);
  const now = ctx.now ?? Date.now();
  const dates = dateFormat(lang, ctx.timezone ?? 'UTC');
  const { spec } = doc;
  const items = doc.items.map((item) => itemHtml(item, ctx, words, dates, now)).join('\n');
  return `<!doctype html>
<html lang="${esc(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>${esc(spec.title)}</title>
${SUBSCRIBE.map(([format, label]) => `<link rel="alternate" type="${ALTERNATE_TYPES[format]}" title="${esc(`${spec.title} (${label})`)}" href="${esc(subscribeUrl(doc, ctx, format))}">`).join('\n')}
<style>${PAGE_STYLE}</style>
</head>
<body${relativeWords(words)}>
<nav class="top"><a href="${esc(`${ctx.baseUrl}/`)}" data-index-link>${esc(words.backToIndex)}</a></nav>
<h1>${esc(spec.title)}</h1>
<p class="desc">${esc(spec.description)}</p>
${subscribeBox(doc, ctx, words)}
${doc.items.length === 0 ? `<p class="empty">${esc(words.noItems)}</p>` : `<ol class="items" data-items>\n${items}\n</ol>`}
${pageLinks(doc, ctx, words)}
<script>${VIEW_SCRIPT}</script>
</body>
</html>
`;
}

const ALTERNATE_TYPES: Record<Exclude<FeedFormat, 'html'>, string> = {
  atom: 'application/atom+xml', rss: 'application/rss+xml', json: 'application/feed+json',
};

/** The feed a reader subscribes to from this page: its first page, with the view's filters (what idQuery keeps). */
function subscribeUrl(doc: FeedDocument, ctx: RenderContext, format: FeedFormat): string {
  return feedUrl(ctx.baseUrl, doc.spec.path, format) + doc.idQuery;
}

function subscribeBox(doc: FeedDocument, ctx: RenderContext, words: Messages): string {
  const rows = SUBSCRIBE.map(([format, label]) => `<div class="row"><label for="feed-url-${format}">${label}</label>`
    + `<input id="feed-url-${format}" data-feed-url="${format}" readonly value="${esc(subscribeUrl(doc, ctx, format))}">`
    + `<button type="button" data-copy="${format}">${esc(words.copy)}</button></div>`).join('\n');
  return `<section id="subscribe" data-subscribe>
<h2>${esc(words.subscribe)}</h2>
${rows}
<p class="meta"><a href="${esc(`${ctx.baseUrl}/feeds.opml`)}" data-opml-link>${esc(words.opml)}</a></p>
</section>`;
}

function itemHtml(item: Item, ctx: RenderContext, words: Messages, dates: Intl.DateTimeFormat, now: number): string {
  const title = esc(item.title || item.link);
  const heading = isWebLink(item.link) ? `<a href="${esc(item.link)}">${title}</a>` : title;
  const source = ctx.sources.get(item.sourceId);
  const sourceLink = `<a href="${esc(feedUrl(ctx.baseUrl, `sources/${item.sourceId}`, 'html'))}">${esc(source?.title ?? item.sourceId)}</a>`;
  const tags = itemTags(item, ctx.tagsOf, ctx.ruleTags);
  const tagLinks = tags.length === 0 ? '' : `\n<p class="meta tags">${tags.map((tag) =>
    `<a href="${esc(feedUrl(ctx.baseUrl, `tags/${tag}`, 'html'))}" rel="tag">#${esc(tag)}</a>`).join(' ')}</p>`;
  return `<li data-item-id="${esc(item.id)}"><h2>${heading}</h2>
<p class="meta">${sourceLink} · ${timeHtml(item.published || item.updated, words, dates, now)}</p>${summaryHtml(item, words)}${tagLinks}</li>`;
}

export function timeHtml(iso: string, words: Messages, dates: Intl.DateTimeFormat, now: number): string {
  const absolute = dates.format(new Date(iso));
  const relative = relativeTime(iso, now, words);
  return `<time datetime="${esc(iso)}" data-ts data-abs="${esc(absolute)}" title="${esc(absolute)}">${esc(relative ?? absolute)}</time>`;
}

/** The stored summary (or, without one, the content): sanitized HTML, folded when long. */
function summaryHtml(item: Item, words: Messages): string {
  const html = item.summary || item.content;
  if (!html) return '';
  const text = plainText(html);
  if (text.length <= FOLD_AT) return `\n<div class="summary">${xmlText(html)}</div>`;
  return `\n<details class="summary"><summary>${esc(Array.from(text).slice(0, 160).join(''))}… (${esc(words.more)})</summary>${xmlText(html)}</details>`;
}

function pageLinks(doc: FeedDocument, ctx: RenderContext, words: Messages): string {
  const paging = doc.paging;
  if (!paging) return '';
  const base = feedUrl(ctx.baseUrl, doc.spec.path, 'html');
  const link = (query: string | undefined, rel: string, label: string) =>
    query === undefined ? '' : `<a href="${esc(base + query)}" rel="${rel}" data-page-link="${rel}">${esc(label)}</a>`;
  return `<nav class="pages">${[link(paging.first, 'first', words.first), link(paging.previous, 'prev', words.newer),
    link(paging.next, 'next', words.older), link(paging.last, 'last', words.last)].filter(Boolean).join(' ')}</nav>`;
}

/** The words the page's script needs to refresh the relative times: templates with {n}. */
export function relativeWords(words: Messages): string {
  const attrs: string[] = [`data-rel-now="${esc(words.justNow)}"`, `data-copied="${esc(words.copied)}"`, `data-copy-failed="${esc(words.copyFailed)}"`];
  for (const unit of ['minute', 'hour', 'day'] as RelativeUnit[]) {
    attrs.push(`data-rel-${unit}-one="${esc(words.ago(1, unit).replace('1', '{n}'))}"`, `data-rel-${unit}="${esc(words.ago(7, unit).replace('7', '{n}'))}"`);
  }
  return ` ${attrs.join(' ')}`;
}

const formats = new Map<string, Intl.DateTimeFormat>();

export function dateFormat(lang: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${lang}\0${timeZone}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(lang, { timeZone, dateStyle: 'medium', timeStyle: 'short' });
    formats.set(key, format);
  }
  return format;
}

function isWebLink(link: string): boolean {
  return /^https?:\/\//i.test(link);
}

function esc(text: string): string {
  return xmlText(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
