// `tributary migrate-store` carries the built-in WebSub hub's subscriptions with the store: from data/websub.json
// (written by the embedded hub's own store) into an empty PostgreSQL database (tests/setup/postgres.ts), where an
// instance started on the copy knows them and delivers content to each subscriber (a real HTTP server on 127.0.0.2,
// allowed by CIDR); and back into an empty data directory, where the embedded service
// resumes what the database's hub had left. Each subscription arrives with its topic, callback, secret and lease end;
// one whose lease has ended is left behind, and the summary says so. The hub's unfinished work goes along: a request
// accepted and not yet verified, content owed to a subscriber.
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../src/model.ts';
import { SubscriptionStore, type PendingWork, type Subscription } from '../../src/serve/websub/subscriptions.ts';
import { PgStore } from '../../src/store/pg/pg-store.ts';
import { listSubscriptions } from '../../src/store/pg/websub-subscriptions.ts';
import { ItemStore } from '../../src/store/store.ts';
import { runCli, startService } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { freshDatabase } from '../helpers/pg.ts';
import { until } from '../helpers/poll.ts';
import { RecordingServer } from '../helpers/recording-server.ts';
import { echo, HUB_BASE, hubConfig, hubConfigText, openInstance, subscriptionsOn, writeStory, type Instance } from '../helpers/shared-hub.ts';
import { plain } from '../helpers/plain-text.ts';
import { sampleItem } from '../helpers/sample-items.ts';

const HUB_LINES = ['allowPrivateCallbacks: [127.0.0.2/32]'];
/** The same config as hubConfig's, as a file for the CLI (its baseUrl names the feeds the topics are). */
const CONFIG_TEXT = hubConfigText(HUB_LINES);

/** The sources of the embedded service started on the copy: empty channels on 127.0.0.1. */
const EMPTY_CHANNEL = '<?xml version="1.0"?><rss version="2.0"><channel><title>Empty</title><link>https://a.example.com/</link><description>none</description></channel></rss>';

const subscriber = new RecordingServer();
const sources = new FixtureServer();
const dirs: string[] = [];
let dir: string;
let configFile: string;
let active: Subscription[];
let expired: Subscription;
let pending: PendingWork;
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
  // A request accepted and not verified, and content owed (to an active subscription, and to the expired one).
  pending = {
    verifications: [{ mode: 'subscribe', topic: `${HUB_BASE}/feeds/tags/news.rss`, callback: `${subscriber.base}/late`, leaseSeconds: 600, secret: 'late secret' }],
    deliveries: [{ topic: active[1]!.topic, callback: active[1]!.callback, attempts: 1 }, { topic: expired.topic, callback: expired.callback, attempts: 1 }],
  };
  const hub = await SubscriptionStore.open(dir);
  for (const s of [...active, expired]) hub.put(s);
  hub.pendingWork = () => pending;
  await hub.flush();
}, 60_000);

