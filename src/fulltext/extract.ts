// An article page (already decoded to text) to the item HTML of its story: Mozilla's Readability over linkedom by
// default, or the operator's CSS selector through cheerio (as `type: html` sources read pages). Either way the page
// loses its code, styles and share widgets first, and the result goes through the same sanitizer as feed HTML
// (normalize/html.ts), which also resolves relative links and image sources against the page.
//
// The DOM libraries are imported on the first page read: a service with no fullText source never loads them.
import { cleanHtml } from '../normalize/html.ts';
import { FullTextError } from './errors.ts';
import { NOISE_ELEMENTS, isShareWidget } from './page-noise.ts';

/** How to take the article from its page: Readability when `select` is absent. */
export interface ExtractRule {
  /** CSS selector of the element(s) holding the article; every match is kept, in page order */
  select?: string | undefined;
  /** CSS selectors of elements to drop before extraction (inside the selected body, or anywhere for Readability) */
  remove?: readonly string[] | undefined;
}

export interface Extraction {
  /** sanitized item HTML, absolute URLs only */
  html: string;
  /** characters of text in it, spaces not counted */
  textLength: number;
  by: 'readability' | 'select';
  /** the page's <title>, for inspect */
  pageTitle?: string;
}

/** Fewer characters of text than this is no article: a "Loading…" placeholder, a bare caption. */
export const MIN_ARTICLE_TEXT = 20;

/** Extracts the article of one page. Throws FullTextError saying why there is none. */
export async function extractArticle(text: string, pageUrl: string, rule: ExtractRule): Promise<Extraction> {
  return rule.select === undefined ? extractByReadability(text, pageUrl, rule.remove ?? []) : extractBySelector(text, pageUrl, rule.select, rule.remove ?? []);
}

async function extractByReadability(text: string, pageUrl: string, remove: readonly string[]): Promise<Extraction> {
  const [{ parseHTML }, { Readability }] = await Promise.all([import('linkedom'), import('@mozilla/readability')]);
  const { document } = parseHTML(text);
  const base = baseOf(document.querySelector('base[href]')?.getAttribute('href'), pageUrl);
  const pageTitle = collapse(document.querySelector('title')?.textContent ?? '') || undefined;
  const scripts = document.querySelectorAll('script').length;
  const drop = (selector: string) => {
    for (const node of [...document.querySelectorAll(selector)]) if (!isRoot(node.tagName)) node.remove();
  };
  drop(NOISE_ELEMENTS);
  for (const node of [...document.querySelectorAll('[class], [id]')]) {
    if (!isRoot(node.tagName) && isShareWidget(node.getAttribute('class') ?? undefined, node.getAttribute('id') ?? undefined)) node.remove();
  }
  for (const selector of remove) drop(selector);
  assertBodyText(countText(document.body?.textContent ?? ''), scripts, pageUrl);
  // Readability takes the document apart as it reads: this parse is its own, and is dropped with it.
  const article = new Readability(document as unknown as Document).parse();
  if (!article?.content) throw new FullTextError(pageUrl, 'Readability found no article on the page; name the element that holds it with fullText.select');
  return finished(article.content, base, pageUrl, 'readability', pageTitle);
}

async function extractBySelector(text: string, pageUrl: string, select: string, remove: readonly string[]): Promise<Extraction> {
  const { load } = await import('cheerio');
  const $ = load(text);
  const base = baseOf($('base[href]').first().attr('href'), pageUrl);
  const pageTitle = collapse($('head > title').first().text()) || undefined;
  const scripts = $('script').length;
  $(NOISE_ELEMENTS).remove();
  $('[class], [id]').filter((_, node) => !isRoot(node.tagName) && isShareWidget($(node).attr('class'), $(node).attr('id'))).remove();
  for (const selector of remove) $(selector).remove();
  assertBodyText(countText($('body').text()), scripts, pageUrl);
  const matched = $(select).toArray();
  if (matched.length === 0) throw new FullTextError(pageUrl, `fullText.select \`${select}\` matched nothing on the page; check it with tributary inspect --full-text ${pageUrl} --select CSS`);
  // A selector that also matches inside another match (div.content div.content) would repeat the inner one.
  const outer = matched.filter((node) => !matched.some((other) => other !== node && $(other).find(node as never).length > 0));
  return finished(outer.map((node) => $.html(node)).join('\n'), base, pageUrl, 'select', pageTitle);
}

function finished(raw: string, base: string, pageUrl: string, by: Extraction['by'], pageTitle: string | undefined): Extraction {
  // A page's indentation between block tags is kept with every item (and in memory): one line break says as much.
  const cleaned = cleanHtml(raw, base) ?? '';
  const html = /<pre[\s>]/i.test(cleaned) ? cleaned : cleaned.replace(/>[ \t]*\n\s*</g, '>\n<');
  const textLength = countText(html.replace(/<[^>]*>/g, ' '));
  if (textLength < MIN_ARTICLE_TEXT && !/<img\b/i.test(html)) {
    throw new FullTextError(pageUrl, by === 'select'
      ? `fullText.select matched only ${textLength} characters of text and no image`
      : `the article Readability found has only ${textLength} characters of text and no image`);
  }
  return { html, textLength, by, ...(pageTitle ? { pageTitle } : {}) };
}

/** A body with (almost) no text once its scripts are gone is filled in by script, which is never run here. */
function assertBodyText(textLength: number, scripts: number, pageUrl: string): void {
  if (textLength >= MIN_ARTICLE_TEXT) return;
  throw new FullTextError(pageUrl, scripts > 0
    ? `the page's body has ${textLength} characters of text without its ${scripts} scripts: its article is loaded by JavaScript, which is not run`
    : `the page's body has ${textLength} characters of text`);
}

/** Non-space characters: what makes an article, in any script (a Chinese paragraph has no spaces). */
function countText(text: string): number {
  return text.replace(/\s+/g, '').length;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function isRoot(tagName: string | undefined): boolean {
  const name = tagName?.toLowerCase();
  return name === 'html' || name === 'body';
}

/** The page's <base href> when it is an http(s) URL, else the page's own address. */
function baseOf(href: string | null | undefined, pageUrl: string): string {
  if (!href?.trim()) return pageUrl;
  try {
    const url = new URL(href.trim(), pageUrl);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : pageUrl;
  } catch {
    return pageUrl;
  }
}
