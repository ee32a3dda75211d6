// `tributary inspect --full-text URL [--select CSS] [--remove CSS]…`: fetches one article page as the service fetches
// an item's page, extracts it as a source's fullText setting would, and prints the HTML that would replace the
// item's content (stdout) with what was found (stderr): to tune a selector before it goes into the config.
import { selectorProblem } from '../config/selector.ts';
import { defaultConfig, loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { USER_AGENT } from '../fetch/user-agent.ts';
import { FullTextError } from '../fulltext/errors.ts';
import { extractArticle } from '../fulltext/extract.ts';
import { fetchPage } from '../fulltext/fetch-page.ts';
import { reportStartError } from './start-error.ts';
import { USAGE, usageError } from './usage.ts';

export interface InspectFullTextRequest {
  url: string;
  select?: string | undefined;
  remove?: string[] | undefined;
  config?: string | undefined;
}

/** Prints the extracted article; exit code 1 when the page has none (the reason on stderr), 2 for a bad command line. */
export async function inspectFullText(req: InspectFullTextRequest): Promise<number> {
  if (!/^https?:\/\//i.test(req.url) || !URL.canParse(req.url)) return usageError(`tributary inspect --full-text needs an http:// or https:// URL, not ${JSON.stringify(req.url)}\n${USAGE}`);
  for (const [flag, selector] of [['--select', req.select], ...(req.remove ?? []).map((r) => ['--remove', r])] as const) {
    const problem = selector === undefined ? undefined : selectorProblem(selector, 'item');
    if (problem) return usageError(`tributary inspect: ${flag} ${problem}`);
  }
  let config: Config;
  try {
    config = req.config ? await loadConfig(req.config) : defaultConfig();
  } catch (err) {
    return reportStartError(err);
  }
  try {
    const page = await fetchPage(req.url, { id: 'inspect', url: req.url }, {
      timeoutMs: config.fetch.timeoutMs,
      maxBytes: config.fetch.maxBytes,
      userAgent: config.fetch.userAgent ?? USER_AGENT,
    });
    const { html, textLength, by, pageTitle } = await extractArticle(page.text, page.url, { select: req.select, remove: req.remove });
    process.stdout.write(`${html}\n`);
    const how = by === 'select' ? `fullText.select \`${req.select}\`` : 'Readability';
    const counts = `${textLength} characters of text, ${count(html, /<p[\s>]/g)} paragraphs, ${count(html, /<img\s/g)} images, ${count(html, /<a\s/g)} links`;
    const moved = page.url !== req.url ? ` (read at ${page.url})` : '';
    process.stderr.write(`${req.url}${moved}: ${pageTitle ? `"${pageTitle.replace(/[\p{Cc}]/gu, '')}": ` : ''}extracted by ${how}: ${counts}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof FullTextError)) throw err;
    process.stderr.write(`tributary inspect: ${req.url}: ${err.reason}\n`);
    return 1;
  }
}

function count(html: string, pattern: RegExp): number {
  return html.match(pattern)?.length ?? 0;
}
