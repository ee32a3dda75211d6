// The command line as an operator uses it: check --discover on a page and on a feed, and fetch --once
// staying polite across runs (a cron job calling it must not hammer a source that asked for a pause).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { FixtureServer, type FixtureResponse } from '../helpers/fixture-server.ts';
import { rssFeed } from '../helpers/test-app.ts';

const fx = new FixtureServer();
let dir: string;

beforeAll(async () => {
  await fx.start();
  dir = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
  fx.routes.set('/site/', { headers: { 'content-type': 'text/html' }, body: `<!doctype html><html><head>
<link rel="alternate" type="application/atom+xml" title="Site (Atom)" href="/site/feed.atom">
<link rel="alternate" type="application/rss+xml" title="Site (RSS)" href="rss.xml">
</head><body></body></html>` });
  fx.routes.set('/site/rss.xml', { headers: { 'content-type': 'application/rss+xml' }, body: rssFeed('Site') });
  fx.routes.set('/plain/', { headers: { 'content-type': 'text/html' }, body: '<html><body>no feeds here</body></html>' });
});

afterAll(async () => {
  await fx.stop();
});

describe('tributary check --discover', () => {
  it('prints the feeds a web page links, the first as its feed', async () => {
    const result = await runCli(['check', '--discover', fx.url('/site/'), '--config', join(dir, 'none.yaml')]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      `${fx.url('/site/')} is a web page; its feed is at ${fx.url('/site/feed.atom')}`,
      `${fx.url('/site/feed.atom')}\tapplication/atom+xml\tSite (Atom)`,
      `${fx.url('/site/rss.xml')}\tapplication/rss+xml\tSite (RSS)`,
      '',
    ]);
  });

  it('says when the URL is a feed already, and exits 1 for a page without feeds', async () => {
    const feed = await runCli(['check', '--discover', fx.url('/site/rss.xml'), '--config', join(dir, 'none.yaml')]);
    expect(feed.code).toBe(0);
    expect(feed.stdout).toBe(`${fx.url('/site/rss.xml')} is a feed: rss, "Site", 3 items\n`);
    const plain = await runCli(['check', '--discover', fx.url('/plain/'), '--config', join(dir, 'none.yaml')]);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain('is a web page that links no feed');
  });
});

describe('tributary fetch --once', () => {
  it('skips a source until its Retry-After has passed, unless --force', async () => {
    let limited = true;
    fx.routes.set('/busy.xml', (): FixtureResponse => (limited
      ? { status: 429, headers: { 'retry-after': '3600' }, body: 'busy' }
      : { headers: { 'content-type': 'application/rss+xml' }, body: rssFeed('Busy') }));
    const config = join(dir, 'sources.yaml');
    const data = join(dir, 'data');
    writeFileSync(config, `sources:\n  - id: busy\n    url: ${fx.url('/busy.xml')}\n`);
    const hits = () => fx.requests.filter((r) => r.path === '/busy.xml').length;

    const first = await runCli(['fetch', '--once', '--config', config, '--data', data]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('HTTP 429');
    const { sources } = JSON.parse(readFileSync(join(data, 'sources.json'), 'utf8'));
    expect(sources.busy).toMatchObject({ httpStatus: 429, consecutiveFailures: 1 });
    // Retry-After counts from the answer, a moment after the fetch started.
    const wait = Date.parse(sources.busy.nextFetch) - Date.parse(sources.busy.lastFetch);
    expect(wait).toBeGreaterThanOrEqual(3_600_000);
    expect(wait).toBeLessThan(3_660_000);

    limited = false;
    const second = await runCli(['fetch', '--once', '--config', config, '--data', data]);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`busy: skipped, backing off until ${sources.busy.nextFetch} (--force or --source busy fetches it anyway)`);
    expect(second.stderr).toContain('fetched 0 sources (0 failed, 1 skipped)');
    expect(hits()).toBe(1);

    const forced = await runCli(['fetch', '--once', '--force', '--config', config, '--data', data]);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('fetched 1 sources (0 failed): 3 new');
    expect(hits()).toBe(2);
  });
});
