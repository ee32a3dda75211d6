// The built-in WebSub hub's limits on the PostgreSQL store hold as on the embedded store, with two instances taking
// requests at once: callbacks into the private network refused (by address, by a name resolving there, by a
// redirect), callbacks that do not confirm not subscribed, and the subscription caps holding across the instances
// (each instance checks them on its mirror when a request comes; the database checks them again when a verified
// subscription is written, so two instances verifying at the same moment cannot go over them).
import { lookup } from 'node:dns/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../helpers/pg.ts';
import { until } from '../helpers/poll.ts';
import { RecordingServer } from '../helpers/recording-server.ts';
import { echo, HUB_BASE, hubConfig, hubPost, openInstance, subscriptionsOn, writeStory, type HubReply, type Instance } from '../helpers/shared-hub.ts';

const TOPIC = `${HUB_BASE}/feeds/latest.atom`;
const instances: Instance[] = [];

afterAll(async () => {
  await Promise.all(instances.map((i) => i.close()));
});

async function stored(database: string, host?: string): Promise<number> {
  const client = new pg.Client(database);
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM tributary_websub_subscriptions WHERE $1::text IS NULL OR host = $1', [host ?? null],
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** Two instances on a fresh database, `a` publishing the feeds; both serving them before this returns. */
async function pair(label: string, websub: string[]): Promise<{ a: Instance; b: Instance; database: string }> {
  const database = await freshDatabase(label);
  const config = hubConfig(websub);
  const a = await openInstance(config, database, `${label}-a`);
  instances.push(a);
  await writeStory(a.app, 1);
  await a.app.render();
  const b = await openInstance(config, database, `${label}-b`);
  instances.push(b);
  await until('b serves the feed', () => b.app.site().feed('latest', 'atom') !== undefined);
  return { a, b, database };
}

const subscribe = (instance: Instance, callback: string) => hubPost(instance, { 'hub.mode': 'subscribe', 'hub.topic': TOPIC, 'hub.callback': callback });

describe('the shared hub refuses callbacks into the private network, and callbacks that do not confirm', () => {
  const internal = new RecordingServer(); // an admin endpoint on the hub's own machine
  const publicHost = new RecordingServer(); // a subscriber on a public address (127.0.0.2, allowed by CIDR)
  let a: Instance;
  let b: Instance;
  let database: string;

  beforeAll(async () => {
    await Promise.all([internal.start((await lookup('localhost')).address), publicHost.start('127.0.0.2')]);
    ({ a, b, database } = await pair('shared_websub_private', ['allowPrivateCallbacks: [127.0.0.2/32]']));
  });

  afterAll(async () => {
    await Promise.all([internal.stop(), publicHost.stop()]);
  });

  it.each([
    ['http://127.0.0.1:PORT/internal-secret', 'loopback'],
    ['http://[::1]:PORT/internal-secret', 'loopback'],
    ['http://0x7f.0.0.1:PORT/internal-secret', 'loopback'],
    ['http://0.0.0.0:PORT/internal-secret', 'unspecified'],
  ])('refuses the callback %s with 403 naming the setting, on either instance', async (template, range) => {
    const callback = template.replace('PORT', String(internal.port));
    for (const instance of [a, b]) {
      for (const mode of ['subscribe', 'unsubscribe']) {
        const reply = await hubPost(instance, { 'hub.mode': mode, 'hub.topic': TOPIC, 'hub.callback': callback });
        expect(reply.status, mode).toBe(403);
        expect(reply.text).toContain(`is a ${range}`);
        expect(reply.text).toContain('websub.allowPrivateCallbacks');
      }
    }
    await Promise.all([a.app.websub.settled(), b.app.websub.settled()]);
    expect(internal.requests).toEqual([]);
  });

  it('refuses a name that resolves to loopback when connecting, and a public callback\'s redirect into the private network', async () => {
    expect((await subscribe(a, `http://localhost:${internal.port}/internal-secret`)).status).toBe(202);
    publicHost.respond = () => ({ status: 302, headers: { location: `http://127.0.0.1:${internal.port}/internal-secret` } });
    expect((await subscribe(b, `${publicHost.base}/redirects`)).status).toBe(202);
    await Promise.all([a.app.websub.settled(), b.app.websub.settled()]);
    expect(publicHost.requests).toHaveLength(1);
    expect(internal.requests).toEqual([]);
    expect(await stored(database)).toBe(0);
  });

  it('does not subscribe a callback that does not echo the challenge, and refuses malformed requests with 400', async () => {
    publicHost.respond = (req) => (req.method === 'GET' ? { status: 200, body: 'sure, whatever' } : { status: 204 });
    expect((await subscribe(a, `${publicHost.base}/lazy`)).status).toBe(202);
    await a.app.websub.settled();
    expect(await stored(database)).toBe(0);
    const replies: HubReply[] = await Promise.all([
      subscribe(b, 'ftp://127.0.0.2/cb'),
      hubPost(b, { 'hub.mode': 'subscribe', 'hub.topic': `${TOPIC}?page=2`, 'hub.callback': `${publicHost.base}/cb` }),
      hubPost(b, { 'hub.mode': 'subscribe', 'hub.topic': `${HUB_BASE}/feeds/tags/nowhere.atom`, 'hub.callback': `${publicHost.base}/cb` }),
      hubPost(b, { 'hub.mode': 'publish', 'hub.topic': TOPIC, 'hub.callback': `${publicHost.base}/cb` }),
    ]);
    expect(replies.map((r) => r.status)).toEqual([400, 400, 400, 400]);
    expect(replies[0]!.text).toContain('hub.callback must be');
    expect(replies[1]!.text).toContain('is not a feed of this service');
    expect(replies[2]!.text).toContain('is not a feed of this service');
    expect(replies[3]!.text).toContain('hub.mode must be');
  });
});

describe('the shared hub\'s caps hold across instances', () => {
  const hostX = new RecordingServer();
  const hostY = new RecordingServer();
  let a: Instance;
  let b: Instance;
  let database: string;

  beforeAll(async () => {
    await Promise.all([hostX.start('127.0.0.2'), hostY.start('127.0.0.3')]);
    hostX.respond = echo;
    hostY.respond = echo;
    ({ a, b, database } = await pair('shared_websub_caps', [
      'allowPrivateCallbacks: [127.0.0.2/32, 127.0.0.3/32]', 'requestsPerMinute: 1000000', 'maxSubscriptions: 6', 'maxSubscriptionsPerHost: 4',
    ]));
  });

  afterAll(async () => {
    await Promise.all([hostX.stop(), hostY.stop()]);
  });

  /** Requests through both instances at once, alternating. */
  async function both(callbacks: string[]): Promise<HubReply[]> {
    const replies = await Promise.all(callbacks.map((callback, i) => subscribe(i % 2 === 0 ? a : b, callback)));
    await Promise.all([a.app.websub.settled(), b.app.websub.settled()]);
    return replies;
  }

  it('keeps at most maxSubscriptionsPerHost of one host, whichever instances took the requests', async () => {
    // Verifications answered a second late: every request has its answer before any subscription is written.
    hostX.answerAfterMs = 1000;
    const replies = await both(Array.from({ length: 12 }, (_, i) => `${hostX.base}/cap/${i}`));
    // Each instance took up to 4 (its mirror showed none yet, its own verifications were under way): more than
    // the cap were verified, and the database kept 4.
    expect(replies.filter((r) => r.status === 202).length).toBeGreaterThan(4);
    expect(replies.every((r) => r.status === 202 || (r.status === 403 && r.text.includes('websub.maxSubscriptionsPerHost')))).toBe(true);
    hostX.answerAfterMs = 0;
    expect(await stored(database, '127.0.0.2')).toBe(4);
    await until('both mirrors hold 4', () => subscriptionsOn(a) === 4 && subscriptionsOn(b) === 4);
    // Now that every instance knows, a new callback of that host is refused at once.
    for (const instance of [a, b]) {
      const reply = await subscribe(instance, `${hostX.base}/late`);
      expect(reply.status).toBe(403);
      expect(reply.text).toContain('websub.maxSubscriptionsPerHost');
    }
  });

  it('keeps at most maxSubscriptions in all, and still renews a subscription held', async () => {
    await both(Array.from({ length: 6 }, (_, i) => `${hostY.base}/cap/${i}`));
    expect(await stored(database, '127.0.0.3')).toBe(2);
    expect(await stored(database)).toBe(6);
    await until('both mirrors hold 6', () => subscriptionsOn(a) === 6 && subscriptionsOn(b) === 6);
    const refused = await subscribe(b, `${hostY.base}/late`);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('websub.maxSubscriptions)');
    const held = await firstCallback(database, '127.0.0.2');
    hostX.requests.length = 0;
    expect((await subscribe(b, held)).status).toBe(202);
    await b.app.websub.settled();
    expect(hostX.requests.map((r) => r.url.searchParams.get('hub.mode'))).toEqual(['subscribe']);
    expect(await stored(database)).toBe(6);
  });

  it('answers 429 once one client has spent an instance\'s requestsPerMinute', async () => {
    const config = hubConfig(['allowPrivateCallbacks: [127.0.0.2/32]', 'requestsPerMinute: 3']);
    const c = await openInstance(config, database, 'rate-limited');
    instances.push(c);
    await until('c serves the feed', () => c.app.site().feed('latest', 'atom') !== undefined);
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await hubPost(c, { 'hub.mode': 'unsubscribe', 'hub.topic': TOPIC, 'hub.callback': `${hostX.base}/rate/${i}` }));
    expect(replies.map((r) => r.status)).toEqual([202, 202, 202, 429, 429]);
    expect(replies[3]!.text).toContain('too many hub requests');
    await c.app.websub.settled();
  });
});

async function firstCallback(database: string, host: string): Promise<string> {
  const client = new pg.Client(database);
  await client.connect();
  try {
    const { rows } = await client.query<{ callback: string }>('SELECT callback FROM tributary_websub_subscriptions WHERE host = $1 ORDER BY callback LIMIT 1', [host]);
    return rows[0]!.callback;
  } finally {
    await client.end();
  }
}
