// The built-in WebSub hub on the PostgreSQL store, with several instances on one real database
// (tests/setup/postgres.ts) and subscribers that are real HTTP servers on 127.0.0.2 (a public host, allowed by
// CIDR): a subscription taken by one instance is known to all; the content of a change reaches each subscriber
// once, whichever instance published it and however many instances look for deliveries due; an unsubscription
// through another instance ends it; an instance killed in the middle of a delivery loses nothing, and the
// delivery is made again by another instance once its lease has run out, once.
import { createHmac } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../helpers/pg.ts';
import { getJson, until } from '../helpers/poll.ts';
import { RecordingServer } from '../helpers/recording-server.ts';
import { echo, HUB_BASE, hubConfig, hubConfigText, hubPost, openInstance, spawnInstance, subscriptionsOn, writeStory, type Instance, type InstanceProcess } from '../helpers/shared-hub.ts';

const TOPIC = `${HUB_BASE}/feeds/tags/news.atom`;
const subscriber = new RecordingServer();
const instances: Instance[] = [];

beforeAll(async () => {
  await subscriber.start('127.0.0.2');
});

afterAll(async () => {
  await Promise.all(instances.map((i) => i.close()));
  await subscriber.stop();
});

const posts = () => subscriber.requests.filter((r) => r.method === 'POST');
const gets = () => subscriber.requests.filter((r) => r.method === 'GET');

