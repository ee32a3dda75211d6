// Issue 14.4: a source's markup never reaches a reader as markup. Sources whose channel and item titles, authors
// and categories carry <img onerror>, <script>, <b>, entities, and Atom titles in type="html", "xhtml" and base64,
// a config title and an OPML title of the same kind: every output feed, in every format, and the index are read
// as a reader reads them, and what a reader would render as HTML must hold no element, while the text is kept.
import { VIEW_SCRIPT } from '../../src/render/page-style.ts';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'cheerio';
import sax from 'sax';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { sharedReaders } from '../helpers/shared-readers.ts';

const SITE = 'Test Wire';
const RSS_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>';
const DATE = 'Mon, 10 Mar 2025 10:00:00 GMT';
const hostile = (name: string) => readFileSync(new URL(`../fixtures/hostile/${name}`, import.meta.url), 'utf8');

// Escaped img/script/svg/b/i in the channel title, item titles, dc:creator and categories; an item title in CDATA.
const NEWS_RSS = hostile('markup-in-titles.rss.xml');
// Atom titles of each kind that holds markup: type="html", type="xhtml", Atom 0.3 mode="base64".
const HTML_ATOM = hostile('markup-in-title-html.atom.xml');
const XHTML_ATOM = hostile('markup-in-title-xhtml.atom.xml');
const BASE64_ATOM03 = hostile('markup-in-title-base64.atom03.xml');

const plainRss = (title: string, item: string, host: string) => `${RSS_HEAD}<title>${title}</title><link>https://${host}/</link><description>d</description>
<item><title>${item}</title><link>https://${host}/1</link><pubDate>${DATE}</pubDate></item></channel></rss>`;

