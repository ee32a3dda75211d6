// `tributary inspect --html`: an operator writes selectors against the real page and sees what a `type: html`
// source would store, before putting them in the config.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';

const PAGE = fileURLToPath(new URL('../fixtures/pages/portal-latest.gb2312.html', import.meta.url));
const lines = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
const SELECT = ['--select-item', 'ul.latest li', '--select-title', 'a', '--select-date', '.time', '--select-summary', '.intro'];

describe('tributary inspect --html FILE|URL --select-…', () => {
  const fx = new FixtureServer();

  beforeAll(async () => {
    await fx.start();
    fx.routes.set('/news/', { headers: { 'content-type': 'text/html' }, body: readFileSync(PAGE) });
  });
  afterAll(() => fx.stop());

  it('fetches a GBK page by URL and prints its stories as JSON lines, links resolved against the page', async () => {
    const res = await runCli(['inspect', '--html', fx.url('/news/'), ...SELECT, '--timezone', 'Asia/Shanghai']);
    expect(res.stderr).toBe(`${fx.url('/news/')}: html page "新闻中心_最新新闻", 5 items\n`);
    expect(res.code).toBe(0);
    const items = lines(res.stdout);
    expect(items.map((i) => i.title)).toEqual([
      '国产大模型：既需“仰望星空”也要脚踏实地', '喆镕堃：北京今日晴转多云 气温回升', '新能源汽车3月销量创新高',
      '春季招聘会开幕 岗位逾万个', '年终回顾：十二月的十个瞬间',
    ]);
    expect(items[0]).toMatchObject({
      id: fx.url('/news/2025/03/09/doc-a1.shtml').replace('http:', 'https:'),
      link: fx.url('/news/2025/03/09/doc-a1.shtml'),
      published: '2025-03-09T10:42:00.000Z',
      language: 'zh-CN',
      sources: ['inspect'],
    });
    expect(items[0].summary).not.toContain('script');
    // The year of 3月8日 is the current one (or the last): only the day and the zone are fixed.
    expect(items[2].published).toMatch(/^\d{4}-03-07T16:00:00\.000Z$/);
    expect(items[3]).toMatchObject({ undated: true });
  });

  it('reads a saved page with --url as its address; the link defaults to the item\'s first a[href]', async () => {
    const res = await runCli(['inspect', '--html', PAGE, '--select-item', 'ul.hot li', '--select-title', 'a', '--url', 'https://portal.example.cn/news/']);
    expect(res.code).toBe(0);
    expect(lines(res.stdout)).toEqual([expect.objectContaining({
      id: 'https://portal.example.cn/news/2025/03/09/doc-a1.shtml', link: 'https://portal.example.cn/news/2025/03/09/doc-a1.shtml?from=hot',
    })]);
  });

  it('names a selector that matches nothing, exit 1', async () => {
    const res = await runCli(['inspect', '--html', PAGE, '--select-item', 'ul.newest li', '--select-title', 'a']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('selector `ul.newest li` matched 0 elements');
  });

  it('names a title selector that matches in none of the items', async () => {
    const res = await runCli(['inspect', '--html', PAGE, '--select-item', 'ul.latest li', '--select-title', 'h3 a']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('selector `h3 a` matched 0 elements in any of the 6 items (select.title)');
  });

  it('rejects a selector that is not CSS before reading anything', async () => {
    const res = await runCli(['inspect', '--html', PAGE, '--select-item', 'ul.latest li[', '--select-title', 'a']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^tributary inspect: --select-item is not a valid CSS selector .*"ul\.latest li\["\n$/);
  });

  it('needs --select-item and --select-title with --html, and --html for any --select-…', async () => {
    const missing = await runCli(['inspect', '--html', PAGE, '--select-item', 'li']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('needs --select-item and --select-title');
    const stray = await runCli(['inspect', PAGE, '--select-item', 'li', '--select-title', 'a']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--html FILE|URL');
  });
});
