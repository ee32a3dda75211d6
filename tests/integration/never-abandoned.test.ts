// Sources are never given up on: backoff grows and is capped, a source recovers after any number of failures,
// and an operator can ask for one source now with `fetch --once --source ID`.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { BACKOFF_JITTER, BACKOFF_MAX_MS } from '../../src/schedule/backoff.ts';
import { runCli } from '../helpers/cli.ts';
import { FixtureServer, type FixtureResponse } from '../helpers/fixture-server.ts';
import { sharedReaders } from '../helpers/shared-readers.ts';
import { openTestApp, rssFeed } from '../helpers/test-app.ts';

const fx = new FixtureServer();
const opened: App[] = [];
beforeAll(async () => {
  await fx.start();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});
afterAll(async () => {
  await fx.stop();
});
const hits = (path: string) => fx.requests.filter((r) => r.path === path).length;

describe('backoff without giving up', () => {
  it('backs off exponentially (capped, jittered) over 10 failures, then recovers at the next due fetch', async () => {
    let down = true;
    fx.routes.set('/flaky.xml', (): FixtureResponse => (down ? { status: 500, body: 'boom' } : { body: rssFeed('Flaky') }));
    const t = await openTestApp([{ id: 'flaky', url: fx.url('/flaky.xml') }]);
    opened.push(t.app);
    const delays: number[] = [];
    for (let failure = 1; failure <= 10; failure++) {
      const report = await t.app.runCycle();
      expect(report.sources).toHaveLength(1);
      const state = t.app.store.sourceState('flaky');
      expect(state.consecutiveFailures).toBe(failure);
      const delay = Date.parse(state.nextFetch!) - t.clock.now().getTime();
      const base = Math.min(60_000 * 2 ** (failure - 1), BACKOFF_MAX_MS);
      expect(delay).toBeGreaterThanOrEqual(base);
      expect(delay).toBeLessThanOrEqual(Math.min(base * (1 + BACKOFF_JITTER), BACKOFF_MAX_MS));
      delays.push(delay);
      // Not fetched a moment before its time…
      t.clock.advance(delay - 1000);
      expect((await t.app.runCycle()).skipped).toHaveLength(1);
      t.clock.advance(1000);
    }
    expect(delays.at(-1)).toBeGreaterThanOrEqual(512 * 60_000);
    expect(hits('/flaky.xml')).toBe(10);
    down = false;
    await t.app.runCycle();
    expect(t.app.store.sourceState('flaky')).toMatchObject({ consecutiveFailures: 0, httpStatus: 200 });
    expect(t.app.store.sourceState('flaky').nextFetch).toBeUndefined();
    expect(t.app.store.items()).toHaveLength(3);
  });
});

describe('tributary fetch --once --source', () => {
  it('fetches only the named sources, at once, even while they back off', async () => {
    let limited = true;
    fx.routes.set('/paused.xml', (): FixtureResponse => (limited ? { status: 429, headers: { 'retry-after': '3600' }, body: 'busy' } : { body: rssFeed('Paused') }));
    fx.routes.set('/calm.xml', { body: rssFeed('Calm') });
    fx.routes.set('/third.xml', { body: rssFeed('Third') });
    const dir = mkdtempSync(join(tmpdir(), 'tributary-source-'));
    const config = join(dir, 'sources.yaml');
    const data = join(dir, 'data');
    writeFileSync(config, `sources:\n  - { id: paused, url: "${fx.url('/paused.xml')}" }\n  - { id: calm, url: "${fx.url('/calm.xml')}" }\n  - { id: third, url: "${fx.url('/third.xml')}" }\n`);
    // The first cycle in this process (a CLI start costs about a CPU-second; what is tested is the CLI's --source
    // below): "paused" answers 429 and is put off for the hour its Retry-After asks.
    const app = await App.open({ config: await loadConfig(config), dataDir: data, logger: silentLogger(), readers: sharedReaders() });
    try {
      await app.runCycle();
      const paused = app.store.sourceState('paused');
      expect(paused).toMatchObject({ consecutiveFailures: 1, httpStatus: 429 });
      expect(Date.parse(paused.nextFetch!)).toBeGreaterThan(Date.now() + 3_500_000);
    } finally {
      await app.close();
    }
    const calmHits = hits('/calm.xml');
    expect(calmHits).toBe(1);

    limited = false;
    const one = await runCli(['fetch', '--once', '--source', 'paused', '--config', config, '--data', data]);
    expect(one.code).toBe(0);
    expect(one.stderr).toContain('fetched 1 sources (0 failed): 3 new');
    expect(hits('/paused.xml')).toBe(2);
    expect(hits('/calm.xml')).toBe(calmHits);
    expect(JSON.parse(readFileSync(join(data, 'sources.json'), 'utf8')).sources.paused).toMatchObject({ consecutiveFailures: 0 });

    const both = await runCli(['fetch', '--once', '--source', 'calm,third', '--source', 'paused', '--config', config, '--data', data]);
    expect(both.stderr).toContain('fetched 3 sources (0 failed)');

    const unknown = await runCli(['fetch', '--once', '--source', 'nope', '--config', config, '--data', data]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown source "nope"');
  });
});
