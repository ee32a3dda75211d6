// SIGTERM with thousands of WebSub verifications queued to callbacks that never answer: the real CLI must exit
// within --shutdown-timeout, and the work it did not do must be there, and done, at the next start.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { FormClient } from '../helpers/form-post.ts';
import { getJson, until } from '../helpers/poll.ts';
import { RecordingServer } from '../helpers/recording-server.ts';
import { fixture, sampleConfigText, serveSampleFeeds, startSampleSite } from '../helpers/sample-site.ts';

const BASE = 'http://tributary.test';
const TOPIC = `${BASE}/feeds/latest.atom`;
const COUNT = 2000;
const GRACE_SECONDS = 2;

describe('stopping the service with WebSub work queued', () => {
  const fx = new FixtureServer();
  const callbacks = new RecordingServer(); // first hangs on every request, then (second run) confirms
  let dir: string;
  let service: RunningService | undefined;

  beforeAll(async () => {
    await fx.start();
    fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: fixture('world-news.rss.xml') });
    await callbacks.start('127.0.0.2');
    dir = mkdtempSync(join(tmpdir(), 'tributary-websub-stop-'));
    writeFileSync(join(dir, 'sources.yaml'), [
      'title: Hub', `baseUrl: ${BASE}`,
      'websub:', '  builtin: true', '  allowPrivateCallbacks: [127.0.0.2/32]', '  requestsPerMinute: 1000000',
      '  maxSubscriptions: 100000', '  maxSubscriptionsPerHost: 100000',
      // Longer than the test: a dead callback would hold its request this long if nothing aborted it.
      '  timeoutSeconds: 300',
      'sources:', '  - id: world', `    url: ${fx.url('/world.xml')}`, '',
    ].join('\n'));
  });

  afterAll(async () => {
    if (service && service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    await Promise.all([fx.stop(), callbacks.stop()]);
  });

  const start = () => startService(['--config', join(dir, 'sources.yaml'), '--data', join(dir, 'data'), '--shutdown-timeout', String(GRACE_SECONDS)]);

  async function subscribeAll(base: string): Promise<number[]> {
    const statuses: number[] = [];
    const client = new FormClient();
    let next = 0;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < COUNT) {
        const i = next++;
        const reply = await client.post(`${base}/websub`, { 'hub.mode': 'subscribe', 'hub.topic': TOPIC, 'hub.callback': `${callbacks.base}/cb/${i}` });
        statuses.push(reply.status);
      }
    }));
    // The service is stopped with SIGTERM next: no connection of ours may keep it open.
    client.close();
    return statuses;
  }

  it('exits within the shutdown timeout, keeps every unverified request in websub.json, and verifies them at the next start', async () => {
    callbacks.respond = () => undefined;
    service = await start();
    const statuses = await subscribeAll(service.base);
    expect(statuses.filter((s) => s === 202)).toHaveLength(COUNT);
    await until('verifications hanging on the callbacks', () => callbacks.requests.length >= 2);

    const signalled = Date.now();
    service.child.kill('SIGTERM');
    const exit = await Promise.race([service.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
    const seconds = (Date.now() - signalled) / 1000;
    expect(exit).toEqual({ code: 0, signal: null });
    // The grace, plus the margin a loaded test machine needs to write two small files and exit.
    expect(seconds).toBeLessThan(GRACE_SECONDS + 4);
    expect(service.stderr()).toMatch(/"unfinished":2000[,}]/);

    const kept = JSON.parse(readFileSync(join(dir, 'data', 'websub.json'), 'utf8'));
    expect(kept.subscriptions).toEqual([]);
    expect(kept.pending.verifications).toHaveLength(COUNT);
    expect(new Set(kept.pending.verifications.map((v: { callback: string }) => v.callback)).size).toBe(COUNT);

    // Next start: the callbacks now answer; every request is verified without being sent again.
    callbacks.respond = (req) => ({ status: 200, body: req.url.searchParams.get('hub.challenge') ?? '' });
    callbacks.requests.length = 0;
    service = await start();
    const running = service;
    // The verifications take seconds (two at a time to the one callback host): wait for them where they arrive, in
    // this process, instead of asking /status 40 times a second all along (about a second of CPU on both sides).
    await until('every callback asked to confirm', () => callbacks.requests.length >= COUNT, 60_000);
    await until('all carried-over requests verified', async () => (await getJson(`${running.base}/status`)).websub.builtin.subscriptions === COUNT, 60_000);
    expect(await running.stop()).toBe(0);
    const after = JSON.parse(readFileSync(join(dir, 'data', 'websub.json'), 'utf8'));
    expect(after.subscriptions).toHaveLength(COUNT);
    expect(after.pending).toEqual({ verifications: [], deliveries: [] });
  }, 120_000);
});

describe('closing the service with a delivery under way', () => {
  const fx = new FixtureServer();
  const subscriber = new RecordingServer();

  beforeAll(async () => {
    await Promise.all([fx.start(), subscriber.start('127.0.0.2')]);
    serveSampleFeeds(fx);
  });

  afterAll(async () => {
    await Promise.all([fx.stop(), subscriber.stop()]);
  });

  it('aborts it at the deadline, keeps it in websub.json, and delivers the current content at the next start', async () => {
    const config = sampleConfigText(fx, 'websub:\n  builtin: true\n  allowPrivateCallbacks: [127.0.0.2/32]\n  timeoutSeconds: 300');
    const topic = `${BASE}/feeds/tags/world.atom`;
    let hanging = true;
    subscriber.respond = (req) => {
      if (req.method === 'GET') return { status: 200, body: req.url.searchParams.get('hub.challenge') ?? '' };
      return hanging ? undefined : { status: 204 };
    };
    const first = await startSampleSite(config);
    await first.app.runCycle();
    const res = await fetch(`${first.base}/websub`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.topic': topic, 'hub.callback': `${subscriber.base}/cb` }).toString(),
    });
    expect(res.status).toBe(202);
    await first.app.websub.settled();
    expect(first.app.websub.status().builtin!.subscriptions).toBe(1);

    fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: fixture('world-news.rss.xml').toString().replace(/Markets rally[^<]*/, 'Markets slide') });
    await first.app.runCycle();
    await until('the delivery hanging', () => subscriber.requests.some((r) => r.method === 'POST'));
    const began = Date.now();
    await first.app.close(200);
    expect(Date.now() - began).toBeLessThan(5_000); // not the 300 s request timeout
    const kept = JSON.parse(readFileSync(join(first.dataDir, 'websub.json'), 'utf8'));
    expect(kept.pending.deliveries).toEqual([{ topic, callback: `${subscriber.base}/cb`, attempts: 0 }]);

    hanging = false;
    subscriber.requests.length = 0;
    const second = await startSampleSite(config, {}, first.dataDir);
    try {
      await second.app.websub.settled();
      const posts = subscriber.requests.filter((r) => r.method === 'POST');
      expect(posts).toHaveLength(1);
      expect(posts[0]!.body.toString()).toContain('Markets slide');
    } finally {
      await second.app.close();
    }
    expect(JSON.parse(readFileSync(join(first.dataDir, 'websub.json'), 'utf8')).pending).toEqual({ verifications: [], deliveries: [] });
  });
});
