// A Chinese portal's feed in GBK that names no charset anywhere (no XML declaration, no HTTP charset), served by
// a real server: the service guesses the charset, stores correct titles, and says so once in its log; inspect
// shows the same guess on stderr.
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { runCli } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp, type TestClock } from '../helpers/test-app.ts';

const TITLES = ['国务院常务会议部署进一步稳定经济运行措施', '北京今冬首场降雪 气温骤降', '喆镕堃：教育部发布高校招生新规'];
const GBK_FEED = iconv.encode(`<rss version="2.0"><channel><title>新闻中心</title><link>http://news.example.cn/</link>${TITLES.map((t, i) =>
  `<item><title>${t}</title><link>http://news.example.cn/2026/1206/${i}.html</link><pubDate>Sun, 06 Dec 2026 0${i}:00:00 +0800</pubDate>`
  + `<description>${t}。记者从有关部门获悉，相关工作正在有序推进。</description></item>`).join('')}</channel></rss>`, 'gbk');

const fx = new FixtureServer();
let app: App;
let clock: TestClock;
let logs: Record<string, unknown>[];
const guessLines = () => logs.filter((l) => l.source === 'portal' && l.charset !== undefined);

beforeAll(async () => {
  await fx.start();
  fx.routes.set('/rss.xml', { headers: { 'content-type': 'application/rss+xml' }, body: GBK_FEED });
  ({ app, clock, logs } = await openTestApp([{ id: 'portal', url: fx.url('/rss.xml'), timezone: 'Asia/Shanghai' }]));
  await app.runCycle();
});

afterAll(async () => {
  await app.close();
  await fx.stop();
});

describe('an undeclared GBK feed', () => {
  it('is stored with correct titles, no U+FFFD anywhere', () => {
    const items = app.store.items().filter((i) => i.sourceId === 'portal');
    expect(items.map((i) => i.title).sort()).toEqual([...TITLES].sort());
    expect(JSON.stringify(items)).not.toContain('\uFFFD');
    expect(app.store.sourceState('portal')).toMatchObject({ consecutiveFailures: 0, itemsSeen: 3, charsetGuess: 'GB18030' });
  });

  it('logs the guess once per source, with a hint to set encoding:', async () => {
    expect(guessLines()).toEqual([expect.objectContaining({ level: 40, charset: 'GB18030', msg: expect.stringContaining('encoding: GB18030') })]);
    clock.advance(3600_000);
    await app.runCycle();
    expect(logs.filter((l) => l.source === 'portal' && l.msg === 'fetched')).toHaveLength(2);
    expect(guessLines()).toHaveLength(1);
  });

  it('is read the same by inspect, which shows the guess on stderr', async () => {
    const res = await runCli(['inspect', fx.url('/rss.xml')]);
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n').map((l) => JSON.parse(l).title)).toEqual(TITLES);
    expect(res.stderr).toMatch(/charset guessed as GB18030 \(confidence \d+\/100\).*encoding: GB18030/);
  });
});
