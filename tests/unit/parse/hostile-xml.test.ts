import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBody } from '../../../src/fetch/charset.ts';
import { parseFeed } from '../../../src/parse/parse-feed.ts';
import { prepareXml } from '../../../src/parse/prepare-xml.ts';
import { scanXml } from '../../../src/parse/xml-scan.ts';
import { FixtureServer } from '../../helpers/fixture-server.ts';

const hostile = (name: string) => readFileSync(new URL(`../../fixtures/hostile/${name}`, import.meta.url));

describe('hostile XML is a per-feed error that reads nothing, fetches nothing and expands nothing', () => {
  const fx = new FixtureServer();
  const withServer = (name: string) => hostile(name).toString('utf8').replaceAll('{{FIXTURE}}', fx.base);

  beforeAll(async () => {
    await fx.start();
    // Anything the parser might fetch would be answered, and counted.
    for (const path of ['/entity', '/evil.dtd', '/rss-2.0.dtd']) fx.routes.set(path, { body: '<!ENTITY send "leaked">' });
  });
  afterAll(() => fx.stop());

  it('rejects an external entity on a local file without reading it', async () => {
    const error = await parseFeed(hostile('xxe-file.rss.xml').toString('utf8')).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'XmlEntityError', entity: 'xxe', reason: 'external' });
    expect((error as Error).message).not.toMatch(/root:|nologin/);
  });

  it.each([
    ['an external general entity', 'xxe-http.rss.xml', 'xxe', 'external'],
    ['a parameter entity pulling a remote DTD', 'xxe-parameter-entity.rss.xml', 'remote', 'parameter'],
  ])('rejects %s without any request to the server it names', async (_what, name, entity, reason) => {
    await expect(parseFeed(withServer(name))).rejects.toMatchObject({ name: 'XmlEntityError', entity, reason });
    expect(fx.requests).toEqual([]);
  });

  it('reads a feed whose DOCTYPE names an external DTD, without fetching the DTD', async () => {
    const feed = await parseFeed(withServer('external-dtd.rss.xml'));
    expect(feed.items.map((i) => i.title)).toEqual(['Still readable']);
    expect(fx.requests).toEqual([]);
  });

  it.each([
    ['billion laughs (nested entities)', 'billion-laughs.rss.xml', 'lol'],
    ['quadratic blowup (one huge entity, referenced 2,000 times)', 'quadratic-blowup.rss.xml', 'a'],
  ])('rejects %s before anything is expanded', async (_what, name, entity) => {
    await expect(parseFeed(hostile(name).toString('utf8'))).rejects.toMatchObject({ name: 'XmlEntityError', entity, reason: 'text' });
  });

  it('rejects 100,000 nested elements at the depth bound instead of exhausting the stack', async () => {
    const deep = `<rss version="2.0"><channel><item><description>${'<div>'.repeat(100_000)}x${'</div>'.repeat(100_000)}</description></item></channel></rss>`;
    await expect(parseFeed(deep)).rejects.toMatchObject({ name: 'XmlLimitError', limit: 'depth', max: 256 });
  });

  it('stops reading at the time budget, on the clock it is given', async () => {
    let now = 0;
    const clock = () => (now += 1); // every look at the clock costs a millisecond
    const items = Array.from({ length: 5000 }, (_, i) => `<item><title>t${i}</title></item>`).join('');
    const body = `<rss version="2.0"><channel>${items}</channel></rss>`;
    await expect(parseFeed(body, { limits: { timeBudgetMs: 5, clock } })).rejects.toMatchObject({ name: 'XmlLimitError', limit: 'time', max: 5 });
    await expect(parseFeed(body, { limits: { timeBudgetMs: 1_000_000, clock } })).resolves.toMatchObject({ format: 'rss' });
  });

  it('with a CPU clock, counts the CPU time, and looks at it only once the wall time passed the budget', async () => {
    const items = Array.from({ length: 5000 }, (_, i) => `<item><title>t${i}</title></item>`).join('');
    const body = `<rss version="2.0"><channel>${items}</channel></rss>`;
    // the wall clock races past the budget at every look; the thread got no CPU meanwhile: the document is read
    let now = 0;
    let cpuLooks = 0;
    const starved = { timeBudgetMs: 5, clock: () => (now += 1), cpuClock: () => (cpuLooks++, 0) };
    await expect(parseFeed(body, { limits: starved })).resolves.toMatchObject({ format: 'rss' });
    expect(cpuLooks).toBeGreaterThan(1);
    // the same with the CPU time spent as fast as the wall time: stopped at the budget
    let cpu = 0;
    await expect(parseFeed(body, { limits: { timeBudgetMs: 5, clock: () => (now += 1), cpuClock: () => (cpu += 1) } }))
      .rejects.toMatchObject({ name: 'XmlLimitError', limit: 'time', max: 5 });
    // while the wall clock stays within the budget, the CPU clock is read once, at the start
    cpuLooks = 0;
    await expect(parseFeed(body, { limits: { timeBudgetMs: 1_000_000, clock: () => (now += 1), cpuClock: () => (cpuLooks++, 0) } })).resolves.toMatchObject({ format: 'rss' });
    expect(cpuLooks).toBe(1);
  });

  it('holds the xml2js pass to the same budget as the scan before it', async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => `<item><title>t${i}</title></item>`).join('');
    const body = `<rss version="2.0"><channel>${items}</channel></rss>`;
    let reads = 0;
    scanXml(prepareXml(body), { limits: { clock: () => ++reads, timeBudgetMs: Number.MAX_SAFE_INTEGER } });
    // Enough clock for the scan alone, not for the second pass.
    let now = 0;
    await expect(parseFeed(body, { limits: { clock: () => ++now, timeBudgetMs: reads + 1 } })).rejects.toMatchObject({ name: 'XmlLimitError', limit: 'time' });
    expect(now).toBeGreaterThan(reads + 1);
    // A parse stopped mid-document leaves nothing behind for the next one.
    await expect(parseFeed(`<rss version="2.0"><channel><item><title>${'x'.repeat(30_000)}</title></item></channel></rss>`)).resolves.toMatchObject({ format: 'rss' });
  });

  // Each of these took time quadratic in its size before (rss-parser's snippet regexes, a DOCTYPE regex):
  // at these sizes, hours. They must finish like any feed of their size.
  it.each([
    ['"<p" repeated in content:encoded', `<rss version="2.0"><channel><item><guid>g</guid><content:encoded>${'&lt;p'.repeat(200_000)}</content:encoded></item></channel></rss>`],
    ['"<p" repeated in an Atom content', `<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>i</id><content type="html">${'&lt;p'.repeat(200_000)}</content></entry></feed>`],
    ['an item with 50,000 enclosures', `<rss version="2.0"><channel><item><guid>g</guid>${Array.from({ length: 50_000 }, (_, i) => `<enclosure url="https://a.example/${i}.mp3"/>`).join('')}</item></channel></rss>`],
  ])('reads %s in linear time', async (_what, body) => {
    const feed = await parseFeed(body);
    expect(feed.items).toHaveLength(1);
  });

  it('rejects many unterminated DOCTYPE openings in linear time', async () => {
    await expect(parseFeed(`<?xml version="1.0"?>${'<!DOCTYPE['.repeat(200_000)}`)).rejects.toMatchObject({ name: 'FeedParseError' });
  });

  it('reads invalid UTF-8 with replacement characters instead of failing the feed', async () => {
    const decoded = decodeBody(hostile('invalid-utf8.rss.xml'), { contentType: 'application/rss+xml' });
    const feed = await parseFeed(decoded.text);
    expect(feed.items[0]!.title).toMatch(/^Café \uFFFD na\uFFFD/);
    expect(feed.items[0]!.title).toMatch(/ ok$/);
  });

  it('drops control characters and illegal character references, keeps tab', async () => {
    const feed = await parseFeed(hostile('control-characters.rss.xml').toString('utf8'));
    expect(feed.title).toBe('Control characters');
    expect(feed.items[0]!.title).toBe('Tab\there, bell, verticaltab, escape[31m red');
    expect(feed.items[0]!.summary).toBe('NUL and formfeed   ');
  });
});
