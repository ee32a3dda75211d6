import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';

const feeds = (name: string) => fileURLToPath(new URL(`../fixtures/feeds/${name}`, import.meta.url));
const hostile = (name: string) => fileURLToPath(new URL(`../fixtures/hostile/${name}`, import.meta.url));
const lines = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));

describe('tributary inspect FILE|URL prints the items it would store, as JSON lines', () => {
  const fx = new FixtureServer();
  const dir = mkdtempSync(join(tmpdir(), 'tributary-inspect-'));

  beforeAll(async () => {
    await fx.start();
    fx.routes.set('/podcast.xml', { headers: { 'content-type': 'application/rss+xml; charset=utf-8' }, body: readFileSync(feeds('rss2-podcast-enclosures.xml')) });
    fx.routes.set('/redirect', { status: 301, headers: { location: '/podcast.xml' } });
    fx.routes.set('/page', { headers: { 'content-type': 'text/html' }, body: '<!DOCTYPE html><html><body>Not a feed</body></html>' });
    fx.routes.set('/down', { status: 500, body: 'Internal Server Error' });
    fx.routes.set('/entity', { body: 'leaked' });
  });
  afterAll(() => fx.stop());

  it('reads a Chinese portal file in the given zone: text titles, resolved links, dates in UTC, sanitized HTML', async () => {
    const res = await runCli(['inspect', feeds('chinese-portal.rss.xml'), '--timezone', 'Asia/Shanghai']);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('rss feed "财经频道-要闻", 3 items');
    const items = lines(res.stdout);
    expect(items.map((i) => [i.title, i.published])).toEqual([
      ['国产大模型：既需“仰望星空”也要脚踏实地', '2025-03-09T10:42:00.000Z'],
      ['北京今日晴转多云 气温回升', '2025-03-09T00:05:00.000Z'],
      ['新能源汽车3月销量创新高', '2025-03-09T08:00:00.000Z'],
    ]);
    expect(items[0]).toMatchObject({
      link: 'https://finance.example.com.cn/roll/2025-03-09/doc-inemx001.shtml?from=rss&spm=a1.b2',
      author: { name: '新华社' }, categories: ['财经', '科技'], language: 'zh-CN', sources: ['inspect'], enclosures: [],
    });
    expect(items[0].summary).toContain('<img src="https://finance.example.com.cn/upload/2025/ai.jpg" />');
    expect(items[0].summary).not.toMatch(/onclick|style=/);
    expect(Object.keys(items[0])).toEqual(['id', 'title', 'link', 'published', 'updated', 'author', 'categories', 'summary', 'enclosures', 'language', 'sources']);
  });

  it('reads zone-less dates in UTC without --timezone', async () => {
    const res = await runCli(['inspect', feeds('chinese-portal.rss.xml')]);
    expect(lines(res.stdout)[0].published).toBe('2025-03-09T18:42:00.000Z');
  });

  it('resolves relative links against --url', async () => {
    const res = await runCli(['inspect', feeds('json-feed-1.0.json'), '--url', 'https://jdoe.example.com/feed.json']);
    expect(res.code).toBe(0);
    expect(lines(res.stdout)).toEqual([expect.objectContaining({
      link: 'https://jdoe.example.com/2025/03/09/hello', content: 'Hello &lt;world&gt;<br />second line',
      author: { name: 'J. Doe', uri: 'https://jdoe.example.com/about' },
    })]);
  });

  it('resolves a saved file\'s relative links against the feed\'s own address without --url', async () => {
    const res = await runCli(['inspect', feeds('json-feed-1.0.json')]);
    expect(lines(res.stdout)[0]).toMatchObject({ link: 'https://jdoe.example.com/2025/03/09/hello', title: 'Hello <world> second line' });
  });

  it('decodes a file by the charset of --content-type', async () => {
    // The GBK fixture without its XML declaration: only the content type can name the charset.
    const bytes = readFileSync(feeds('chinanews.gbk.rss.xml'));
    const body = bytes.subarray(bytes.indexOf('\n') + 1);
    const file = join(dir, 'undeclared-gbk.xml');
    writeFileSync(file, body);
    const res = await runCli(['inspect', file, '--content-type', 'text/xml; charset=GB2312']);
    expect(res.code).toBe(0);
    expect(lines(res.stdout).map((i) => i.title)).toContain('喆镕堃：北京今日晴转多云');
  });

  it('fetches a URL with the service\'s fetch code (redirects, User-Agent) and prints every mapped field', async () => {
    const res = await runCli(['inspect', fx.url('/redirect')]);
    expect(res.code).toBe(0);
    expect(fx.requests.find((r) => r.path === '/podcast.xml')?.headers['user-agent']).toMatch(/^Tributary\//);
    const [episode] = lines(res.stdout);
    expect(episode).toMatchObject({
      title: '42: Why radio still matters',
      link: 'https://podcast.example.fm/episodes/42',
      published: '2025-03-04T10:00:00.000Z',
      author: { name: 'Mara Quinn', email: 'hosts@podcast.example.fm' },
      categories: ['Technology', 'Radio'],
      summary: 'A short summary of episode 42.',
      content: '<p>Show notes with <a href="https://podcast.example.fm/links/42">links</a>.</p>',
      enclosures: [
        { url: 'https://cdn.podcast.example.fm/audio/42.mp3', type: 'audio/mpeg', length: 46284672 },
        { url: 'https://cdn.podcast.example.fm/art/42.jpg', type: 'image/jpeg' },
      ],
      language: 'en-GB',
    });
    expect(episode.id).toMatch(/^tag:127\.0\.0\.1,\d{4}-\d{2}-\d{2}:inspect\//);
  });

  it('prints an entry repeated within the document once, as it would be stored', async () => {
    const file = join(dir, 'repeated.xml');
    const entry = '<item><title>Same entry twice</title><guid>dup-1</guid><pubDate>Sun, 09 Mar 2025 10:00:00 GMT</pubDate></item>';
    writeFileSync(file, `<rss version="2.0"><channel><title>Dup</title>${entry}${entry}</channel></rss>`);
    const res = await runCli(['inspect', file]);
    expect(lines(res.stdout)).toHaveLength(1);
  });

  it('takes baseUrl (the id authority) and the default zone from --config', async () => {
    const config = join(dir, 'sources.yaml');
    writeFileSync(config, 'baseUrl: https://news.example.org\ndefaults:\n  timezone: Asia/Shanghai\n');
    const [first] = lines((await runCli(['inspect', feeds('chinese-portal.rss.xml'), '--config', config])).stdout);
    expect(first.id).toMatch(/^tag:news\.example\.org,/);
    expect(first.published).toBe('2025-03-09T10:42:00.000Z');
  });

  it('marks an item without a usable date', async () => {
    const file = join(dir, 'undated.xml');
    writeFileSync(file, '<rss version="2.0"><channel><title>U</title><item><title>When?</title><guid>u</guid><pubDate>yesterday</pubDate></item></channel></rss>');
    const [item] = lines((await runCli(['inspect', file])).stdout);
    expect(item).toMatchObject({ undated: true });
    expect(Date.parse(item.published)).toBeGreaterThan(Date.parse('2025-01-01'));
  });

  it.each([
    ['a missing file', () => ['inspect', join(dir, 'missing.xml')], /cannot read .*missing\.xml: ENOENT/],
    ['an HTML page', () => ['inspect', fx.url('/page')], /\/page: not a feed: the body is an HTML page/],
    ['an HTTP error', () => ['inspect', fx.url('/down')], /\/down: HTTP 500/],
    ['billion laughs', () => ['inspect', hostile('billion-laughs.rss.xml')], /DOCTYPE declares entity "lol"/],
    ['a bad --timezone', () => ['inspect', feeds('chinese-portal.rss.xml'), '--timezone', 'Mars/Olympus'], /--timezone Mars\/Olympus is not an IANA time zone/],
    ['a relative --url', () => ['inspect', feeds('chinese-portal.rss.xml'), '--url', '/feed.xml'], /--url \/feed\.xml is not an absolute/],
    ['--content-type with a URL', () => ['inspect', fx.url('/podcast.xml'), '--content-type', 'text/xml'], /--content-type applies to a FILE/],
  ])('fails with a clear message and exit 1 for %s', async (_what, args, message) => {
    const res = await runCli(args());
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(message);
    expect(res.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it('reads no local file for an XXE feed and requests nothing for an http one', async () => {
    const local = await runCli(['inspect', hostile('xxe-file.rss.xml')]);
    expect(local.code).toBe(1);
    expect(local.stderr).toMatch(/entity "xxe", which refers to an external resource/);
    expect(local.stdout + local.stderr).not.toMatch(/root:|nologin/);
    const file = join(dir, 'xxe-http.xml');
    writeFileSync(file, readFileSync(hostile('xxe-http.rss.xml'), 'utf8').replaceAll('{{FIXTURE}}', fx.base));
    const before = fx.requests.length;
    expect((await runCli(['inspect', file])).code).toBe(1);
    expect(fx.requests.slice(before)).toEqual([]);
  });

  it('asks for a target when none is given (exit 2)', async () => {
    const res = await runCli(['inspect']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('tributary inspect needs exactly one FILE or URL');
  });
});
