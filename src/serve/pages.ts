import type { PlainText } from '../model.ts';
import type { FeedSpec } from '../render/feed-specs.ts';
import { messages, pageLang } from '../render/messages.ts';
import { dateFormat, relativeWords, timeHtml } from '../render/html-view.ts';
import { PAGE_STYLE, VIEW_SCRIPT } from '../render/page-style.ts';
import { feedUrl, type FeedFormat } from '../render/render-feed.ts';

/** A source's fetch health as /status and the index show it; null where there is nothing to tell yet. */
export interface SourceStatus {
  id: string;
  title: PlainText;
  /** the configured URL */
  url: string;
  enabled: boolean;
  /** items stored under this source */
  items: number;
  lastFetch: string | null;
  lastSuccess: string | null;
  httpStatus: number | null;
  /** entries in the last document read */
  itemsSeen: number | null;
  consecutiveFailures: number;
  /** no scheduled fetch before this time */
  nextFetch: string | null;
  lastError: string | null;
  /** the URL fetched instead of url since a permanent redirect */
  movedTo: string | null;
  /** what the last document read left to know (cut off at its end, a date zone read as the source's); [] for none */
  warnings: string[];
}

/** A feed as the index and the OPML list it: what names it, and how many items its page 1 shows. */
export type FeedListing = Pick<FeedSpec, 'path' | 'kind' | 'name' | 'title' | 'description'> & { items: { readonly length: number } };

export interface SiteSummary {
  title: PlainText;
  description?: PlainText;
  baseUrl: string;
  /** `language:` of the config: the page's lang and words (English when absent) */
  language?: string;
  feeds: FeedListing[];
  sources: SourceStatus[];
  /** the zone times are shown in (defaults.timezone); UTC when absent */
  timezone?: string;
  /** a config change that was refused, while the previous config keeps running: shown as a banner */
  configError?: { message: string; at: string };
}

const FORMATS: [FeedFormat, string, string][] = [
  ['atom', 'application/atom+xml', 'Atom'],
  ['rss', 'application/rss+xml', 'RSS'],
  ['json', 'application/feed+json', 'JSON Feed'],
];

type FeedLine = 'discovery' | 'row' | 'outline';

/**
 * The lines a feed adds to the index and the OPML, kept per spec: a spec object does not change, and the render
 * keeps the same object for a feed that did not change, so a page written again after a cycle rewrites only
 * the lines of the feeds that changed.
 */
const feedLines = new WeakMap<FeedListing, { baseUrl: string; language: string | undefined } & Partial<Record<FeedLine, string>>>();

function feedLine(spec: FeedListing, site: Pick<SiteSummary, 'baseUrl' | 'language'>, line: FeedLine, make: () => string): string {
  const { baseUrl, language } = site;
  let lines = feedLines.get(spec);
  if (!lines || lines.baseUrl !== baseUrl || lines.language !== language) feedLines.set(spec, (lines = { baseUrl, language }));
  return (lines[line] ??= make());
}

