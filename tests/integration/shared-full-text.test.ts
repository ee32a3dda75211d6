// fullText on the PostgreSQL store (a real server, tests/setup/postgres.ts): a SharedCycle reads the item pages of
// the sources it leased, from real pages on 127.0.0.1, at most maxPerCycle per pass; the articles are stored in the
// database with their items, read once, and failures are recorded on the source's state.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log.ts';
import type { Item } from '../../src/model.ts';
import { RuleTagging } from '../../src/rules/tagger.ts';
import { SharedCycle } from '../../src/shared-cycle.ts';
import { siteContext } from '../../src/site-context.ts';
import { PgLeases } from '../../src/store/pg/leases.ts';
import { PgStore } from '../../src/store/pg/pg-store.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { freshDatabase } from '../helpers/pg.ts';

const PORTAL_PAGE = readFileSync(new URL('../fixtures/articles/portal-article.gbk.html', import.meta.url));
const SCRIPT_ONLY = readFileSync(new URL('../fixtures/articles/script-only.html', import.meta.url));
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const rss = (base: string) => `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>社会新闻</title><link>${base}/</link>
<item><guid>a1</guid><title>江南水乡古镇迎来冬季旅游热潮</title><link>${base}/sh/1.shtml</link><description>一行摘要。</description><pubDate>Sat, 05 Dec 2026 06:32:00 GMT</pubDate></item>
<item><guid>a2</guid><title>新版客户端上线</title><link>${base}/app/2</link><description>新版客户端今日上线。</description><pubDate>Sat, 05 Dec 2026 05:00:00 GMT</pubDate></item>
<item><guid>a3</guid><title>旧闻</title><link>${base}/sh/3.shtml</link><description>旧闻摘要。</description><pubDate>Fri, 04 Dec 2026 05:00:00 GMT</pubDate></item>
</channel></rss>`;

describe('fullText on the PostgreSQL store', () => {
  it('reads the newest pages within the budget, stores the articles with their items, and reads no page twice', async () => {
    const server = await new FixtureServer().start();
    closers.push(() => server.stop());
    server.routes.set('/portal.xml', { headers: { 'content-type': 'application/rss+xml; charset=utf-8' }, body: rss(server.base) });
    server.routes.set('/sh/1.shtml', { headers: { 'content-type': 'text/html' }, body: PORTAL_PAGE });
    server.routes.set('/sh/3.shtml', { headers: { 'content-type': 'text/html' }, body: PORTAL_PAGE });
    server.routes.set('/app/2', { headers: { 'content-type': 'text/html; charset=utf-8' }, body: SCRIPT_ONLY });
    const config = parseConfig(`baseUrl: http://tributary.test
fetch:
  allowPrivateRedirects: true
sources:
  - id: portal
    url: ${server.url('/portal.xml')}
    fullText: { select: "div.left_zw", remove: [".adInContent"], maxPerCycle: 2 }
`, 'sources.yaml');
    const url = await freshDatabase('shared_full_text');
    const store = await PgStore.open({ url, pool: 4 });
    closers.push(() => store.close());
    const leases = new PgLeases(store.pool, 'a');
    const cycle = new SharedCycle({
      config: () => config, store, leases, tags: siteContext(config, {}, [], new RuleTagging()).tags,
      logger: createLogger('silent'), userAgent: () => 'Tributary-test',
    });
    closers.push(() => cycle.close());
    const pages = () => server.requests.filter((r) => !r.path.endsWith('.xml')).map((r) => r.path);
    const items = async () => new Map((await store.pool.query<{ item: Item }>('SELECT item FROM tributary_items')).rows.map((r) => [r.item.title as string, r.item]));
    const due = () => store.pool.query(`UPDATE tributary_leases SET due_at = now() - interval '1 second'`);

    await cycle.run();
    expect(pages().sort()).toEqual(['/app/2', '/sh/1.shtml']);
    let stored = await items();
    expect(stored.get('江南水乡古镇迎来冬季旅游热潮')).toMatchObject({ summary: '一行摘要。', fullText: { status: 'ok' } });
    expect(stored.get('江南水乡古镇迎来冬季旅游热潮')!.content).toContain('(记者 李喆)进入十二月');
    expect(stored.get('新版客户端上线')).toMatchObject({ summary: '新版客户端今日上线。', fullText: { status: 'failed', failures: 1 } });
    expect(stored.get('新版客户端上线')!.content).toBeUndefined();
    expect((await store.sourceState('portal')).fullText).toMatchObject({ ok: 1, failed: 1, pending: 1, lastError: { url: server.url('/app/2'), reason: expect.stringContaining('loaded by JavaScript') } });

    await due();
    await cycle.run();
    expect(pages().sort()).toEqual(['/app/2', '/sh/1.shtml', '/sh/3.shtml']);
    stored = await items();
    expect(stored.get('旧闻')!.content).toContain('(记者 李喆)进入十二月');
    expect((await store.sourceState('portal')).fullText).toMatchObject({ ok: 2, failed: 1, pending: 0 });

    // The feed unchanged: no update of the items (their article is compared as the feed gave them), no page.
    await due();
    const report = await cycle.run();
    expect(report.updated).toBe(0);
    expect(pages()).toHaveLength(3);
  });
});
