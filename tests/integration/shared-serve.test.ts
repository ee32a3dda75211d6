// `tributary serve` on the PostgreSQL store, as an operator runs it: three real service processes on one real
// database (tests/setup/postgres.ts), selected three ways (--database, TRIBUTARY_DATABASE_URL, store: in the
// config), two fetching and one serving replica (--role serve), with real sources on 127.0.0.1. Every source is
// fetched once, every instance serves every feed with the same bytes and ETag (a reader's If-None-Match gets 304
// from another instance), /status, /healthz and /metrics name the instance and its role, and a database that
// stops answering leaves the feeds served while /healthz says degraded, until it answers again.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, startService, type RunningService } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { generatedRss } from '../helpers/generated-feed.ts';
import { freshDatabase } from '../helpers/pg.ts';

const SOURCES = 6;
const ITEMS = 4;
let dir: string;
let server: FixtureServer;
let database: string;
const services: RunningService[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-shared-serve-'));
  server = await new FixtureServer().start();
  for (let i = 0; i < SOURCES; i++) {
    server.routes.set(`/s${i}.xml`, { headers: { 'content-type': 'application/rss+xml; charset=utf-8' }, body: generatedRss(`s${i}`, ITEMS) });
  }
  database = await freshDatabase('shared_serve');
});

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

function configText(store = '', { even = 'finance', rules = '' } = {}): string {
  return `title: 共享 Shared
baseUrl: http://tributary.test
fetch:
  allowPrivateRedirects: true
${store}${rules}sources:
${Array.from({ length: SOURCES }, (_, i) => `  - id: s${i}\n    url: ${server.url(`/s${i}.xml`)}\n    tags: [${i % 2 ? '科技' : even}]`).join('\n')}
`;
}