afterAll(async () => {
  await instance?.close();
  await subscriber.stop();
  await sources.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('tributary migrate-store and the built-in hub', () => {
  it('copies the active subscriptions into the database, where an instance on the copy delivers to them, and back', async () => {
    const url = await freshDatabase('migrate_websub');
    const there = await runCli(['migrate-store', '--to', url, '--data', dir, '--config', configFile]);
    expect(there.stderr).toBe('');
    expect(there.code).toBe(0);
    expect(there.stdout).toMatch(/copied 3 items of 2 sources and 2 source states and 2 WebSub subscriptions \(1 expired, not copied\) with 1 requests to verify and 1 deliveries owed from .* counts per source match; subscriptions match\n$/);

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

    expect(await sql(url, 'SELECT topic, callback, mode, lease_seconds, secret FROM tributary_websub_verifications')).toEqual([
      { topic: `${HUB_BASE}/feeds/tags/news.rss`, callback: `${subscriber.base}/late`, mode: 'subscribe', lease_seconds: 600, secret: 'late secret' },
    ]);
    expect(await sql(url, 'SELECT topic, callback, doc_name, attempts FROM tributary_websub_deliveries')).toEqual([
      { topic: active[1]!.topic, callback: active[1]!.callback, doc_name: 'tags/tech.rss', attempts: 1 },
    ]);

    // An instance started on the copy: its hub's index holds both, it verifies the request left, and its first
    // render reaches each subscriber.
    instance = await openInstance(hubConfig(HUB_LINES), url, 'a', { websubEveryMs: 100, renderEveryMs: 200, statusEveryMs: 60_000 });
    instance.app.start();
    expect(subscriptionsOn(instance)).toBeGreaterThanOrEqual(2);
    const late = () => subscriber.requests.find((r) => r.method === 'GET' && r.url.pathname === '/late');
    await until('the request left verified', () => late() !== undefined && subscriptionsOn(instance!) === 3);
    expect(late()!.url.searchParams.get('hub.mode')).toBe('subscribe');
    // The instance renders once at its start, which may come before /late is verified (content goes to a topic's
    // subscribers when it changes, not when one subscribes: /late then waited for a change that never came, once in a
    // full run). A story written now changes the news feeds, and the render after it reaches /late too.
    await writeStory(instance.app, 4, 'a');
    await instance.app.render();
    const posts = () => subscriber.requests.filter((r) => r.method === 'POST');
    // Served once the news feeds went out with that story (a render may come before the instance follows the write:
    // the one after it publishes the change).
    const gotStory4 = (path: string) => posts().some((r) => r.url.pathname === path && r.body.toString().includes('Story 4'));
    await until('every subscriber served', () => new Set(posts().map((r) => r.url.pathname)).size === 3 && gotStory4('/cb') && gotStory4('/late'));
    await until('nothing owed any more', async () => (await sql(url, 'SELECT 1 FROM tributary_websub_deliveries')).length === 0);
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

    // On the way back: a lease that ended in the database is left behind, the database's unfinished work goes along
    // (an unsubscription to verify; content owed, to an active subscription and to the expired one).
    await sql(url, `INSERT INTO tributary_websub_subscriptions (topic, callback, doc_name, host, secret, expires_at)
                    VALUES ($1, $2, 'tags/news.json', '127.0.0.2', $3, $4)`, [expired.topic, expired.callback, expired.secret, expired.expires]);
    await sql(url, `INSERT INTO tributary_websub_verifications (topic, callback, mode, lease_seconds) VALUES ($1, $2, 'unsubscribe', 0)`, [active[0]!.topic, active[0]!.callback]);
    await sql(url, `INSERT INTO tributary_websub_deliveries (topic, callback, doc_name, attempts) VALUES ($1, $2, 'tags/tech.rss', 1), ($3, $4, 'tags/news.json', 0)`,
      [active[1]!.topic, active[1]!.callback, expired.topic, expired.callback]);
    const back = await tempDir('back');
    const home = await runCli(['migrate-store', '--to', back, '--database', url]);
    expect(home.stderr).toBe('');
    expect(home.code).toBe(0);
    expect(home.stdout).toMatch(/copied 4 items of 2 sources and 2 source states and 3 WebSub subscriptions \(1 expired, not copied\) with 1 requests to verify and 1 deliveries owed from .* subscriptions match\n$/);
    const copied = await SubscriptionStore.open(back);
    const verified = copied.find(`${HUB_BASE}/feeds/tags/news.rss`, `${subscriber.base}/late`);
    expect(verified).toMatchObject({ secret: 'late secret' });
    expect(sorted(copied.all())).toEqual(sorted([...active, verified!]));
    expect(sorted(copied.active(new Date()))).toEqual(sorted([...active, verified!]));
    expect(copied.pendingAtOpen).toEqual({
      verifications: [{ mode: 'unsubscribe', topic: active[0]!.topic, callback: active[0]!.callback, leaseSeconds: 0 }],
      deliveries: [{ topic: active[1]!.topic, callback: active[1]!.callback, attempts: 1 }],
    });

    // The embedded service on the copy serves the subscribers it holds, and verifies the unsubscription left.
    await sources.start();
    for (const path of ['/a.xml', '/b.xml']) sources.routes.set(path, { headers: { 'content-type': 'application/rss+xml' }, body: EMPTY_CHANNEL });
    const embeddedConfig = join(await tempDir('embedded-config'), 'sources.yaml');
    await writeFile(embeddedConfig, CONFIG_TEXT.replace('https://a.example.com/rss', sources.url('/a.xml')).replace('https://b.example.com/rss', sources.url('/b.xml')));
    subscriber.requests.length = 0;
    const service = await startService(['--config', embeddedConfig, '--data', back]);
    try {
      await until('content sent to a copied subscription', () => posts().some((r) => r.url.pathname === '/plain'));
      expect(posts().find((r) => r.url.pathname === '/plain')!.body.toString()).toContain('Story 3');
      await until('the unsubscription verified', () => subscriber.requests.some((r) => r.method === 'GET' && r.url.searchParams.get('hub.mode') === 'unsubscribe'));
    } finally {
      await service.stop();
    }
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
