// `tributary inspect FILE|URL` (and `--html FILE|URL --select-…` for a web page): one document through the service's own fetch, parse, normalize and dedupe
// code, printed as the items it would store. How an operator debugs a source and how the parser is tried on
// collections of real feeds.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { selectorProblem, toPageSelectors, type PageSelectInput, type PageSelectors } from '../config/selector.ts';
import type { Config } from '../config/types.ts';
import { mergeItems, NOTHING_STORED } from '../dedupe/merge.ts';
import { keyForSource, type KeyChoice } from '../dedupe/source-key.ts';
import { decodeBody } from '../fetch/charset.ts';
import type { FetchFunction } from '../fetch/fetch-source.ts';
import { readDocument } from '../read-document.ts';
import type { Item } from '../model.ts';
import { trackingParams } from '../normalize/urls.ts';
import { dateFormatProblem } from '../normalize/page-dates.ts';
import { parseFeed } from '../parse/parse-feed.ts';
import type { ParsedFeed } from '../parse/types.ts';

export const INSPECT_SOURCE_ID = 'inspect';

export interface InspectRequest {
  /** a file path, or an http(s) URL fetched as the service fetches sources */
  target: string;
  /** base URL for relative links; default the URL fetched, or for a file the feed's own URL (self link) or home page */
  url?: string;
  /** for a file: the Content-Type a server would have sent (its charset decodes the bytes) */
  contentType?: string;
  /** zone for dates that carry none; default the config's defaults.timezone */
  timezone?: string;
  /** the target is a web page read through these selectors (--select-…), as a `type: html` source is */
  select?: PageSelectInput;
  config: Config;
  userAgent: string;
  now?: Date;
  fetch?: FetchFunction;
}

/** One item as inspect prints it: the stored Item's fields a reader sees, and every source that carried it. */
export interface InspectedItem {
  id: string;
  title: string;
  link: string;
  published: string;
  updated: string;
  author?: Item['author'];
  categories: string[];
  summary?: string;
  content?: string;
  enclosures: Item['enclosures'];
  language?: string;
  sources: string[];
  /** the document gave no usable date: published is the time it was read */
  undated?: true;
}

/** The request cannot be carried out as given; the message says which option to change. */
export class InspectError extends Error {
  readonly target: string;
  constructor(target: string, message: string) {
    super(message);
    this.name = 'InspectError';
    this.target = target;
  }
}

export interface Inspection {
  feed: ParsedFeed;
  items: InspectedItem[];
  /** the body declared no charset and was not UTF-8: the detector's guess, as the service logs it */
  charsetGuess?: { label: string; confidence: number };
  /** the document's keys made a new source leave the guid key, as the service would (dedupe/source-key.ts) */
  keySwitch?: Required<KeyChoice>;
}

/**
 * Reads the document and returns what the service would store from it for a new source, in document order.
 * Throws InspectError, SourceFetchError or SourceParseError.
 */
export async function inspectDocument(req: InspectRequest): Promise<Inspection> {
  const timezone = req.timezone ?? req.config.defaults.timezone;
  if (!isTimeZone(timezone)) throw new InspectError(req.target, `--timezone ${timezone} is not an IANA time zone name (e.g. Asia/Shanghai, UTC)`);
  if (req.url !== undefined && !isHttpUrl(req.url)) throw new InspectError(req.target, `--url ${req.url} is not an absolute http:// or https:// URL`);
  const select = req.select ? checkedSelectors(req.target, req.select) : undefined;
  const { text, documentUrl, charsetGuess } = isHttpUrl(req.target) ? await fetchTarget(req) : await readTarget(req);
  const now = req.now ?? new Date();
  const documentCtx = {
    sourceId: INSPECT_SOURCE_ID,
    url: req.target,
    documentUrl: req.url ?? documentUrl,
    timezone,
    now,
    idAuthority: new URL(req.config.baseUrl).hostname,
    trackingParams: trackingParams(req.config.dedupe.trackingParams),
  };
  // The page reader (cheerio) is loaded only for a page: most inspections are of feeds.
  const { feed, items } = select ? (await import('../read-page.ts')).readPage(text, select, documentCtx) : await readDocument(text, documentCtx);
  // Keyed as the service keys a new source's first fetch, and merged against an empty store, so entries repeated
  // within the document collapse, or stay apart under a switched key, exactly as they would when stored.
  const { choice, keyed, linkIsIdentity } = keyForSource(items, 'guid', { ...documentCtx, isPage: select !== undefined });
  const { added } = mergeItems(NOTHING_STORED, INSPECT_SOURCE_ID, keyed, now, { titleWindowMs: req.config.dedupe.titleWindowHours * 3600_000, linkIsIdentity });
  return {
    feed, items: added.map(inspected),
    ...(charsetGuess ? { charsetGuess } : {}),
    ...(choice.switchedFrom ? { keySwitch: choice as Required<KeyChoice> } : {}),
  };
}

