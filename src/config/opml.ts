// OPML (a feed reader's subscription export) -> feeds with their folders as tags. Used both for
// feeds/*.opml read as config and for `tributary import-opml`.
import { xml2js, type Element } from 'xml-js';
import type { PlainText } from '../model.ts';
import { toPlainText } from '../normalize/plain-text.ts';
import type { ConfigProblem } from './errors.ts';

export interface OpmlFeed {
  url: string;
  /** an OPML file comes from strangers: its outline's text is read like a feed's title, markup dropped */
  title?: PlainText;
  /** the outline's text as written: what the source's id is derived from, as it always was (ids never change) */
  name?: string;
  /** enclosing folders, outermost first, plus the outline's own `category` entries */
  tags: string[];
  /** line of the outline, 1-based */
  line: number;
}

export interface ParsedOpml {
  feeds: OpmlFeed[];
  problems: ConfigProblem[];
}

/** Reads every outline that has an xmlUrl; outlines without one are folders. */
export function parseOpml(text: string, file: string): ParsedOpml {
  let root: Element;
  try {
    root = xml2js(text, { compact: false, ignoreComment: true, ignoreDeclaration: true, ignoreInstruction: true, ignoreDoctype: true }) as Element;
  } catch (err) {
    // sax counts lines from 0: "Unexpected close tag\nLine: 3\nColumn: 10\nChar: >"
    const message = (err as Error).message;
    const line = Number(/Line: (\d+)/.exec(message)?.[1] ?? -1) + 1;
    return { feeds: [], problems: [{ file, line, key: '', message: `OPML is not well-formed XML: ${message.split('\n')[0]}` }] };
  }
  const opml = root.elements?.find((e) => e.type === 'element');
  const body = opml?.name?.toLowerCase() === 'opml' ? opml.elements?.find((e) => e.name?.toLowerCase() === 'body') : undefined;
  if (!body) return { feeds: [], problems: [{ file, line: 1, key: '', message: 'not an OPML document (no <opml><body>)' }] };
  const lines = outlineLines(text);
  const feeds: OpmlFeed[] = [];
  let index = 0;
  const walk = (elements: Element[] | undefined, folders: string[]) => {
    for (const element of elements ?? []) {
      if (element.type !== 'element' || element.name?.toLowerCase() !== 'outline') continue;
      const line = lines[index++] ?? 0;
      const url = attribute(element, 'xmlUrl')?.trim();
      const name = attribute(element, 'title')?.trim() || attribute(element, 'text')?.trim() || undefined;
      if (!url) {
        walk(element.elements, name ? [...folders, name] : folders);
        continue;
      }
      const title = name ? toPlainText(name, 'text') : undefined;
      feeds.push({ url, ...(title ? { title } : {}), ...(name ? { name } : {}), tags: uniqueTags([...folders, ...categoryTags(attribute(element, 'category'))]), line });
      // Some exports nest feeds under feeds; their children still count.
      walk(element.elements, folders);
    }
  };
  walk(body.elements, []);
  return { feeds, problems: [] };
}

/** Case-insensitive: exports write xmlUrl, xmlurl or XMLURL. */
function attribute(element: Element, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(element.attributes ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return String(value);
  }
  return undefined;
}

/** OPML 2.0 `category`: comma-separated, each a slash-delimited path ("/Tech/Programming"). */
function categoryTags(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(',').flatMap((path) => path.split('/'));
}

/** Folder names made into valid tags: the characters tags may not hold become "-". */
export function uniqueTags(names: string[]): string[] {
  const tags = names
    .map((name) => name.replace(/[/\\?#%+,]/g, '-').replace(/\s+/g, ' ').trim().slice(0, 64).trim())
    .filter((tag) => tag !== '' && !/^-+$/.test(tag));
  return [...new Set(tags)];
}

/**
 * The line of each <outline> start tag in document order, which is the order walk() visits them. xml-js
 * keeps no positions, so the text is scanned once, skipping comments and CDATA where "<outline" is not a tag.
 */
function outlineLines(text: string): number[] {
  const lines: number[] = [];
  const pattern = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<outline\b/gi;
  let line = 1;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (!match[0].toLowerCase().startsWith('<outline')) continue;
    for (let i = last; i < match.index; i++) if (text.charCodeAt(i) === 10) line++;
    last = match.index;
    lines.push(line);
  }
  return lines;
}

/**
 * A URL compared loosely, so an export listing http:// and https://, or a trailing slash, is one feed.
 * Returns the input when it is not a URL (validation reports it later).
 */
export function feedUrlKey(url: string): string {
  try {
    const parsed = new URL(url.trim());
    return `${parsed.host}${parsed.pathname.replace(/\/+$/, '')}${parsed.search}`;
  } catch {
    return url.trim();
  }
}
