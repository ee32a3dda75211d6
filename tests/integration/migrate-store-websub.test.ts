// `tributary migrate-store` carries the built-in WebSub hub's subscriptions with the store: from data/websub.json
// (written by the embedded hub's own store) into an empty PostgreSQL database (tests/setup/postgres.ts), where an
// instance started on the copy knows them and delivers the content of its first render to each subscriber (a real
// HTTP server on 127.0.0.2, allowed by CIDR); and back into an empty data directory. Each subscription arrives with
// its topic, callback, secret and lease end; one whose lease has ended is left behind, and the summary says so.
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../src/model.ts';
import { SubscriptionStore, type Subscription } from '../../src/serve/websub/subscriptions.ts';
import { PgStore } from '../../src/store/pg/pg-store.ts';
import { listSubscriptions } from '../../src/store/pg/websub-subscriptions.ts';
import { ItemStore } from '../../src/store/store.ts';
import { runCli } from '../helpers/cli.ts';
import { freshDatabase } from '../helpers/pg.ts';
import { until } from '../helpers/poll.ts';
import { RecordingServer } from '../helpers/recording-server.ts';
import { echo, HUB_BASE, hubConfig, openInstance, subscriptionsOn, type Instance } from '../helpers/shared-hub.ts';
import { plain } from '../helpers/plain-text.ts';
import { sampleItem } from '../helpers/sample-items.ts';

const HUB_LINES = ['allowPrivateCallbacks: [127.0.0.2/32]'];
/** The same config as hubConfig's, as a file for the CLI (its baseUrl names the feeds the topics are). */
const CONFIG_TEXT = `title: Hubbed
baseUrl: ${HUB_BASE}
websub:
  builtin: true
  allowPrivateCallbacks: [127.0.0.2/32]
sources:
  - id: a
    url: https://a.example.com/rss
    tags: [news]
  - id: b
    url: https://b.example.com/rss
    tags: [tech]
`;

const subscriber = new RecordingServer();
const dirs: string[] = [];
let dir: string;
let configFile: string;
let active: Subscription[];
let expired: Subscription;
let instance: Instance | undefined;

const sorted = (list: readonly Subscription[]) => [...list].sort((x, y) => `${x.topic} ${x.callback}`.localeCompare(`${y.topic} ${y.callback}`));
const later = (ms: number) => new Date(Date.now() + ms).toISOString();

function story(sourceId: string, n: number): Item {
  const at = new Date(Date.UTC(2026, 11, 1) + n * 60_000).toISOString();
  return sampleItem(n, { id: `tag:tributary.test,2026:${sourceId}/${n}`, sourceId, key: `k${n}`, published: at, updated: at, firstSeen: at, title: plain(`Story ${n}`) });
}

async function tempDir(label: string): Promise<string> {
  const made = await mkdtemp(join(tmpdir(), `tributary-migrate-websub-${label}-`));
  dirs.push(made);
  return made;
}

async function sql<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await subscriber.start('127.0.0.2');
  subscriber.respond = echo;
  dir = await tempDir('data');
  configFile = join(await tempDir('config'), 'sources.yaml');
  await writeFile(configFile, CONFIG_TEXT);
  const store = await ItemStore.open(dir);
  store.apply([story('a', 1), story('a', 2), story('b', 3)], []);
  store.setSourceState({ id: 'a', consecutiveFailures: 0 });
  store.setSourceState({ id: 'b', consecutiveFailures: 0 });
  await store.commit();
  // As the embedded hub keeps them: put by its subscription store, written to data/websub.json.
  active = [
    { topic: `${HUB_BASE}/feeds/tags/news.atom`, callback: `${subscriber.base}/cb?user=7`, secret: 'correct horse', expires: later(3_600_000) },
    { topic: `${HUB_BASE}/feeds/tags/tech.rss`, callback: `${subscriber.base}/plain`, expires: later(7_200_000) },
  ];
  expired = { topic: `${HUB_BASE}/feeds/tags/news.json`, callback: `${subscriber.base}/gone`, secret: 'old', expires: later(-60_000) };
  const hub = await SubscriptionStore.open(dir);
  for (const s of [...active, expired]) hub.put(s);
  await hub.flush();
}, 60_000);