interface ReadTarget {
  text: string;
  documentUrl: string;
  charsetGuess?: { label: string; confidence: number };
}

async function fetchTarget(req: InspectRequest): Promise<ReadTarget> {
  if (req.contentType !== undefined) {
    throw new InspectError(req.target, '--content-type applies to a FILE; a URL is decoded by the Content-Type its server sends');
  }
  // The HTTP client (undici: ~0.07 CPU-s to load) only for a URL: most inspects read a saved file.
  const { fetchSource } = await import('../fetch/fetch-source.ts');
  const result = await fetchSource({ sourceId: INSPECT_SOURCE_ID, url: req.target, ...(req.select ? { document: 'html' as const } : {}) }, {
    timeoutMs: req.config.fetch.timeoutMs,
    maxBytes: req.config.fetch.maxBytes,
    userAgent: req.userAgent,
    ...(req.fetch ? { fetch: req.fetch } : {}),
  });
  // No validators were sent, so a 304 can only come from a broken server.
  if (result.kind === 'not-modified') throw new InspectError(req.target, 'the server answered 304 Not Modified to a plain GET');
  return { text: result.text, documentUrl: result.url, ...(result.charsetGuess ? { charsetGuess: result.charsetGuess } : {}) };
}

async function readTarget(req: InspectRequest): Promise<ReadTarget> {
  const path = resolve(req.target);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new InspectError(req.target, `cannot read ${req.target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (bytes.byteLength > req.config.fetch.maxBytes) {
    throw new InspectError(req.target, `${req.target} has ${bytes.byteLength} bytes, more than fetch.maxBytes (${req.config.fetch.maxBytes})`);
  }
  const decoded = decodeBody(bytes, { contentType: req.contentType ?? null, ...(req.select ? { document: 'html' as const } : {}) });
  const { text } = decoded;
  const guess = decoded.guessedLabel !== undefined ? { charsetGuess: { label: decoded.guessedLabel, confidence: decoded.confidence ?? 0 } } : {};
  if (req.select) {
    // A saved page names its address in <link rel="canonical"> or og:url, when it does.
    const named = req.url === undefined ? (await import('../parse/html-page.ts')).pageOwnUrl(text) : undefined;
    return { text, documentUrl: named && isHttpUrl(named) ? named : pathToFileURL(path).href, ...guess };
  }
  // A saved feed was read from somewhere: the address it names as its own is where its relative links point.
  // An unreadable document is reported by the real read that follows.
  const probe = req.url === undefined ? await parseFeed(text).catch(() => undefined) : undefined;
  const named = [probe?.selfUrl, probe?.link].find((u) => u !== undefined && isHttpUrl(u));
  return { text, documentUrl: named ?? pathToFileURL(path).href, ...guess };
}

/** The --select-… flags, checked as the config checks select.*. */
function checkedSelectors(target: string, input: PageSelectInput): PageSelectors {
  const fields = [['item', 'item'], ['title', 'field'], ['link', 'field'], ['summary', 'field'], ['date', 'field']] as const;
  for (const [key, kind] of fields) {
    const text = input[key];
    const problem = text === undefined ? undefined : selectorProblem(text, kind);
    if (problem) throw new InspectError(target, `--select-${key} ${problem}`);
  }
  const formatProblem = input.dateFormat === undefined ? undefined : dateFormatProblem(input.dateFormat);
  if (formatProblem) throw new InspectError(target, `--select-date-format ${formatProblem}`);
  return toPageSelectors(input);
}

export function inspected(item: Item): InspectedItem {
  const out: InspectedItem = {
    id: item.id,
    title: item.title,
    link: item.link,
    published: item.published,
    updated: item.updated,
    ...(item.author ? { author: item.author } : {}),
    categories: item.categories,
    ...(item.summary ? { summary: item.summary } : {}),
    ...(item.content ? { content: item.content } : {}),
    enclosures: item.enclosures,
    ...(item.language ? { language: item.language } : {}),
    sources: [item.sourceId, ...item.alsoIn],
  };
  if (item.undated) out.undated = true;
  return out;
}

function isHttpUrl(value: string): boolean {
  return /^https?:\/\//i.test(value) && URL.canParse(value);
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