async function owed(database: string): Promise<number> {
  const client = new pg.Client(database);
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM tributary_websub_deliveries');
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** The Atom feed of tag news as `instance` serves it. */
function served(instance: Instance): Buffer {
  return (instance.app.site().feed('tags/news', 'atom') as { body: Buffer }).body;
}

/** Whether `instance` serves the feed yet (nothing published at all answers "loading"). */
function serves(instance: Instance, path: string): boolean {
  try {
    return instance.app.site().feed(path, 'atom') !== undefined;
  } catch {
    return false;
  }
}

describe('the built-in hub shared by two instances', () => {
  let database: string;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    database = await freshDatabase('shared_websub_hub');
    const config = hubConfig(['allowPrivateCallbacks: [127.0.0.2/32]']);
    // b renders: it takes the render lock first and keeps it.
    b = await openInstance(config, database, 'b', { websubEveryMs: 100, renderEveryMs: 200, statusEveryMs: 60_000 });
    instances.push(b);
    await writeStory(b.app, 1);
    await writeStory(b.app, 2, 'b');
    await until('b publishes', async () => {
      await b.app.render();
      return b.app.site().status() && (b.app.site().status() as { instance: { renderer: boolean } }).instance.renderer && b.app.site().feed('tags/news', 'atom') !== undefined;
    });
    a = await openInstance(config, database, 'a', { websubEveryMs: 100, renderEveryMs: 200, statusEveryMs: 60_000 });
    instances.push(a);
    a.app.start();
    b.app.start();
    subscriber.respond = echo;
  });

  it('names itself in the feeds of every instance, with the same bytes', async () => {
    await until('a serves the feed', () => a.app.site().feed('tags/news', 'atom') !== undefined);
    expect(served(a).toString()).toContain(`<link rel="hub" href="${HUB_BASE}/websub"/>`);
    expect(served(a).equals(served(b))).toBe(true);
  });

  it('takes a subscription through one instance, verified by it, known to the other', async () => {
    const reply = await hubPost(a, { 'hub.mode': 'subscribe', 'hub.topic': TOPIC, 'hub.callback': `${subscriber.base}/cb?user=7`, 'hub.secret': 'correct horse', 'hub.lease_seconds': '3600' });
    expect(reply.status).toBe(202);
    await until('verified', () => subscriptionsOn(a) === 1);
    const [verification] = gets();
    expect(Object.fromEntries(verification!.url.searchParams)).toMatchObject({ user: '7', 'hub.mode': 'subscribe', 'hub.topic': TOPIC, 'hub.lease_seconds': '3600' });
    await until('b knows of it', () => subscriptionsOn(b) === 1);
  });

  it('sends a change published by the other instance once, signed, though both look for deliveries due', async () => {
    subscriber.requests.length = 0;
    await writeStory(a.app, 3);
    await until('the change delivered', () => posts().length > 0);
    await until('nothing owed any more', async () => (await owed(database)) === 0);
    // Both instances keep looking every 100 ms: a second copy would arrive meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(posts()).toHaveLength(1);
    const [delivery] = posts();
    await until('a serves the change', () => served(a).toString().includes('Story 3'));
    expect(delivery!.body.equals(served(a))).toBe(true);
    expect(delivery!.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(delivery!.headers.link).toBe(`<${HUB_BASE}/websub>; rel="hub", <${TOPIC}>; rel="self"`);
    expect(delivery!.headers['x-hub-signature']).toBe(`sha256=${createHmac('sha256', 'correct horse').update(delivery!.body).digest('hex')}`);
  });

  it('sends nothing for a change of another feed', async () => {
    subscriber.requests.length = 0;
    await writeStory(a.app, 4, 'b');
    await until('a serves the change', () => (a.app.site().feed('tags/tech', 'atom') as { body: Buffer }).body.toString().includes('Story 4'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(posts()).toEqual([]);
  });

  it('retries a delivery the subscriber failed, with the content current then', async () => {
    subscriber.requests.length = 0;
    let failures = 1;
    subscriber.respond = (req) => (req.method === 'POST' && failures-- > 0 ? { status: 500 } : echo(req));
    await writeStory(a.app, 5);
    await until('delivered after a failure', () => posts().length === 2);
    await until('nothing owed any more', async () => (await owed(database)) === 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(posts()).toHaveLength(2);
    expect(posts()[1]!.body.toString()).toContain('Story 5');
    subscriber.respond = echo;
  });

  it('ends the subscription when the other instance verifies an unsubscription, and sends no more', async () => {
    subscriber.requests.length = 0;
    const reply = await hubPost(b, { 'hub.mode': 'unsubscribe', 'hub.topic': TOPIC, 'hub.callback': `${subscriber.base}/cb?user=7` });
    expect(reply.status).toBe(202);
    await until('a forgets it', () => subscriptionsOn(a) === 0);
    expect(gets()[0]!.url.searchParams.get('hub.mode')).toBe('unsubscribe');
    expect(subscriptionsOn(b)).toBe(0);
    await writeStory(a.app, 6);
    await until('a serves the change', () => served(a).toString().includes('Story 6'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(posts()).toEqual([]);
    expect(await owed(database)).toBe(0);
  });
});

/** the killed instance's lease on a delivery: its request timeout (websub.timeoutSeconds: 3) and a 2 s margin */
const KILLED_LEASE_MS = 5_000;

describe('an instance killed in the middle of a delivery', () => {
  let database: string;
  let child: InstanceProcess | undefined;

  beforeAll(async () => {
    database = await freshDatabase('shared_websub_kill');
  });

  afterAll(async () => {
    if (child && child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
  });

  it('loses nothing: another instance sends the content again once the lease ran out, and only once', async () => {
    const websub = ['allowPrivateCallbacks: [127.0.0.2/32]', 'timeoutSeconds: 3'];
    const config = hubConfig(websub);
    // A process of its own, which renders (and so delivers); this process's instance only takes the subscription at
    // first. Its lease is shorter than the default (the request timeout and 15 s), which the hub's own tests cover:
    // what is shown here is that a lease a killed process left runs out and the delivery is made again, once.
    child = await spawnInstance(hubConfigText(websub), database, 'killed', { websubLeaseMs: KILLED_LEASE_MS, websubEveryMs: 200, renderEveryMs: 500 });
    await until('the killed instance renders', async () => (await getJson(`${child!.base}/status`)).instance.renderer === true, 30_000);
    const a = await openInstance(config, database, 'survivor', { websubEveryMs: 200, renderEveryMs: 500, statusEveryMs: 60_000 });
    instances.push(a);
    await writeStory(a.app, 1);
    await until('a serves the feed', () => serves(a, 'tags/news'), 30_000);

    subscriber.requests.length = 0;
    subscriber.respond = echo;
    expect((await hubPost(a, { 'hub.mode': 'subscribe', 'hub.topic': TOPIC, 'hub.callback': `${subscriber.base}/killed`, 'hub.secret': 's3cret' })).status).toBe(202);
    await until('verified', () => subscriptionsOn(a) === 1);

    // The first delivery hangs; the instance sending it is killed while it waits.
    let hungAt = 0;
    subscriber.respond = (req) => {
      if (req.method !== 'POST') return echo(req);
      hungAt = Date.now();
      return undefined;
    };
    await writeStory(a.app, 2);
    await until('the killed instance sends the change', () => posts().length === 1, 30_000);
    child.child.kill('SIGKILL');
    await child.exited;

    let againAt = 0;
    subscriber.respond = (req) => {
      if (req.method === 'POST') againAt = Date.now();
      return echo(req);
    };
    a.app.start();
    await until('sent again by the survivor', () => posts().length === 2, 40_000);
    await until('nothing owed any more', async () => (await owed(database)) === 0);
    // The survivor took the render lock and rendered the same bytes: nothing new is owed.
    await until('the survivor renders', () => (a.app.site().status() as { instance: { renderer: boolean } }).instance.renderer);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(posts()).toHaveLength(2);
    // Not before the killed instance's lease had run out (it was taken a moment before the request arrived).
    expect(againAt - hungAt).toBeGreaterThanOrEqual(KILLED_LEASE_MS - 1000);
    const [, again] = posts();
    expect(again!.body.equals(served(a))).toBe(true);
    expect(again!.body.toString()).toContain('Story 2');
    expect(again!.headers['x-hub-signature']).toBe(`sha256=${createHmac('sha256', 's3cret').update(again!.body).digest('hex')}`);
  }, 120_000);
});

describe('an instance stopping with a verification under way', () => {
  it('leaves it in the database, and the next instance to start verifies it', async () => {
    const database = await freshDatabase('shared_websub_stop');
    const config = hubConfig(['allowPrivateCallbacks: [127.0.0.2/32]', 'timeoutSeconds: 60']);
    const stopping = await openInstance(config, database, 'stopping');
    instances.push(stopping);
    await writeStory(stopping.app, 1);
    await stopping.app.render();
    subscriber.requests.length = 0;
    subscriber.respond = (req) => (req.method === 'GET' ? undefined : echo(req)); // the callback hangs
    expect((await hubPost(stopping, { 'hub.mode': 'subscribe', 'hub.topic': TOPIC, 'hub.callback': `${subscriber.base}/later`, 'hub.secret': 'kept' })).status).toBe(202);
    await until('the verification under way', () => gets().length === 1);
    await stopping.close();
    // An instance that opens and closes without starting (a failed start, a fetch --once that published nothing)
    // takes the request at open and leaves it again.
    const brief = await openInstance(config, database, 'brief');
    await brief.close();

    subscriber.respond = echo;
    const next = await openInstance(config, database, 'next');
    instances.push(next);
    next.app.start();
    await until('verified by the next instance', () => subscriptionsOn(next) === 1);
    expect(gets()).toHaveLength(2);
    expect(gets()[1]!.url.searchParams.get('hub.mode')).toBe('subscribe');
    const client = new pg.Client(database);
    await client.connect();
    try {
      const { rows } = await client.query('SELECT callback, secret FROM tributary_websub_subscriptions');
      expect(rows).toEqual([{ callback: `${subscriber.base}/later`, secret: 'kept' }]);
      expect((await client.query('SELECT 1 FROM tributary_websub_verifications')).rowCount).toBe(0);
    } finally {
      await client.end();
    }
  });
});
