// `tributary fetch --once` keeps the documents it renders in data/rendered/ as `serve` does: a cron job's run writes
// the store, which makes the documents an earlier `serve` kept stale; without fresh ones the next `serve` start
// would serve no feed until its store is loaded.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, startService } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { getJson, until } from '../helpers/poll.ts';
import { rssFeed } from '../helpers/test-app.ts';

const fx = new FixtureServer();
let dir: string;

beforeAll(async () => {
  await fx.start();
  dir = mkdtempSync(join(tmpdir(), 'tributary-fetch-rendered-'));
});

afterAll(async () => {
  await fx.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The "listening on" log line of a serve start on `data`, as JSON; the service is stopped once it is logged. */
async function listeningLine(config: string, data: string): Promise<{ renderedDocs: number; notServed?: string }> {
  const child = spawnCli(['serve', '--port', '0', '--config', config, '--data', data]);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  try {
    const line = await until('the listening line', () => {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}:\n${stderr}`);
      return stderr.split('\n').find((l) => l.includes('"msg":"listening on'));
    }, 30_000);
    return JSON.parse(line);
  } finally {
    const closed = new Promise((resolve) => child.once('close', resolve));
    child.kill('SIGTERM');
    await closed;
  }
}

describe('tributary fetch --once and the kept rendered documents', () => {
  it('keeps what it rendered, so the next serve start serves the feeds it fetched instead of refusing stale ones', async () => {
    const config = join(dir, 'sources.yaml');
    const data = join(dir, 'data');
    // baseUrl set, as beside a cron-driven fetch --once it must be: without it serve's links follow the port it
    // listens on (here a new one each start), which fetch --once cannot know, and its documents are rightly refused
    writeFileSync(config, `baseUrl: https://feeds.example.org\nsources:\n  - id: wire\n    url: ${fx.url('/wire.xml')}\n`);
    fx.routes.set('/wire.xml', { headers: { 'content-type': 'application/rss+xml' }, body: rssFeed('Morning', 2) });
    // A service ran once and kept its documents...
    const service = await startService(['--config', config, '--data', data]);
    await until('the first cycle', async () => (await getJson(`${service.base}/status`)).lastCycle !== null);
    expect(await service.stop()).toBe(0);
    // ...then cron ran fetch --once, which found a new story.
    fx.routes.set('/wire.xml', { headers: { 'content-type': 'application/rss+xml' }, body: rssFeed('Evening', 3) });
    const fetched = await runCli(['fetch', '--once', '--config', config, '--data', data]);
    expect(fetched.code, fetched.stderr).toBe(0);

    const manifest = JSON.parse(readFileSync(join(data, 'rendered', 'manifest.json'), 'utf8'));
    expect(manifest.items).toBe(5);
    const latest = readFileSync(join(data, 'rendered', manifest.docs['latest.atom'].file), 'utf8');
    expect(latest).toContain('Evening 3');
    expect(latest).toContain('Morning 2');
    expect(manifest.docs).toHaveProperty(['index']);

    const listening = await listeningLine(config, data);
    expect(listening.notServed).toBeUndefined();
    expect(listening.renderedDocs).toBe(Object.keys(manifest.docs).length);
  }, 60_000);
});