/** The HTML index: every output feed (its web page and its three formats), with autodiscovery links, and each source's health. */
export function renderIndexPage(site: SiteSummary): string {
  const words = messages(site.language);
  const main = site.feeds.filter((f) => f.kind !== 'source');
  // Times in the site's zone, relative when recent ("3 minutes ago"), kept current in the page by its script.
  const dates = dateFormat(pageLang(site.language), site.timezone ?? 'UTC');
  const now = Date.now();
  const when = (iso: string | null) => (iso ? timeHtml(iso, words, dates, now) : esc(words.never));
  const discovery = main.map((spec) => feedLine(spec, site, 'discovery', () => FORMATS.map(([format, type, label]) =>
    `<link rel="alternate" type="${type}" title="${esc(`${spec.title} (${label})`)}" href="${esc(feedUrl(site.baseUrl, spec.path, format))}">`).join('\n')));
  const row = (spec: FeedListing) => feedLine(spec, site, 'row', () => `<li><a href="${esc(feedUrl(site.baseUrl, spec.path, 'html'))}" data-feed-page="${esc(spec.path)}"><strong>${esc(spec.title)}</strong></a>`
    + ` (${esc(words.items(spec.items.length))}): ${FORMATS.map(([format, , label]) =>
    `<a href="${esc(feedUrl(site.baseUrl, spec.path, format))}">${label}</a>`).join(' · ')}</li>`);
  // Failing sources first (the ones an operator has to look at), each as a card that fits a phone's width.
  const ordered = [...site.sources].sort((a, b) => Number(b.consecutiveFailures > 0) - Number(a.consecutiveFailures > 0));
  const [, , hItems, hLastFetch, hLastSuccess, hHttp, hSeen, hFailures, hNext, hError] = words.sourceHealth;
  const sources = ordered.map((s) => {
    const failing = s.consecutiveFailures > 0;
    const facts = [
      esc(`${hItems} ${s.items}`), `${esc(hLastFetch)} ${when(s.lastFetch)}`, `${esc(hLastSuccess)} ${when(s.lastSuccess)}`,
      ...(s.httpStatus !== null ? [esc(`${hHttp} ${s.httpStatus}`)] : []), ...(s.itemsSeen !== null ? [esc(`${hSeen} ${s.itemsSeen}`)] : []),
      ...(failing ? [esc(`${hFailures} ${s.consecutiveFailures}`)] : []), ...(s.nextFetch ? [`${esc(hNext)} ${dates.format(new Date(s.nextFetch))}`] : []),
    ];
    const problem = [s.lastError, ...s.warnings].filter(Boolean).join('; ');
    return `<li class="source${failing ? ' failing' : ''}" data-source="${esc(s.id)}"><a href="${esc(s.url)}"><strong>${esc(s.title)}</strong></a> <code>${esc(s.id)}</code>`
      + `${failing ? ` <span class="bad">${esc(words.failingSince)}</span>` : ''}`
      + `${s.movedTo ? `<br>${esc(words.movedTo)} <a href="${esc(s.movedTo)}">${esc(s.movedTo)}</a>` : ''}`
      + `<br><small>${facts.join(' · ')}</small>${problem ? `<br><span class="${failing ? 'bad' : 'warn'}">${esc(hError)}: ${esc(problem)}</span>` : ''}</li>`;
  }).join('\n');
  const enabled = site.sources.filter((s) => s.enabled);
  const failingCount = enabled.filter((s) => s.consecutiveFailures > 0).length;
  let lastFetch: string | null = null;
  for (const s of site.sources) if (s.lastFetch && (lastFetch === null || s.lastFetch > lastFetch)) lastFetch = s.lastFetch;
  const empty = main.some((spec) => spec.items.length === 0) ? `<p class="warn" data-empty-why>${esc(words.emptyBecause(failingCount, enabled.length))}</p>` : '';
  return `<!doctype html>
<html lang="${esc(pageLang(site.language))}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${esc(site.title)}</title>
${discovery.join('\n')}
<style>${PAGE_STYLE}
ul.health{list-style:none;padding:0}ul.health li{border:1px solid #ddd;border-radius:6px;padding:.5rem .7rem;margin:.5rem 0;overflow-wrap:anywhere}
.banner{border:2px solid #d33;background:#fff3f0;border-radius:6px;padding:.5rem .7rem;margin:.5rem 0}.banner pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.4rem 0 0}
ul.health li.failing{border-color:#d33;background:#fff3f0}.bad{color:#b00;font-weight:600}.warn{color:#8a5a00}code{font-size:.85em}</style>
</head>
<body${relativeWords(words)}>
${site.configError ? `<div class="banner" role="alert" data-config-rejected><strong>${esc(words.configRejected(site.configError.at))}</strong><pre>${esc(site.configError.message)}</pre></div>\n` : ''}<h1>${esc(site.title)}</h1>
${site.description ? `<p>${esc(site.description)}</p>` : ''}
<p data-summary>${words.summary(enabled.length, failingCount, lastFetch ? when(lastFetch) : null)} · <a href="${esc(`${site.baseUrl}/status`)}">${esc(words.statusLink)}</a></p>
${empty}
<h2>${esc(words.feeds)}</h2>
<ul>
${main.map(row).join('\n')}
</ul>
<p>${esc(words.allFeedsAt)} <a href="${esc(`${site.baseUrl}/feeds.opml`)}">OPML</a>.</p>
<h2>${esc(words.sources)}</h2>
<ul>
${site.feeds.filter((f) => f.kind === 'source').map(row).join('\n')}
</ul>
<ul class="health">
${sources}
</ul>
<script>${VIEW_SCRIPT}</script>
</body>
</html>
`;
}

/** OPML 2.0 listing every output feed, for subscribing to all of them at once. */
export function renderOpml(site: SiteSummary, dateCreated: string): string {
  const outline = (spec: FeedListing) => feedLine(spec, site, 'outline', () =>
    `    <outline type="rss" text="${esc(spec.title)}" title="${esc(spec.title)}" xmlUrl="${esc(feedUrl(site.baseUrl, spec.path, 'atom'))}" htmlUrl="${esc(`${site.baseUrl}/`)}"/>`);
  const group = (name: string, feeds: FeedListing[]) =>
    `  <outline text="${esc(name)}" title="${esc(name)}">\n${feeds.map(outline).join('\n')}\n  </outline>`;
  return `<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0">
  <head>
    <title>${esc(site.title)}</title>
    <dateCreated>${esc(dateCreated)}</dateCreated>
  </head>
  <body>
${site.feeds.filter((f) => f.kind === 'latest').map(outline).join('\n')}
${group('Tags', site.feeds.filter((f) => f.kind === 'tag'))}
${group('Sources', site.feeds.filter((f) => f.kind === 'source'))}
  </body>
</opml>
`;
}

function esc(text: string): string {
  // Most text has nothing to escape: one test instead of four replaces (the index escapes thousands of fields).
  if (!/[&<>"]/.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
