import type { ServerResponse } from 'node:http';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { startService } from '../helpers/cli.ts';
import { atomEntries } from '../helpers/feed-lint.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { until } from '../helpers/poll.ts';
import { sharedReaders } from '../helpers/shared-readers.ts';

const FIXTURES = new URL('../fixtures/feeds/', import.meta.url);
const TECH = readFileSync(new URL('tech-blog.atom.xml', FIXTURES));

/** A route that answers only when told to: a fetch the test can keep in flight as long as it likes. */
function holdRoute(fx: FixtureServer, path: string): { arrived: Promise<void>; answer: () => void } {
  let arrive!: () => void;
  let response: ServerResponse | undefined;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  fx.routes.set(path, (_req, res) => {
    response = res;
    arrive();
  });
  return {
    arrived,
    answer: () => {
      response!.writeHead(200, { 'content-type': 'application/atom+xml', 'content-length': TECH.length });
      response!.end(TECH);
    },
  };
}

interface StoreFile {
  items: { sourceId: string; title: string }[];
  sources: Record<string, { consecutiveFailures: number; lastError?: string; lastSuccess?: string }>;
}

describe('stopping the service', () => {
  const fx = new FixtureServer();
  let dir: string;
  let config: string;
  let prepared: string;

  beforeAll(async () => {
    await fx.start();
    // With an ETag, so that each service's fetch of "world" at start is a 304: the stored items are what the tests
    // look at, and a document to read would start a read worker in the service (about half a CPU-second).
    const world = readFileSync(new URL('world-news.rss.xml', FIXTURES));
    fx.routes.set('/world.xml', (req) => (req.headers['if-none-match'] === '"world-1"'
      ? { status: 304, body: '' }
      : { headers: { 'content-type': 'application/rss+xml', etag: '"world-1"' }, body: world }));
    dir = mkdtempSync(join(tmpdir(), 'tributary-stop-'));
    config = join(dir, 'sources.yaml');
    writeFileSync(config, `title: Stop\nsources:\n  - id: world\n    url: ${fx.url('/world.xml')}\n  - id: slow\n    url: ${fx.url('/slow.atom')}\n`);
    // A store holding the world items; the slow source has never been fetched (a failed fetch would put it
    // into backoff, and the service would rightly not fetch it at start).
    prepared = join(dir, 'prepared');
    const worldOnly = join(dir, 'world-only.yaml');
    writeFileSync(worldOnly, `title: Stop\nsources:\n  - id: world\n    url: ${fx.url('/world.xml')}\n`);
    const app = await App.open({ config: await loadConfig(worldOnly), dataDir: prepared, logger: silentLogger(), readers: sharedReaders() });
    await app.runCycle();
    await app.close();
  });

  afterAll(async () => {
    await fx.stop();
  });

  function freshData(): string {
    const data = mkdtempSync(join(dir, 'data-'));
    cpSync(prepared, data, { recursive: true });
    return data;
  }

  // Items live in store.json, source states in sources.json.
  const readStore = (data: string) => ({
    ...JSON.parse(readFileSync(join(data, 'store.json'), 'utf8')),
    sources: JSON.parse(readFileSync(join(data, 'sources.json'), 'utf8')).sources,
  }) as StoreFile;

  it('serves stored feeds before the first fetch completes, lets a slow fetch finish after SIGTERM, stores it, exits 0', async () => {
    const slow = holdRoute(fx, '/slow.atom');
    const data = freshData();
    const service = await startService(['--config', config, '--data', data]);
    await slow.arrived;
    // The first cycle cannot finish while "slow" hangs, yet the stored items are served.
    const latest = atomEntries(await (await fetch(`${service.base}/feeds/latest.atom`)).text());
    expect(latest.map((e) => e.title)).toContain('Markets rally as rates hold');

    service.child.kill('SIGTERM');
    await until('the shutdown to begin', () => service.stderr().includes('"msg":"shutting down"'));
    // Still serving while in-flight fetches drain.
    expect((await fetch(`${service.base}/healthz`)).status).toBe(200);
    slow.answer();
    expect(await service.exited).toEqual({ code: 0, signal: null });

    const store = readStore(data);
    expect(store.items.filter((i) => i.sourceId === 'slow').map((i) => i.title)).toContain('Chip makers <b>race</b> to 2nm');
    expect(store.sources.slow!.lastSuccess).toBeDefined();
    expect(service.stderr()).toMatch(/"aborted":false[^\n]*"msg":"stopped"/);
  });

  it('aborts a fetch that outlasts --shutdown-timeout without counting it as the source\'s failure', async () => {
    const slow = holdRoute(fx, '/slow.atom');
    const data = freshData();
    expect(readStore(data).sources.slow).toBeUndefined();
    const service = await startService(['--shutdown-timeout', '0.3', '--config', config, '--data', data]);
    await slow.arrived;
    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(service.stderr()).toMatch(/"source":"slow"[^\n]*"msg":"fetch aborted by shutdown"/);
    expect(service.stderr()).toMatch(/"aborted":true[^\n]*"msg":"stopped"/);
    const store = readStore(data);
    // Not recorded as a failure: no state at all, as before the fetch began.
    expect(store.sources.slow).toBeUndefined();
    expect(store.items.filter((i) => i.sourceId === 'world')).toHaveLength(3);
  });

  it('exits at once on a second signal, leaving the store readable', async () => {
    const slow = holdRoute(fx, '/slow.atom');
    const data = freshData();
    const service = await startService(['--config', config, '--data', data]);
    await slow.arrived;
    service.child.kill('SIGTERM');
    await until('the shutdown to begin', () => service.stderr().includes('"msg":"shutting down"'));
    service.child.kill('SIGINT');
    expect(await service.exited).toEqual({ code: 130, signal: null });
    expect(service.stderr()).toContain('second signal: exiting at once');
    expect(readStore(data).items.filter((i) => i.sourceId === 'world')).toHaveLength(3);
  });
});
