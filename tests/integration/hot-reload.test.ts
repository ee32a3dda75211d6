import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startService, type RunningService } from '../helpers/cli.ts';
import { atomEntries } from '../helpers/feed-lint.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { getJson, until } from '../helpers/poll.ts';

const FIXTURES = new URL('../fixtures/feeds/', import.meta.url);
const CHIP_STORY = 'Chip makers &lt;b&gt;race&lt;/b&gt; to 2nm'; // only the tech source carries it

describe('config edits while the service runs', () => {
  const fx = new FixtureServer();
  let service: RunningService;
  let feeds: string;
  let data: string;
  let main: string;
  let valid: string;

  /** The feed's entries; none while it is not served (404) yet. */
  const entries = async (feed: string) => {
    const res = await fetch(`${service.base}/feeds/${feed}.atom`);
    return res.status === 404 ? [] : atomEntries(await res.text());
  };
  const status = () => getJson(`${service.base}/status`);

  beforeAll(async () => {
    await fx.start();
    fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: readFileSync(new URL('world-news.rss.xml', FIXTURES)) });
    fx.routes.set('/tech.atom', { headers: { 'content-type': 'application/atom+xml' }, body: readFileSync(new URL('tech-blog.atom.xml', FIXTURES)) });
    fx.routes.set('/cn.xml', { headers: { 'content-type': 'text/xml' }, body: readFileSync(new URL('chinanews.gbk.rss.xml', FIXTURES)) });
    const dir = mkdtempSync(join(tmpdir(), 'tributary-reload-'));
    feeds = join(dir, 'feeds');
    data = join(dir, 'data');
    mkdirSync(feeds);
    main = join(feeds, 'sources.yaml');
    valid = `title: Hot\ndescription: Test wire\nsources:\n  - id: world\n    url: ${fx.url('/world.xml')}\n    tags: [news]\n  - id: tech\n    url: ${fx.url('/tech.atom')}\n    tags: [tech]\n`;
    writeFileSync(main, valid);
    service = await startService(['--config', feeds, '--data', data]);
    await until('the first cycle to be served', async () => (await entries('sources/tech')).length > 0);
  });

  afterAll(async () => {
    await service?.stop();
    await fx.stop();
  });

  it('keeps running the previous config when an edit is invalid, and /status says where the problem is', async () => {
    const loadedAt = (await status()).config.loadedAt;
    writeFileSync(main, [
      'title: Hot',                                  // 1
      'description: Test wire',                      // 2
      'sources:',                                    // 3
      '  - id: world',                               // 4
      `    url: ${fx.url('/world.xml')}`,            // 5
      '  - id: cn',                                  // 6
      `    url: ${fx.url('/cn.xml')}`,               // 7
      '    schedule: "every five minutes"',          // 8
      '',
    ].join('\n'));
    const rejected = await until('the edit to be rejected', async () => (await status()).config.error);
    expect(rejected).toMatch(new RegExp(`^${main}:8: sources\\.1\\.schedule: .*cron`));
    expect(service.stderr()).toContain('config change rejected, the previous config keeps running');
    const now = await status();
    expect(now.config.loadedAt).toBe(loadedAt);
    expect(now.sources.map((s: { id: string }) => s.id)).toEqual(['world', 'tech']);
    expect(fx.requests.some((r) => r.path === '/cn.xml')).toBe(false);
    expect((await entries('sources/tech')).map((e) => e.title)).toContain(CHIP_STORY);
    // The index says so at the top, with the file, the line and the message, until the file is fixed.
    const banner = await until('the index to show the refusal', async () => {
      const html = await (await fetch(`${service.base}/`)).text();
      return html.includes('data-config-rejected') && html;
    });
    expect(banner).toContain('A config change was refused at');
    expect(banner).toContain(`${main}:8: sources.1.schedule:`);

    writeFileSync(main, valid);
    await until('the error to clear', async () => (await status()).config.error === undefined);
    await until('the banner to go', async () => !(await (await fetch(`${service.base}/`)).text()).includes('data-config-rejected'));
  });

  it('applies a valid edit across files: a new source is fetched at once, a removed one keeps its items', async () => {
    const loadedAt = (await status()).config.loadedAt;
    writeFileSync(join(feeds, 'china.yaml'), `sources:\n  - id: cn\n    url: ${fx.url('/cn.xml')}\n    title: 中新网\n    tags: [新闻]\n    timezone: Asia/Shanghai\n`);
    writeFileSync(main, `title: Hot\ndescription: Test wire\nsources:\n  - id: world\n    url: ${fx.url('/world.xml')}\n    tags: [news]\n`);
    const cn = await until('the new source to be served', async () => {
      const list = await entries('sources/cn');
      return list.length > 0 && list;
    });
    expect(cn.map((e) => e.title)).toContain('喆镕堃：北京今日晴转多云');
    expect((await entries(`tags/${encodeURIComponent('新闻')}`)).length).toBe(3);
    const now = await until('the removal to be applied', async () => {
      const s = await status();
      return s.sources.length === 2 && s;
    });
    expect(now.sources.map((s: { id: string }) => s.id)).toEqual(['world', 'cn']);
    expect(now.config.files).toEqual([main, join(feeds, 'china.yaml')]);
    expect(now.config.loadedAt > loadedAt).toBe(true);
    expect(now.config.error).toBeUndefined();
    // The removed source's stories stay in the latest feed until retention drops them.
    expect((await entries('latest')).map((e) => e.title)).toContain(CHIP_STORY);
    expect((await fetch(`${service.base}/feeds/sources/tech.atom`)).status).toBe(404);
  });

  it('with --purge, keeps the items of sources no longer configured a day, and prune --now --purge drops them at once', async () => {
    expect(await service.stop()).toBe(0);
    service = await startService(['--purge', '--config', feeds, '--data', data]);
    const pending = await until('the purge to be pending', async () => (await status()).retention.pending[0]);
    expect(pending).toMatchObject({ source: 'tech', configured: false, pending: 'purge' });
    expect(Date.parse(pending.due) - Date.parse(pending.since)).toBe(24 * 3600_000);
    expect((await entries('latest')).map((e) => e.title)).toContain(CHIP_STORY);
    expect(service.stderr()).toMatch(/"source":"tech"[^\n]*retention of tech becomes stricter \([^)]*-> purge/);

    expect(await service.stop()).toBe(0);
    const pruned = await runCli(['prune', '--now', '--purge', '--config', feeds, '--data', data]);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/^tech: dropped (\d+) of \1 items \(purge \(no longer configured, --purge\), was maxItems 500, minItems 20\)\n/);
    const stored = JSON.parse(readFileSync(join(data, 'store.json'), 'utf8'));
    expect(new Set(stored.items.map((i: { sourceId: string }) => i.sourceId))).toEqual(new Set(['world', 'cn']));
    expect(JSON.parse(readFileSync(join(data, 'sources.json'), 'utf8')).sources.tech).toBeUndefined();
  });
});
