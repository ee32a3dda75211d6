import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { runCli, startService } from '../helpers/cli.ts';
import { atomEntries, lintAtom, lintJsonFeed, lintRss } from '../helpers/feed-lint.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { configText, fixture, RULES, serveFixtures } from '../helpers/vertical-fixtures.ts';
import { sharedReaders } from '../helpers/shared-readers.ts';

const tagPath = (name: string) => `/feeds/tags/${name.split(/([+,])/).map((t) => (/^[+,]$/.test(t) ? t : encodeURIComponent(t))).join('')}.atom`;

describe('vertical feeds: rules, source filters and composed tags through the real service', () => {
  const fx = new FixtureServer();
  let app: App;
  let base: string;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
  const titles = async (path: string) => {
    const res = await get(path);
    expect(res.status, path).toBe(200);
    return atomEntries(await res.text()).map((e) => e.title);
  };

  beforeAll(async () => {
    await fx.start();
    serveFixtures(fx);
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-vertical-'));
    app = await App.open({ config: parseConfig(configText(fx), 'sources.yaml'), dataDir, logger: silentLogger(), readers: sharedReaders() });
    const address = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
    const report = await app.runCycle();
    expect(report.sources.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
  });

  afterAll(async () => {
    await app.close();
    await fx.stop();
  });

  it('routes Chinese and English items into the AI feed by keyword, full-width keyword and regex', async () => {
    expect(await titles('/feeds/tags/ai.atom')).toEqual([
      '国产大模型：推理成本一年下降九成',
      'Why today\'s llms still hallucinate',
      'ＤｅｅｐＳｅｅｋ 发布新一代开源模型',
    ]);
  });

  it('leaves out of the AI feed an item with an exclude word, a source the rule does not list, and words merely containing AI', async () => {
    const ai = await titles('/feeds/tags/ai.atom');
    expect(ai).not.toContain('人工智能训练营 限时报名');
    expect(ai).not.toContain('Notes on LLM tooling');
    expect(ai).not.toContain('Minister said AIDS funding will rise');
    expect(await titles('/feeds/latest.atom')).toEqual(expect.arrayContaining(['人工智能训练营 限时报名', 'Notes on LLM tooling']));
  });

  it('routes items by their own <category>, from any source', async () => {
    expect(await titles(tagPath('科技'))).toEqual(['Notes on LLM tooling', '国产大模型：推理成本一年下降九成', 'Why today\'s llms still hallucinate']);
    expect(await titles('/feeds/tags/finance.atom')).toEqual(['Markets rally as chip stocks soar', '央行：稳健的货币政策要灵活适度']);
  });

  it('drops the items a source filter excludes before storing them', async () => {
    expect(app.store.items().filter((i) => i.sourceId === 'portal').map((i) => i.title)).not.toContain('[广告] 夏季大促 全场五折');
    expect(app.store.items().filter((i) => i.sourceId === 'portal')).toHaveLength(6);
    expect(await titles('/feeds/latest.atom')).not.toContain('[广告] 夏季大促 全场五折');
  });

  it('survives a regex that would backtrack for ages on a title of forty a\'s, and tags nothing with it', async () => {
    expect(app.store.items().map((i) => i.title)).toContain('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!');
    expect(await titles('/feeds/tags/keyboard.atom')).toEqual([]);
  });

  it('writes rule tags as categories next to the source tags', async () => {
    const entries = atomEntries(await (await get('/feeds/latest.atom')).text());
    expect(entries.find((e) => e.title.startsWith('国产大模型'))!.categories).toEqual(['新闻', 'china', 'ai', '科技']);
    expect(entries.find((e) => e.title.startsWith('Markets'))!.categories).toEqual(['world', 'finance', 'Business']);
  });

  it('uses the configured tag title and description in the feed, the index and the OPML', async () => {
    const atom = await (await get('/feeds/tags/ai.atom')).text();
    expect(atom).toContain('<title>AI 要闻</title>');
    expect(atom).toContain('<subtitle>大模型、人工智能与 LLM</subtitle>');
    expect(await (await get('/')).text()).toContain('<strong>AI 要闻</strong>');
    expect(await (await get('/feeds.opml')).text()).toContain('title="AI 要闻" xmlUrl="http://127.0.0.1:8080/feeds/tags/ai.atom"');
  });

  it('serves a+b composed feeds with the items carrying both tags, "+" read as a literal plus', async () => {
    expect(await titles('/feeds/tags/ai+china.atom')).toEqual(['国产大模型：推理成本一年下降九成', 'ＤｅｅｐＳｅｅｋ 发布新一代开源模型']);
    expect(await titles('/feeds/tags/world+ai.atom')).toEqual(['Why today\'s llms still hallucinate']);
    expect(await titles('/feeds/tags/ai%2Bchina.atom')).toEqual(await titles('/feeds/tags/ai+china.atom'));
    expect(await titles(tagPath('新闻+finance'))).toEqual(['央行：稳健的货币政策要灵活适度']);
  });

  it('serves a,b composed feeds with the items carrying either tag, newest first', async () => {
    expect(await titles('/feeds/tags/ai,finance.atom')).toEqual([
      '国产大模型：推理成本一年下降九成',
      'Why today\'s llms still hallucinate',
      'ＤｅｅｐＳｅｅｋ 发布新一代开源模型',
      'Markets rally as chip stocks soar',
      '央行：稳健的货币政策要灵活适度',
    ]);
  });

  it('serves composed feeds as valid Atom, RSS 2.0 and JSON Feed 1.1', async () => {
    for (const path of ['ai+china', 'ai,finance']) {
      const [atom, rss, json] = await Promise.all(['atom', 'rss', 'json'].map(async (ext) => (await get(`/feeds/tags/${path}.${ext}`)).text()));
      expect(lintAtom(atom!), path).toEqual([]);
      expect(lintRss(rss!), path).toEqual([]);
      expect(lintJsonFeed(json!), path).toEqual([]);
    }
  });

  it('answers 404 for a composed feed naming an unknown tag or malformed', async () => {
    expect((await get('/feeds/tags/ai+nope.atom')).status).toBe(404);
    expect((await get('/feeds/tags/ai+.atom')).status).toBe(404);
    expect((await get('/feeds/tags/ai%20china.atom')).status).toBe(404);
  });

  it('renders a composed feed once: later requests get the same ETag, and a matching If-None-Match gets 304', async () => {
    const first = await get('/feeds/tags/china+finance.atom');
    const etag = first.headers.get('etag')!;
    const renders = app.composed.renderCount;
    const again = await get('/feeds/tags/finance+china.atom');
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe(await first.text());
    expect((await get('/feeds/tags/china+finance.atom', { 'if-none-match': etag })).status).toBe(304);
    expect(app.composed.renderCount).toBe(renders);
    // A cycle in which no source changed: the composed feed keeps its bytes and is not rendered again.
    const cycle = await app.runCycle();
    expect(cycle.rendered).toEqual([]);
    expect((await get('/feeds/tags/china+finance.atom')).headers.get('etag')).toBe(etag);
    expect(app.composed.renderCount).toBe(renders);
  });

  it('re-renders the tag feeds and composed feeds a new matching item enters', async () => {
    const before = (await get('/feeds/tags/ai+china.atom')).headers.get('etag');
    const renders = app.composed.renderCount;
    const portal = fixture('portal-scroll.rss.xml').replace('<item>', `<item>
      <title>人工智能进课堂：中小学试点开课</title>
      <link>https://portal.example.cn/edu/2025/03-09/1007.shtml</link>
      <guid isPermaLink="false">pt-1007</guid>
      <pubDate>Sun, 09 Mar 2025 20:00:00 +0800</pubDate>
      <description>试点覆盖十个省份。</description>
    </item>
    <item>`);
    serveFixtures(fx, portal);
    const cycle = await app.runCycle();
    expect(cycle.added).toBe(1);
    expect(cycle.rendered).toEqual(expect.arrayContaining(['latest', 'tags/ai', 'tags/china', 'tags/新闻', 'sources/portal']));
    expect(cycle.rendered).not.toContain('tags/finance');
    const after = await get('/feeds/tags/ai+china.atom');
    expect(after.headers.get('etag')).not.toBe(before);
    expect(atomEntries(await after.text())[0]!.title).toBe('人工智能进课堂：中小学试点开课');
    expect(app.composed.renderCount).toBe(renders + 1);
  });
});

describe('a rule change re-tags the items already stored', () => {
  const fx = new FixtureServer();

  beforeAll(async () => {
    await fx.start();
    serveFixtures(fx);
  });

  afterAll(async () => {
    await fx.stop();
  });

  it('serves stored items under the new rules after a restart, with every source down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-retag-'));
    const config = join(dir, 'sources.yaml');
    const data = join(dir, 'data');
    writeFileSync(config, configText(fx));
    expect((await runCli(['fetch', '--once', '--config', config, '--data', data])).code).toBe(0);
    // New rules: "ai" only for DeepSeek now, and a new "energy" rule.
    writeFileSync(config, configText(fx, RULES
      .replace('["大模型", "人工智能", "DeepSeek", "AI", "/\\\\bLLMs?\\\\b/i"]', '["DeepSeek"]')
      .replace('tags:\n', '  - tag: energy\n    match: [新能源]\ntags:\n')));
    for (const path of ['/portal.xml', '/wire.xml', '/blog.atom']) fx.routes.set(path, { status: 503, body: 'down' });
    const service = await startService(['--config', config, '--data', data]);
    try {
      const read = async (path: string) => atomEntries(await (await fetch(`${service.base}${path}`)).text()).map((e) => e.title);
      expect(await read('/feeds/tags/ai.atom')).toEqual(['ＤｅｅｐＳｅｅｋ 发布新一代开源模型']);
      expect(await read('/feeds/tags/energy.atom')).toEqual(['新能源汽车3月销量创新高']);
      expect(await read('/feeds/tags/energy,ai.atom')).toEqual(['ＤｅｅｐＳｅｅｋ 发布新一代开源模型', '新能源汽车3月销量创新高']);
    } finally {
      await service.stop();
    }
  }, 120_000);
});
