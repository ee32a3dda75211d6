import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { lintAtom, lintJsonFeed, lintRss } from '../helpers/feed-lint.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { sharedReaders } from '../helpers/shared-readers.ts';

const fixture = (dir: string, name: string) => readFileSync(new URL(`../fixtures/${dir}/${name}`, import.meta.url));
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', textNodeName: '#text', isArray: (name) => ['entry', 'link', 'category', 'author', 'item'].includes(name) });

type Json = Record<string, any>;

describe('items as readers get them: every mapped field, cross-source dedupe, hostile sources', () => {
  const fx = new FixtureServer();
  let app: App;

  beforeAll(async () => {
    await fx.start();
    const serve = (path: string, dir: string, name: string, type = 'application/xml') => fx.routes.set(path, { headers: { 'content-type': type }, body: fixture(dir, name) });
    serve('/podcast.xml', 'feeds', 'rss2-podcast-enclosures.xml', 'application/rss+xml');
    serve('/blog.atom', 'feeds', 'atom1-xml-base-xhtml.atom.xml', 'application/atom+xml');
    serve('/science.rdf', 'feeds', 'rss1-rdf-dublin-core.rdf');
    serve('/portal.xml', 'feeds', 'chinese-portal.rss.xml');
    serve('/syndication.xml', 'feeds', 'chinese-portal-syndication.rss.xml');
    serve('/tiny.json', 'feeds', 'json-feed-1.1-podcast.json', 'application/feed+json');
    serve('/xxe.xml', 'hostile', 'xxe-file.rss.xml');
    fx.routes.set('/xxe-http.xml', { body: fixture('hostile', 'xxe-http.rss.xml').toString('utf8').replaceAll('{{FIXTURE}}', fx.base) });
    fx.routes.set('/entity', { body: 'leaked' });
    const config = parseConfig(`title: Wire
baseUrl: http://127.0.0.1:8080
fetch:
  concurrency: 1
sources:
  - { id: podcast, url: "${fx.url('/podcast.xml')}", tags: [audio] }
  - { id: blog, url: "${fx.url('/blog.atom')}", tags: [blogs] }
  - { id: science, url: "${fx.url('/science.rdf')}", tags: [science] }
  - { id: portal, url: "${fx.url('/portal.xml')}", tags: [财经], timezone: Asia/Shanghai }
  - { id: syndication, url: "${fx.url('/syndication.xml')}", tags: [科技], timezone: Asia/Shanghai }
  - { id: tiny, url: "${fx.url('/tiny.json')}", tags: [audio] }
  - { id: xxe, url: "${fx.url('/xxe.xml')}", tags: [news] }
  - { id: xxe-http, url: "${fx.url('/xxe-http.xml')}", tags: [news] }
`, 'sources.yaml');
    // One source at a time, so "first stored" is the order of the config.
    app = await App.open({ config, dataDir: mkdtempSync(join(tmpdir(), 'tributary-items-')), logger: silentLogger(), readers: sharedReaders() });
    await app.runCycle();
  });

  afterAll(async () => {
    await app.close();
    await fx.stop();
  });

  const body = (path: string, format: 'atom' | 'rss' | 'json') => app.feeds.get(path, format)!.body.toString('utf8');
  const jsonItems = (path: string) => JSON.parse(body(path, 'json')).items as Json[];
  const atomEntries = (path: string) => xml.parse(body(path, 'atom')).feed.entry as Json[];

  it('carries a podcast episode\'s author, categories, summary, content, enclosures and language into JSON Feed', () => {
    const episode = jsonItems('sources/podcast').find((i) => i.title === '42: Why radio still matters')!;
    expect(episode).toMatchObject({
      url: 'https://podcast.example.fm/episodes/42',
      date_published: '2025-03-04T10:00:00.000Z',
      authors: [{ name: 'Mara Quinn', url: 'mailto:hosts@podcast.example.fm' }],
      summary: 'A short summary of episode 42.',
      content_html: '<p>Show notes with <a href="https://podcast.example.fm/links/42">links</a>.</p>',
      language: 'en-GB',
      attachments: [
        { url: 'https://cdn.podcast.example.fm/audio/42.mp3', mime_type: 'audio/mpeg', size_in_bytes: 46284672 },
        { url: 'https://cdn.podcast.example.fm/art/42.jpg', mime_type: 'image/jpeg' },
      ],
    });
    expect(episode.tags).toEqual(expect.arrayContaining(['audio', 'Technology', 'Radio']));
  });

  it('carries the same fields into Atom: author e-mail and uri, categories, typed enclosure links, xml:lang, both dates', () => {
    const entries = atomEntries('sources/blog');
    const tides = entries.find((e) => e.id === 'https://blog.example.org/2025/03/tides')!;
    expect(tides['@xml:lang']).toBe('en');
    expect(tides.published).toBe('2025-03-09T07:00:00.000Z');
    expect(tides.updated).toBe('2025-03-09T09:30:00.000Z');
    expect(tides.author).toEqual([{ name: 'Lee Chen', email: 'lee@blog.example.org', uri: 'https://blog.example.org/about' }]);
    expect(tides.category.map((c: Json) => c['@term'])).toEqual(expect.arrayContaining(['blogs', 'Ocean', 'science']));
    expect(tides.link).toEqual(expect.arrayContaining([
      expect.objectContaining({ '@href': 'https://blog.example.org/2025/03/tides.html' }),
      { '@rel': 'enclosure', '@href': 'https://blog.example.org/2025/03/img/tides.jpg', '@type': 'image/jpeg', '@length': '48213' },
    ]));
    expect(tides.summary['#text']).toBe('Why 3 &lt; 4 &amp; the moon matters');
    expect(tides.content['#text']).toContain('<a href="https://media.example.org/notes/tables.html">see tables</a>');
    expect(tides.content['#text']).toContain('<a href="https://other.example.net/x.html">elsewhere</a>');
    const ete = entries.find((e) => e.id === 'urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a')!;
    expect(ete['@xml:lang']).toBe('fr');
    expect(ete.link[0]['@href']).toBe('https://blog.example.org/ete.html');
    expect(ete.content['#text']).toContain('<img src="https://blog.example.org/soleil.jpg" />');
  });

  it('types an audio enclosure as audio in every format (feed@6 alone would call it image/mp3)', () => {
    const rss = xml.parse(body('sources/podcast', 'rss')).rss.channel.item as Json[];
    expect(rss[0]!.enclosure).toMatchObject({ '@url': 'https://cdn.podcast.example.fm/audio/42.mp3', '@type': 'audio/mpeg', '@length': '46284672' });
    const atom = atomEntries('sources/podcast')[0]!;
    expect(atom.link.filter((l: Json) => l['@rel'] === 'enclosure').map((l: Json) => l['@type'])).toEqual(['audio/mpeg', 'image/jpeg']);
    expect(body('sources/podcast', 'atom')).not.toContain('image/mp3');
  });

  it('carries RDF and JSON Feed items\' languages and authors', () => {
    const [neutrino] = jsonItems('sources/science');
    expect(neutrino).toMatchObject({ title: 'ニュートリノ観測で新発見', language: 'ja', authors: [{ name: '山田 花子' }] });
    expect(neutrino!.tags).toEqual(expect.arrayContaining(['物理', '観測']));
    const [episode] = jsonItems('sources/tiny');
    expect(episode).toMatchObject({ language: 'de-AT', authors: [{ name: 'Anna Berger', url: 'mailto:anna@tiny.example.org' }],
      attachments: [{ url: 'https://tiny.example.org/audio/3.mp3', mime_type: 'audio/mpeg', size_in_bytes: 31457280 }] });
    expect(episode!.content_html).toBe('<p>Shownotes </p>');
  });

  it('keeps a story syndicated under another title form once, in the tag feeds of both sources', () => {
    const story = (path: string) => jsonItems(path).filter((i) => i.title.startsWith('国产大模型'));
    expect(story('latest')).toHaveLength(1);
    expect(story('latest')[0]).toMatchObject({ title: '国产大模型：既需“仰望星空”也要脚踏实地' });
    expect(story(`tags/财经`)).toHaveLength(1);
    expect(story(`tags/科技`)).toHaveLength(1);
    expect(story('sources/syndication')).toHaveLength(1);
    const stored = app.store.items().filter((i) => i.title.startsWith('国产大模型'));
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ sourceId: 'portal', alsoIn: ['syndication'] });
    // The other story of the syndicating source is its own.
    expect(jsonItems(`tags/科技`).map((i) => i.title)).toContain('芯片企业加快布局先进封装技术');
  });

  it('records a hostile source as that source\'s error, reads no file, requests nothing, and serves the rest', () => {
    const states = app.store.sourceStates();
    expect(states.xxe).toMatchObject({ consecutiveFailures: 1, lastError: expect.stringMatching(/entity "xxe".*external/) });
    expect(states['xxe-http']).toMatchObject({ consecutiveFailures: 1 });
    expect(fx.requests.map((r) => r.path)).not.toContain('/entity');
    expect(JSON.stringify(app.store.items())).not.toMatch(/root:|nologin/);
    expect(states.podcast).toMatchObject({ consecutiveFailures: 0 });
  });

  it('renders valid Atom, RSS and JSON Feed with the new fields', () => {
    for (const path of ['latest', 'sources/podcast', 'sources/blog', 'sources/science', 'sources/tiny', 'tags/audio']) {
      expect(lintAtom(body(path, 'atom')), `${path}.atom`).toEqual([]);
      expect(lintRss(body(path, 'rss')), `${path}.rss`).toEqual([]);
      expect(lintJsonFeed(body(path, 'json')), `${path}.json`).toEqual([]);
    }
  });

  it('changes no output when the same documents are fetched again', async () => {
    const before = body('latest', 'atom');
    const report = await app.runCycle();
    expect(report).toMatchObject({ added: 0, updated: 0, rendered: [] });
    expect(body('latest', 'atom')).toBe(before);
  });
});