/** The name each source has in the feeds and the index, and its items' titles, as a reader must see them. */
const EXPECTED: Record<string, { title: string; items: string[] }> = {
  news: { title: 'News', items: ['Bold move by AT&T', 'Why <script>alert(1)</script> is text', 'Using <img src=x onerror=alert(4)> in docs'] },
  views: { title: 'Views & Reviews', items: ['Deep dive'] },
  space: { title: 'Deep Space & Time', items: ['Entry bold'] },
  b64: { title: 'Base64 Wire', items: ['Coded entry'] },
  // A config file's title is the operator's literal text.
  desk: { title: 'Desk <script>alert(1)</script> & Co', items: ['Desk story'] },
  // An OPML file's title comes from a stranger: read as a feed title is.
  wire: { title: 'Wire', items: ['Wire story'] },
};
const AUTHORS = ['Jane Doe', 'Eve <script>alert(2)</script>', 'Ann'];
const CATEGORIES = ['Politics', 'Tech'];

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** A strict XML parse (sax, as any reader's XML parser): element text with entities and CDATA decoded once. */
function parseXml(xml: string): XmlElement {
  const parser = sax.parser(true, {});
  const root: XmlElement = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  parser.onopentag = (tag) => {
    const element = { name: tag.name, attrs: tag.attributes as Record<string, string>, children: [], text: '' };
    stack.at(-1)!.children.push(element);
    stack.push(element);
  };
  parser.onclosetag = () => void stack.pop();
  parser.ontext = parser.oncdata = (text) => void (stack.at(-1)!.text += text);
  parser.write(xml).close();
  return root.children[0]!;
}

const kids = (el: XmlElement | undefined, name: string) => el?.children.filter((c) => c.name === name) ?? [];
const kid = (el: XmlElement | undefined, name: string) => kids(el, name)[0];

/** What a reader that renders the text as HTML shows, and the elements it would create doing so. */
function asHtml(text: string): { elements: string[]; shown: string } {
  const $ = load(text, null, false);
  return { elements: $('*').toArray().map((e) => (e as { tagName?: string }).tagName ?? '?'), shown: $.root().text() };
}

/** Text rendered as HTML must create no element; returns what is shown. */
function shownAsHtml(text: string, where: string): string {
  const { elements, shown } = asHtml(text);
  expect(elements, `${where}: ${JSON.stringify(text)}`).toEqual([]);
  return shown;
}

interface ReadFeed {
  title: string;
  description: string;
  items: { title: string; authors: string[]; categories: string[]; source?: string }[];
}

/** RSS as a reader that renders every text element as HTML reads it: none may hold an element. */
function readRss(xml: string, where: string): ReadFeed {
  // Outside CDATA an escaped tag is a tag once decoded; inside, a raw one is. Neither may be there.
  const outside = xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  expect(outside, where).not.toMatch(/&lt;(img|script|svg|b|i|em)\b/i);
  for (const [, cdata] of xml.matchAll(/<!\[CDATA\[([\s\S]*?)\]\]>/g)) expect(cdata, where).not.toMatch(/<(img|script|svg)\b/i);
  const channel = kid(parseXml(xml), 'channel')!;
  const html = (el: XmlElement | undefined, what: string) => (el ? shownAsHtml(el.text, `${where} ${what}`) : '');
  html(kid(kid(channel, 'image'), 'title'), 'image title');
  return {
    title: html(kid(channel, 'title'), 'channel title'),
    description: html(kid(channel, 'description'), 'channel description'),
    items: kids(channel, 'item').map((item) => {
      shownAsHtml(kid(item, 'description')?.text ?? '', `${where} item description`);
      const source = kid(item, 'source');
      return {
        title: html(kid(item, 'title'), 'item title'),
        authors: [...kids(item, 'dc:creator'), ...kids(item, 'author')].map((a) => html(a, 'author')),
        categories: kids(item, 'category').map((c) => html(c, 'category')),
        ...(source ? { source: html(source, 'source') } : {}),
      };
    }),
  };
}

/** Atom as RFC 4287 says: type="html" is rendered (it must hold no element), other text is text. */
function readAtom(xml: string, where: string): ReadFeed {
  const feed = parseXml(xml);
  const text = (el: XmlElement | undefined, what: string) => {
    if (!el) return '';
    const type = el.attrs.type ?? 'text';
    expect(['text', 'html'], `${where} ${what}`).toContain(type);
    return type === 'html' ? shownAsHtml(el.text, `${where} ${what}`) : el.text;
  };
  return {
    title: text(kid(feed, 'title'), 'feed title'),
    description: text(kid(feed, 'subtitle'), 'subtitle'),
    items: kids(feed, 'entry').map((entry) => {
      const source = kid(entry, 'source');
      return {
        title: text(kid(entry, 'title'), 'entry title'),
        authors: kids(entry, 'author').map((a) => kid(a, 'name')?.text ?? ''),
        categories: kids(entry, 'category').map((c) => c.attrs.label ?? c.attrs.term ?? ''),
        ...(source ? { source: text(kid(source, 'title'), 'source title') } : {}),
      };
    }),
  };
}

/** JSON Feed: strings are text; they are compared as such. */
function readJson(body: string): ReadFeed {
  const doc = JSON.parse(body) as Record<string, any>;
  return {
    title: doc.title, description: doc.description ?? '',
    items: (doc.items as Record<string, any>[]).map((item) => ({
      title: item.title, authors: (item.authors ?? []).map((a: Record<string, string>) => a.name), categories: item.tags ?? [],
      ...(item._source ? { source: item._source.title } : {}),
    })),
  };
}

const READERS = { rss: readRss, atom: readAtom, json: (body: string) => readJson(body) };
const ALL_ITEMS = Object.values(EXPECTED).flatMap((s) => s.items).sort();
const ALL_SOURCES = Object.values(EXPECTED).map((s) => s.title);

describe('source markup never reaches a reader as markup', () => {
  const fx = new FixtureServer();
  let app: App;
  let base = '';

  beforeAll(async () => {
    await fx.start();
    const route = (path: string, type: string, body: string) => fx.routes.set(path, { headers: { 'content-type': type }, body });
    route('/news.rss', 'application/rss+xml', NEWS_RSS);
    route('/views.atom', 'application/atom+xml', HTML_ATOM);
    route('/space.atom', 'application/atom+xml', XHTML_ATOM);
    route('/b64.atom', 'application/atom+xml', BASE64_ATOM03);
    route('/desk.rss', 'application/rss+xml', plainRss('Desk feed title', 'Desk story', 'desk.example.org'));
    route('/wire.rss', 'application/rss+xml', plainRss('Wire feed title', 'Wire story', 'wire.example.org'));
    const dir = mkdtempSync(join(tmpdir(), 'tributary-plain-'));
    const source = (id: string, path: string, extra = '') => `  - id: ${id}\n    url: ${fx.url(path)}\n    tags: [probe]\n${extra}`;
    writeFileSync(join(dir, 'sources.yaml'), `title: ${SITE}\nbaseUrl: http://tributary.test\nsources:\n${source('news', '/news.rss')}${source('views', '/views.atom')}`
      + `${source('space', '/space.atom')}${source('b64', '/b64.atom')}${source('desk', '/desk.rss', '    title: "Desk <script>alert(1)</script> & Co"\n')}`);
    writeFileSync(join(dir, 'reader.opml'), `<?xml version="1.0" encoding="utf-8"?><opml version="2.0"><head><title>x</title></head><body>
<outline text="probe"><outline type="rss" text="Wire &amp;lt;img src=x onerror=alert(1)&amp;gt;" xmlUrl="${fx.url('/wire.rss')}"/></outline></body></opml>`);
    const config = await loadConfig(dir);
    app = await App.open({ config, dataDir: mkdtempSync(join(tmpdir(), 'tributary-plain-data-')), logger: silentLogger(), readers: sharedReaders() });
    base = `http://127.0.0.1:${(await app.listen(0, '127.0.0.1')).port}`;
    await app.runCycle();
  });

  afterAll(async () => {
    await app?.close();
    await fx.stop();
  });

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    expect(res.status, path).toBe(200);
    return res.text();
  };

  /** The OPML source's id: derived from the outline's text as written, as before titles became plain text. */
  const idOf = (key: string) => (key === 'wire' ? 'wire-lt-img-src-x-onerror-alert-1-gt' : key);

  it('keeps the id an OPML outline always gave its source', () => {
    expect(app.config.sources.find((s) => s.url.endsWith('/wire.rss'))!.id).toBe(idOf('wire'));
  });

  it('shows each source\'s own feed, in every format, with its name and items as text', async () => {
    for (const [key, expected] of Object.entries(EXPECTED)) {
      for (const format of ['rss', 'atom', 'json'] as const) {
        const path = `/feeds/sources/${idOf(key)}.${format}`;
        const feed = READERS[format](await get(path), path);
        expect(feed.title, path).toBe(`${SITE} · ${expected.title}`);
        expect(feed.description, path).toBe(`Items of ${expected.title}`);
        expect(feed.items.map((i) => i.title).sort(), path).toEqual([...expected.items].sort());
      }
    }
  });

  it('shows latest and the tag feed with every item, author, category and source name as text', async () => {
    for (const path of ['/feeds/latest', '/feeds/tags/probe']) {
      for (const format of ['rss', 'atom', 'json'] as const) {
        const feed = READERS[format](await get(`${path}.${format}`), `${path}.${format}`);
        expect(feed.items.map((i) => i.title).sort(), `${path}.${format}`).toEqual(ALL_ITEMS);
        const authors = feed.items.flatMap((i) => i.authors);
        for (const author of AUTHORS) expect(authors, `${path}.${format}`).toContain(author);
        const categories = feed.items.flatMap((i) => i.categories);
        for (const category of CATEGORIES) expect(categories, `${path}.${format}`).toContain(category);
        for (const item of feed.items) expect(ALL_SOURCES, `${path}.${format} ${item.title}`).toContain(item.source);
      }
    }
  });

  it('lists every source on the index page by its name as text, with no element of a source in it', async () => {
    const $ = load(await get('/'));
    expect($('img, svg, iframe').length).toBe(0);
    // the one script is the page's own (relative times), which the Content-Security-Policy names by its hash
    expect($('script').toArray().map((e) => $(e).text())).toEqual([VIEW_SCRIPT]);
    const handlers = $('*').toArray().flatMap((e) => Object.keys((e as { attribs?: Record<string, string> }).attribs ?? {}).filter((name) => name.startsWith('on')));
    expect(handlers).toEqual([]);
    const rows = $('li strong').toArray().map((e) => $(e).text());
    for (const { title } of Object.values(EXPECTED)) {
      expect(rows).toContain(`${SITE} · ${title}`);
      expect($('ul.health li > a').toArray().map((e) => $(e).text())).toContain(title);
    }
  });
});