afterAll(async () => {
  await instance?.close();
  await subscriber.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('tributary migrate-store and the built-in hub', () => {
  it('copies the active subscriptions into the database, where an instance on the copy delivers to them, and back', async () => {
    const url = await freshDatabase('migrate_websub');
    const there = await runCli(['migrate-store', '--to', url, '--data', dir, '--config', configFile]);
    expect(there.stderr).toBe('');
    expect(there.code).toBe(0);
    expect(there.stdout).toMatch(/copied 3 items of 2 sources and 2 source states and 2 WebSub subscriptions \(1 expired, not copied\) from .* counts per source match; subscriptions match\n$/);

    // Every field as the embedded hub held it, and each row names the document the PostgreSQL hub publishes.
    const reader = new pg.Client(url);
    await reader.connect();
    try {
      expect(sorted(await listSubscriptions(reader))).toEqual(sorted(active));
    } finally {
      await reader.end();
    }
    const rows = await sql<{ callback: string; doc_name: string; host: string }>(url, 'SELECT callback, doc_name, host FROM tributary_websub_subscriptions ORDER BY doc_name');
    expect(rows).toEqual([
      { callback: `${subscriber.base}/cb?user=7`, doc_name: 'tags/news.atom', host: '127.0.0.2' },
      { callback: `${subscriber.base}/plain`, doc_name: 'tags/tech.rss', host: '127.0.0.2' },
    ]);

    // An instance started on the copy: its hub's index holds both, and its first render reaches each subscriber.
    instance = await openInstance(hubConfig(HUB_LINES), url, 'a', { websubEveryMs: 100, renderEveryMs: 200, statusEveryMs: 60_000 });
    instance.app.start();
    expect(subscriptionsOn(instance)).toBe(2);
    await instance.app.render();
    const posts = () => subscriber.requests.filter((r) => r.method === 'POST');
    await until('both subscribers served', () => new Set(posts().map((r) => r.url.pathname)).size === 2);
    const signed = posts().find((r) => r.url.pathname === '/cb')!;
    expect(signed.url.searchParams.get('user')).toBe('7');
    expect(signed.body.toString()).toContain('Story 2');
    expect(signed.headers['x-hub-signature']).toBe(`sha256=${createHmac('sha256', 'correct horse').update(signed.body).digest('hex')}`);
    const unsigned = posts().find((r) => r.url.pathname === '/plain')!;
    expect(unsigned.body.toString()).toContain('Story 3');
    expect(unsigned.headers['x-hub-signature']).toBeUndefined();
    expect(posts().some((r) => r.url.pathname === '/gone')).toBe(false);
    await instance.close();
    instance = undefined;

    // A lease that ended in the database is left behind on the way back too.
    await sql(url, `INSERT INTO tributary_websub_subscriptions (topic, callback, doc_name, host, secret, expires_at)
                    VALUES ($1, $2, 'tags/news.json', '127.0.0.2', $3, $4)`, [expired.topic, expired.callback, expired.secret, expired.expires]);
    const back = await tempDir('back');
    const home = await runCli(['migrate-store', '--to', back, '--database', url]);
    expect(home.stderr).toBe('');
    expect(home.code).toBe(0);
    expect(home.stdout).toMatch(/copied 3 items of 2 sources and 2 source states and 2 WebSub subscriptions \(1 expired, not copied\) from .* subscriptions match\n$/);
    const copied = await SubscriptionStore.open(back);
    expect(sorted(copied.all())).toEqual(sorted(active));
    expect(sorted(copied.active(new Date()))).toEqual(sorted(active));
  }, 120_000);

  it('refuses a database or a data directory that already holds subscriptions, and leaves them as they were', async () => {
    // A database with no item and no source state, but a subscriber: not empty.
    const url = await freshDatabase('migrate_websub_held');
    await (await PgStore.open({ url, pool: 1 })).close();
    await sql(url, `INSERT INTO tributary_websub_subscriptions (topic, callback, doc_name, host, expires_at)
                    VALUES ($1, $2, 'tags/news.atom', '127.0.0.2', $3)`, [active[0]!.topic, `${subscriber.base}/other`, later(3_600_000)]);
    const into = await runCli(['migrate-store', '--to', url, '--data', dir, '--config', configFile]);
    expect(into.code).toBe(1);
    expect(into.stderr).toMatch(/already holds 0 items and 0 source states and 1 WebSub subscriptions: migrate-store copies into an empty database only/);
    expect(await sql(url, 'SELECT count(*)::int AS n FROM tributary_items')).toEqual([{ n: 0 }]);

    const held = await tempDir('held');
    const hub = await SubscriptionStore.open(held);
    hub.put(active[0]!);
    await hub.flush();
    const over = await runCli(['migrate-store', '--to', held, '--database', url]);
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(/websub\.json already holds 1 WebSub subscriptions: migrate-store copies into an empty data directory only/);
    expect((await SubscriptionStore.open(held)).all()).toEqual([active[0]]);
  }, 60_000);
});