async function poll<T>(what: string, read: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const json = async (url: string) => (await fetch(url)).json() as Promise<Record<string, any>>;

describe('serve on the PostgreSQL store', () => {
  it('three instances: each source fetched once, the same bytes and ETags everywhere, roles and instance ids shown', async () => {
    const plain = join(dir, 'sources.yaml');
    await writeFile(plain, configText());
    const withStore = join(dir, 'with-store.yaml');
    await writeFile(withStore, configText(`store:\n  kind: postgres\n  url: ${database}\n  pool: 4\n`));

    const a = await startService(['--config', plain, '--data', join(dir, 'a'), '--database', database]);
    services.push(a);
    const b = await startService(['--config', plain, '--data', join(dir, 'b')], { TRIBUTARY_DATABASE_URL: database });
    services.push(b);
    const c = await startService(['--config', withStore, '--data', join(dir, 'c'), '--role', 'serve']);
    services.push(c);
    for (const s of [a, b, c]) expect(s.stderr()).toMatch(/serving on [^\n]*PostgreSQL store/);

    const all = SOURCES * ITEMS;
    // Every instance ends up serving the whole latest feed, whoever fetched and whoever rendered.
    for (const s of [a, b, c]) {
      await poll(`${s.base} to serve ${all} items`, async () => {
        const res = await fetch(`${s.base}/feeds/latest.json`);
        if (res.status !== 200) return undefined;
        const body = await res.json() as { items: unknown[] };
        return body.items.length >= Math.min(all, 50) ? true : undefined;
      });
    }
    // Each source fetched exactly once, by one of the two fetching instances.
    const fetched = server.requests.map((r) => r.path).sort();
    expect(fetched).toEqual(Array.from({ length: SOURCES }, (_, i) => `/s${i}.xml`).sort());

    const paths = ['/feeds/latest.atom', '/feeds/latest.rss', '/feeds/latest.json', `/feeds/tags/${encodeURIComponent('科技')}.atom`,
      '/feeds/tags/finance.rss', '/feeds/sources/s3.json', '/', '/feeds.opml'];
    for (const path of paths) {
      // The index shows the sources' states, which the renderer may publish anew between two reads: read it settled.
      const answers = await poll(`${path} to agree`, async () => {
        const read = await Promise.all([a, b, c].map(async (s) => {
          const res = await fetch(`${s.base}${path}`);
          return { status: res.status, etag: res.headers.get('etag'), body: Buffer.from(await res.arrayBuffer()) };
        }));
        return read.every((r) => r.status === 200 && r.etag === read[0]!.etag && r.body.equals(read[0]!.body)) ? read : undefined;
      });
      expect(answers[0]!.etag).toMatch(/^"/);
      // A reader that got the feed from one instance gets 304 from the others.
      for (const s of [b, c]) {
        const res = await fetch(`${s.base}${path}`, { headers: { 'if-none-match': answers[0]!.etag! } });
        expect(res.status, `${path} from ${s.base}`).toBe(304);
      }
    }
    // Compressed answers too, and the body made again from the gzip form the instance holds: every encoding
    // decodes to the published bytes, under the one ETag and Last-Modified, with the Content-Length of what is sent.
    const published = await rawGet(`${a.base}/feeds/latest.atom`, 'identity');
    expect(published.headers['content-encoding']).toBeUndefined();
    for (const encoding of ['identity', 'gzip', 'br', 'identity'] as const) {
      const res = await rawGet(`${c.base}/feeds/latest.atom`, encoding);
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe(encoding === 'identity' ? undefined : encoding);
      expect(Number(res.headers['content-length'])).toBe(res.body.length);
      expect(res.headers.etag).toBe(published.headers.etag);
      expect(res.headers['last-modified']).toBe(published.headers['last-modified']);
      const decoded = encoding === 'gzip' ? gunzipSync(res.body) : encoding === 'br' ? brotliDecompressSync(res.body) : res.body;
      expect(decoded.equals(published.body)).toBe(true);
      const again = await rawGet(`${c.base}/feeds/latest.atom`, encoding, published.headers.etag as string);
      expect(again.status).toBe(304);
    }

    const statuses = await Promise.all([a, b, c].map((s) => json(`${s.base}/status`)));
    expect(statuses.map((s) => s.instance.role)).toEqual(['all', 'all', 'serve']);
    expect(new Set(statuses.map((s) => s.instance.id)).size).toBe(3);
    expect(statuses.filter((s) => s.instance.renderer)).toHaveLength(1);
    expect(statuses[2]!.leases).toEqual({ held: [], steals: 0 });
    expect(statuses[0]!.store).toMatchObject({ kind: 'postgres', items: all });
    expect(statuses[0]!.sources.map((s: { id: string; items: number }) => [s.id, s.items])).toEqual(Array.from({ length: SOURCES }, (_, i) => [`s${i}`, ITEMS]));
    // The serving replica never fetched: no cycle line in its log.
    expect(c.stderr()).not.toContain('"msg":"cycle:');
    expect(a.stderr() + b.stderr()).toContain('"msg":"cycle:');

    const health = await json(`${c.base}/healthz`);
    expect(health).toMatchObject({ status: 'ok', store: 'postgres', database: 'ok', role: 'serve', instance: statuses[2]!.instance.id });
    const metrics = await (await fetch(`${a.base}/metrics`)).text();
    expect(metrics).toContain(`tributary_instance{instance="${statuses[0]!.instance.id}",role="all"} 1`);
    expect(metrics).toMatch(/tributary_lease_steals_total 0/);
    expect(metrics).toMatch(/tributary_database_up 1/);
    expect(metrics).toMatch(/tributary_items_stored 24/);

    // Older pages are read from the database on request: the same items as the feed's, in its order, the same
    // bytes and ETag on every instance, and 404 past the last page.
    const latest = await (await fetch(`${a.base}/feeds/latest.json`)).json() as { items: { id: string }[] };
    const pages = await Promise.all([a, b, c].map(async (s) => {
      const res = await fetch(`${s.base}/feeds/latest.json?limit=5&page=2`);
      return { status: res.status, etag: res.headers.get('etag'), body: await res.text() };
    }));
    expect(pages.map((p) => p.status)).toEqual([200, 200, 200]);
    expect(new Set(pages.map((p) => p.etag)).size).toBe(1);
    expect(new Set(pages.map((p) => p.body)).size).toBe(1);
    const page2 = JSON.parse(pages[0]!.body) as { items: { id: string }[]; next_url?: string };
    expect(page2.items.map((i) => i.id)).toEqual(latest.items.slice(5, 10).map((i) => i.id));
    expect((await fetch(`${b.base}/feeds/sources/s1.atom?limit=3&page=2`)).status).toBe(200);
    expect((await fetch(`${b.base}/feeds/latest.atom?page=9`)).status).toBe(404);
    expect((await fetch(`${b.base}/feeds/tags/nope.atom?page=2`)).status).toBe(404);
    // Filtered views are read from the database too: the same bytes and ETag on every instance, only what matches,
    // and a bad pattern is the same 400 as on the embedded store.
    const views = await Promise.all([a, b, c].map(async (s) => {
      const res = await fetch(`${s.base}/feeds/latest.json?filter=/s1%20story/&filterout=story%203&since=2025-03-01T08:01:00Z`);
      return { status: res.status, etag: res.headers.get('etag'), body: await res.text() };
    }));
    expect(views.map((v) => v.status)).toEqual([200, 200, 200]);
    expect(new Set(views.map((v) => v.etag)).size).toBe(1);
    expect(new Set(views.map((v) => v.body)).size).toBe(1);
    expect((JSON.parse(views[0]!.body) as { items: { title: string }[] }).items.map((i) => i.title)).toEqual(['s1 story 2', 's1 story 1']);
    const again = await fetch(`${c.base}/feeds/latest.json?filter=/s1%20story/&filterout=story%203&since=2025-03-01T08:01:00Z`, { headers: { 'if-none-match': views[0]!.etag! } });
    expect(again.status).toBe(304);
    const bad = await fetch(`${a.base}/feeds/latest.atom?filter=/(a/`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('filter: is not a usable regular expression');

    // Tag feeds composed in the URL are read from the database on request, page 1 included: the same answers on
    // every instance as on the embedded store fed by the same sources (started last, so the sources were fetched once
    // by the shared instances above), refusals included.
    const embedded = await startService(['--config', plain, '--data', join(dir, 'embedded')]);
    try {
      await poll('the embedded store to serve every item', async () => {
        const res = await fetch(`${embedded.base}/feeds/latest.json`);
        return res.status === 200 && ((await res.json()) as { items: unknown[] }).items.length === all ? true : undefined;
      });
      const tech = encodeURIComponent('科技');
      const composed = [
        `/feeds/tags/finance,${tech}.json`, `/feeds/tags/${tech},finance.atom?limit=5&page=2`, `/feeds/tags/finance%2B${tech}.rss`,
        `/feeds/tags/${tech},finance.html?filter=/s1%20story/`, `/feeds/tags/finance,${tech}.atom?page=9`,
        `/feeds/tags/${tech}+nope.atom`, `/feeds/tags/${Array.from({ length: 9 }, () => 'finance').join('+')}.atom`,
      ];
      const answer = async (base: string, path: string) => {
        const res = await fetch(`${base}${path}`);
        return { status: res.status, etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified'), body: await res.text() };
      };
      for (const path of composed) {
        const want = await answer(embedded.base, path);
        for (const s of [a, b, c]) expect(await answer(s.base, path), `${path} from ${s.base}`).toEqual(want);
      }
      expect((await answer(a.base, composed[0]!)).status).toBe(200);
      expect(((JSON.parse((await answer(c.base, composed[0]!)).body)) as { items: unknown[] }).items).toHaveLength(all);
      // finance and 科技 are never on one source: an empty feed.
      expect((await answer(c.base, composed[2]!)).body).not.toContain('<item>');
      expect((await answer(c.base, composed[5]!)).status).toBe(404);
    } finally {
      await embedded.stop();
    }
  });

  it('a change of tags and rules in the config: the stored items are re-tagged, every instance serves the new tag feeds', async () => {
    const [a, b, c] = services;
    // finance becomes money on the even sources, and a rule tags every "story 1".
    const changed = { even: 'money', rules: 'rules:\n  - tag: first\n    match: ["story 1"]\n' };
    await writeFile(join(dir, 'sources.yaml'), configText('', changed));
    await writeFile(join(dir, 'with-store.yaml'), configText(`store:\n  kind: postgres\n  url: ${database}\n  pool: 4\n`, changed));
    const titles = async (base: string, tag: string) => {
      const res = await fetch(`${base}/feeds/tags/${tag}.json`);
      return res.status === 200 ? ((await res.json()) as { items: { title: string }[] }).items.map((i) => i.title).sort() : undefined;
    };
    for (const s of [a!, b!, c!]) {
      await poll(`${s.base} to serve the re-tagged items`, async () => {
        const [money, first] = await Promise.all([titles(s.base, 'money'), titles(s.base, 'first')]);
        return money?.length === 3 * ITEMS && first?.length === SOURCES ? true : undefined;
      });
      expect(await titles(s.base, 'first')).toEqual(Array.from({ length: SOURCES }, (_, i) => `s${i} story 1`));
      expect((await fetch(`${s.base}/feeds/tags/finance.json`)).status).toBe(404);
    }
    // One instance (the renderer) computed every stored item's tags again, and said so once.
    const logs = [a!, b!, c!].map((s) => s.stderr());
    const lines = logs.join('\n').split('\n').filter((line) => line.includes('stored items re-tagged'));
    expect(lines.some((line) => line.includes(`"checked":${SOURCES * ITEMS}`))).toBe(true);
    // Tag feeds' rows in the database, as a tag feed's query reads them.
    const client = new pg.Client(database);
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM tributary_items WHERE tags @> ARRAY['first'] AND tags @> ARRAY['money']");
      expect(Number(rows[0]!.n)).toBe(3);
    } finally {
      await client.end();
    }
  });

  it('a fetching instance (--role fetch) answers feeds, the index and the OPML 404 naming its role, and reports as usual', async () => {
    const d = await startService(['--config', join(dir, 'sources.yaml'), '--data', join(dir, 'd'), '--database', database, '--role', 'fetch']);
    try {
      for (const path of ['/feeds/latest.atom', `/feeds/tags/${encodeURIComponent('科技')}.json`, '/feeds/latest.json?filter=story', '/feeds/latest.rss?page=2', '/', '/feeds.opml']) {
        const res = await fetch(`${d.base}${path}`);
        expect(res.status, path).toBe(404);
        const text = await res.text();
        expect(text, path).toContain('is not served here: this instance runs with --role fetch');
        expect(text, path).toContain('--role all or serve');
      }
      // A browser gets it as a page, in words.
      const page = await fetch(`${d.base}/feeds/latest.atom`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(404);
      expect(await page.text()).toContain('--role fetch');
      // Not a feed that does not exist: that is the usual 404, the same on every role.
      expect(await (await fetch(`${d.base}/feeds/nope.atom`)).text()).toContain('not found');
      const health = await json(`${d.base}/healthz`);
      expect(health).toMatchObject({ status: 'ok', role: 'fetch', store: 'postgres' });
      expect((await json(`${d.base}/status`)).instance.role).toBe('fetch');
      expect(await (await fetch(`${d.base}/metrics`)).text()).toMatch(/tributary_feed_requests_total\{feed="not-served",status="404"\} 7/);
    } finally {
      await d.stop();
    }
  });

  it('a database that stops answering: feeds still served, /healthz degraded, and back to ok once it answers', async () => {
    const [a] = services;
    const admin = new pg.Client(inject('pgClusterUrl'));
    await admin.connect();
    const name = new URL(database).pathname.slice(1);
    const before = await fetch(`${a!.base}/feeds/latest.atom`);
    const etag = before.headers.get('etag');
    try {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      const degraded = await poll('/healthz to say degraded', async () => {
        const h = await json(`${a!.base}/healthz`);
        return h.status === 'degraded' ? h : undefined;
      });
      expect(degraded.database).toBe('unreachable');
      const during = await fetch(`${a!.base}/feeds/latest.atom`);
      expect(during.status).toBe(200);
      expect(during.headers.get('etag')).toBe(etag);
      const status = await json(`${a!.base}/status`);
      expect(status.database.ok).toBe(false);
      expect(status.database.errors).toBeGreaterThan(0);
      expect(status.database.lastError).toBeTruthy();
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await poll('/healthz to be ok again', async () => ((await json(`${a!.base}/healthz`)).status === 'ok' ? true : undefined));
  });

  it('refuses what it cannot run, in one line', async () => {
    const plain = join(dir, 'sources.yaml');
    const role = await runCli(['serve', '--config', plain, '--data', join(dir, 'x'), '--role', 'serve', '--port', '0']);
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('--role serve needs the PostgreSQL store');
    const bad = await runCli(['serve', '--config', plain, '--role', 'both']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid --role "both"');
    // a nice value for the workers that cannot be used: refused before anything listens or fetches
    for (const command of [['serve', '--port', '0'], ['fetch', '--once']]) {
      const nice = await runCli([...command, '--config', plain, '--data', join(dir, 'nice')], { TRIBUTARY_WORKER_NICENESS: '25' });
      expect(nice.code, command[0]).toBe(2);
      expect(nice.stderr).toBe("TRIBUTARY_WORKER_NICENESS=25: the workers' nice value must be a whole number from 0 (the serving thread's priority) to 19 (the lowest)\n");
    }
    const noUrl = join(dir, 'no-url.yaml');
    await writeFile(noUrl, configText('store:\n  kind: postgres\n'));
    const missing = await runCli(['serve', '--config', noUrl, '--port', '0'], { TRIBUTARY_DATABASE_URL: '' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('store.kind is postgres but no database is named');
    // fetch --once with a URL that is not postgres:// (shared-fetch-once.test.ts runs it on the database)
    const once = await runCli(['fetch', '--once', '--config', plain, '--data', join(dir, 'once')], { TRIBUTARY_DATABASE_URL: 'mysql://db/x' });
    expect(once.code).toBe(2);
    expect(once.stderr).toContain('--database and TRIBUTARY_DATABASE_URL take a postgres:// URL');
    const down = await runCli(['serve', '--config', plain, '--port', '0', '--database', 'postgres://tributary:secret@127.0.0.1:9/none']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot use the PostgreSQL store at postgres://tributary:***@127.0.0.1:9/none');
    expect(down.stderr).not.toContain('secret');
    expect(down.stderr.trim().split('\n').filter((l) => !l.startsWith('{'))).toHaveLength(1);
  });
});

/** A GET whose body comes as sent (fetch would decode it), with the encoding asked for. */
function rawGet(url: string, encoding: string, etag?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'accept-encoding': encoding };
    if (etag) headers['if-none-match'] = etag;
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}
