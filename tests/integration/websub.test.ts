import { createHmac } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFeed } from '../helpers/feed-reader.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { until } from '../helpers/poll.ts';
import { RecordingServer } from '../helpers/recording-server.ts';
import { fixture, sampleConfigText, serveSampleFeeds, SITE_BASE, startSampleSite, type SampleSite } from '../helpers/sample-site.ts';

const topicsOf = (paths: string[]) => paths
  .flatMap((p) => ['atom', 'rss', 'json'].map((f) => `${SITE_BASE}/feeds/${p.split('/').map(encodeURIComponent).join('/')}.${f}`)).sort();

/** The world source edits one of its stories: only the feeds carrying the world source change. */
function editWorldStory(fx: FixtureServer, title: string): void {
  const edited = fixture('world-news.rss.xml').toString().replace(/Markets rally[^<]*/, title);
  fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: edited });
}
const WORLD_FEEDS = ['latest', 'tags/world', 'tags/news', 'sources/world'];

describe('WebSub publisher: pings the configured hub after a render that changed feeds', () => {
  const fx = new FixtureServer();
  const hub = new RecordingServer();
  let site: SampleSite;

  beforeAll(async () => {
    await Promise.all([fx.start(), hub.start()]);
    serveSampleFeeds(fx);
    site = await startSampleSite(sampleConfigText(fx, `websub:\n  hub: ${hub.base}/hub`));
  });

  afterAll(async () => {
    await site?.app.close();
    await Promise.all([fx.stop(), hub.stop()]);
  });

  it('advertises the hub in every format', async () => {
    for (const format of ['atom', 'rss', 'json']) {
      const feed = readFeed(await (await fetch(`${site.base}/feeds/latest.${format}`)).text());
      expect(feed.hubs, format).toEqual([`${hub.base}/hub`]);
    }
  });

  it('pings hub.mode=publish for each changed topic, and not at all when nothing changed', async () => {
    const report = await site.app.runCycle();
    await site.app.websub.settled();
    const pinged = hub.forms().map((f) => {
      expect(f.get('hub.mode')).toBe('publish');
      return f.get('hub.url')!;
    });
    expect(pinged.sort()).toEqual(topicsOf(report.rendered));
    expect(pinged).toContain(`${SITE_BASE}/feeds/latest.atom`);
    expect(pinged).not.toContain(`${SITE_BASE}/feeds/sources/broken.atom`); // still empty: unchanged

    hub.requests.length = 0;
    const quiet = await site.app.runCycle();
    await site.app.websub.settled();
    expect(quiet.rendered).toEqual([]);
    expect(hub.requests).toEqual([]);

    editWorldStory(fx, 'Markets slide as rates rise');
    await site.app.runCycle();
    await site.app.websub.settled();
    expect(hub.forms().map((f) => f.get('hub.url')).sort()).toEqual(topicsOf(WORLD_FEEDS));
  });

  it('retries a ping the hub refused, and counts the outcomes in /metrics', async () => {
    hub.requests.length = 0;
    let refusals = 1;
    hub.respond = () => (refusals-- > 0 ? { status: 503 } : { status: 204 });
    const retrying = await startSampleSite(sampleConfigText(fx, `websub:\n  hub: ${hub.base}/hub`), { websubRetryDelaysMs: [0] });
    try {
      await retrying.app.runCycle();
      await retrying.app.websub.settled();
      const latest = hub.forms().filter((f) => f.get('hub.url') === `${SITE_BASE}/feeds/latest.atom`);
      expect(latest.length).toBeGreaterThanOrEqual(1);
      const metrics = await (await fetch(`${retrying.base}/metrics`)).text();
      expect(metrics).toMatch(/^tributary_websub_pings_total\{outcome="error"\} 1$/m);
      expect(metrics).toMatch(/^tributary_websub_pings_total\{outcome="ok"\} \d+$/m);
      // Every topic got through in the end: one request more than there are topics.
      const report = topicsOf(WORLD_FEEDS.concat(['tags/tech', 'tags/新闻', 'sources/tech', 'sources/cn']));
      expect(new Set(hub.forms().map((f) => f.get('hub.url'))).size).toBe(report.length);
      expect(hub.requests).toHaveLength(report.length + 1);
    } finally {
      hub.respond = () => ({ status: 204 });
      await retrying.app.close();
    }
  });
});