describe('items stored before the plain-text gate', () => {
  const fx = new FixtureServer();
  let app: App;
  let base = '';
  const OLD_TITLE = '<img src=x onerror=alert(1)>Old <b>title</b>';

  beforeAll(async () => {
    await fx.start();
    fx.routes.set('/old.rss', { status: 500, body: 'down' });
    const dir = mkdtempSync(join(tmpdir(), 'tributary-plain-old-'));
    const data = join(dir, 'data');
    const published = '2025-03-10T10:00:00.000Z';
    const item = {
      id: 'https://old.example.org/1', sourceId: 'old', key: 'g:https://old.example.org/1', title: OLD_TITLE,
      link: 'https://old.example.org/1', published, updated: published, firstSeen: published,
      author: { name: 'Mallory <script>alert(1)</script>' }, categories: ['<i>Old</i>'], enclosures: [], alsoIn: [], hash: 'old',
    };
    mkdirSync(data);
    writeFileSync(join(data, 'store.json'), JSON.stringify({ version: 2, generation: 1, savedAt: published, items: [item] }));
    writeFileSync(join(data, 'sources.json'), JSON.stringify({ version: 2, sources: {
      old: { id: 'old', feedTitle: 'Old <img src=x onerror=alert(1)>feed', consecutiveFailures: 0 },
    } }));
    writeFileSync(join(dir, 'sources.yaml'), `title: ${SITE}\nbaseUrl: http://tributary.test\nsources:\n  - id: old\n    url: ${fx.url('/old.rss')}\n    tags: [probe]\n`);
    app = await App.open({ config: await loadConfig(join(dir, 'sources.yaml')), dataDir: data, logger: silentLogger(), readers: sharedReaders() });
    base = `http://127.0.0.1:${(await app.listen(0, '127.0.0.1')).port}`;
  });

  afterAll(async () => {
    await app?.close();
    await fx.stop();
  });

  it('serves their titles, authors, categories and the stored feed title as text in every format', async () => {
    for (const format of ['rss', 'atom', 'json'] as const) {
      for (const path of ['/feeds/sources/old', '/feeds/latest']) {
        const res = await fetch(`${base}${path}.${format}`);
        expect(res.status).toBe(200);
        const feed = READERS[format](await res.text(), `${path}.${format}`);
        // Stored titles were text already: what looks like a tag is shown as the characters it is.
        expect(feed.items.map((i) => i.title)).toEqual([OLD_TITLE]);
        expect(feed.items[0]!.authors).toEqual(['Mallory <script>alert(1)</script>']);
        if (path.includes('old')) expect(feed.title).toBe(`${SITE} · Old feed`);
      }
    }
    const $ = load(await (await fetch(`${base}/`)).text());
    expect($('img').length).toBe(0);
    expect($('script').toArray().map((e) => $(e).text())).toEqual([VIEW_SCRIPT]);
    expect($('li strong').toArray().map((e) => $(e).text())).toContain(`${SITE} · Old feed`);
  });
});