describe('WebSub built-in hub: verification of intent, leases, signed distribution', () => {
  const fx = new FixtureServer();
  const subscriber = new RecordingServer();
  let site: SampleSite;
  let clock = Date.parse('2025-03-10T00:00:00Z');
  const topic = `${SITE_BASE}/feeds/tags/world.atom`;

  beforeAll(async () => {
    await Promise.all([fx.start(), subscriber.start()]);
    serveSampleFeeds(fx);
    // The subscriber plays a public host on 127.0.0.1: the operator allows private callbacks for it.
    site = await startSampleSite(sampleConfigText(fx, 'websub:\n  builtin: true\n  allowPrivateCallbacks: true'), { now: () => new Date(clock), websubRetryDelaysMs: [0, 0] });
    await site.app.runCycle();
  });

  afterAll(async () => {
    await site?.app.close();
    await Promise.all([fx.stop(), subscriber.stop()]);
  });

  beforeEach(() => {
    subscriber.requests.length = 0;
    // A well-behaved subscriber: echoes the challenge, accepts content.
    subscriber.respond = (req) => (req.method === 'GET' ? { status: 200, body: req.url.searchParams.get('hub.challenge') ?? '' } : { status: 204 });
  });

  afterEach(() => site.app.websub.settled());

  const hubRequest = (fields: Record<string, string>) => fetch(`${site.base}/websub`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

  async function subscribe(callback: string, extra: Record<string, string> = {}): Promise<void> {
    const res = await hubRequest({ 'hub.mode': 'subscribe', 'hub.topic': topic, 'hub.callback': callback, ...extra });
    expect(res.status).toBe(202);
    await site.app.websub.settled();
  }

  it('names itself as the hub of every feed', async () => {
    const feed = readFeed(await (await fetch(`${site.base}/feeds/tags/world.rss`)).text());
    expect(feed.hubs).toEqual([`${SITE_BASE}/websub`]);
  });

  it('verifies intent with a challenge, then sends changed content signed with the secret', async () => {
    await subscribe(`${subscriber.base}/cb?user=7`, { 'hub.secret': 'correct horse', 'hub.lease_seconds': '3600' });
    const [verification] = subscriber.requests;
    expect(verification!.method).toBe('GET');
    expect(verification!.url.pathname).toBe('/cb');
    expect(Object.fromEntries(verification!.url.searchParams)).toMatchObject({
      user: '7', 'hub.mode': 'subscribe', 'hub.topic': topic, 'hub.lease_seconds': '3600',
    });
    expect(verification!.url.searchParams.get('hub.challenge')!.length).toBeGreaterThanOrEqual(16);
    expect(site.app.websub.status().builtin).toEqual({ url: `${SITE_BASE}/websub`, subscriptions: 1 });
    // Written in batches (at most every 2 s), no longer at each verification.
    await until('websub.json written', () => existsSync(join(site.dataDir, 'websub.json')));
    expect(statSync(join(site.dataDir, 'websub.json')).mode & 0o777).toBe(0o600);

    subscriber.requests.length = 0;
    editWorldStory(fx, 'Markets slide as rates rise');
    await site.app.runCycle();
    await site.app.websub.settled();
    const deliveries = subscriber.requests.filter((r) => r.method === 'POST');
    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries;
    const served = site.app.feeds.get('tags/world', 'atom')!;
    expect(delivery!.body.equals(served.body)).toBe(true);
    expect(delivery!.body.toString()).toContain('Markets slide as rates rise');
    expect(delivery!.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(delivery!.headers.link).toBe(`<${SITE_BASE}/websub>; rel="hub", <${topic}>; rel="self"`);
    const expected = createHmac('sha256', 'correct horse').update(delivery!.body).digest('hex');
    expect(delivery!.headers['x-hub-signature']).toBe(`sha256=${expected}`);
  });

  it('sends nothing when the subscribed feed did not change', async () => {
    await site.app.runCycle();
    await site.app.websub.settled();
    expect(subscriber.requests).toEqual([]);
  });

  it('retries a delivery the subscriber failed', async () => {
    let failures = 1;
    subscriber.respond = (req) => (req.method === 'POST' && failures-- > 0 ? { status: 500 } : { status: 204 });
    editWorldStory(fx, 'Markets steady as rates pause');
    await site.app.runCycle();
    await site.app.websub.settled();
    const posts = subscriber.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.body.toString()).toContain('Markets steady as rates pause');
  });

  it('does not subscribe a callback that does not echo the challenge', async () => {
    subscriber.respond = (req) => (req.method === 'GET' ? { status: 200, body: 'sure, whatever' } : { status: 204 });
    await subscribe(`${subscriber.base}/lazy`);
    expect(site.app.websub.status().builtin!.subscriptions).toBe(1);
  });

  it.each([
    [{ 'hub.mode': 'subscribe', 'hub.topic': 'https://elsewhere.example/feed.xml', 'hub.callback': 'http://127.0.0.1:1/cb' }, 'is not a feed of this service'],
    [{ 'hub.mode': 'subscribe', 'hub.topic': `${SITE_BASE}/feeds/latest.atom?page=2`, 'hub.callback': 'http://127.0.0.1:1/cb' }, 'is not a feed of this service'],
    [{ 'hub.mode': 'subscribe', 'hub.topic': `${SITE_BASE}/feeds/latest.atom`, 'hub.callback': 'ftp://x/' }, 'hub.callback must be'],
    [{ 'hub.mode': 'publish', 'hub.topic': `${SITE_BASE}/feeds/latest.atom`, 'hub.callback': 'http://127.0.0.1:1/cb' }, 'hub.mode must be'],
    [{ 'hub.mode': 'subscribe', 'hub.topic': `${SITE_BASE}/feeds/latest.atom`, 'hub.callback': 'http://127.0.0.1:1/cb', 'hub.secret': 'x'.repeat(200) }, 'hub.secret'],
  ])('refuses %o with 400: %s', async (fields, message) => {
    const res = await hubRequest(fields);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(message);
  });

  it('ends content when the lease runs out', async () => {
    clock += 2 * 3600 * 1000; // past the 3600 s lease granted above
    editWorldStory(fx, 'Markets close higher');
    await site.app.runCycle();
    await site.app.websub.settled();
    expect(subscriber.requests).toEqual([]);
    expect(site.app.websub.status().builtin!.subscriptions).toBe(0);
  });

  it('unsubscribes after verifying that intent too', async () => {
    await subscribe(`${subscriber.base}/cb2`);
    expect(site.app.websub.status().builtin!.subscriptions).toBe(1);
    subscriber.requests.length = 0;
    const res = await hubRequest({ 'hub.mode': 'unsubscribe', 'hub.topic': topic, 'hub.callback': `${subscriber.base}/cb2` });
    expect(res.status).toBe(202);
    await site.app.websub.settled();
    expect(subscriber.requests[0]!.url.searchParams.get('hub.mode')).toBe('unsubscribe');
    expect(site.app.websub.status().builtin!.subscriptions).toBe(0);
  });

  it('takes subscriptions by POST only', async () => {
    expect((await fetch(`${site.base}/websub`)).status).toBe(405);
  });
});
