// `tributary serve` listens before its store is loaded, answering /healthz and every stored feed from the documents
// the last run kept in data/rendered/, byte for byte with the same ETags, so readers polling across a restart get
// 304 at once. These tests order answers against the log rather than time them: the store here (40 MB) takes long
// enough to load that answers given before the "store loaded" line can only have come from the kept documents.
import { cpSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../src/model.ts';
import { ItemStore } from '../../src/store/store.ts';
import { spawnCli, startService } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { plain } from '../helpers/plain-text.ts';
import { getJson, until } from '../helpers/poll.ts';

const SOURCES = ['alpha', 'beta', 'gamma', 'delta'];
const PER_SOURCE = 1000;
/** characters of content per item: 4,000 items of it make a store file of about 40 MB */
const CONTENT_CHARS = 10_000;
/** what a reader polls; each must come back identical across a restart */
/** what needs the store itself: pages, filtered views, composed tag feeds, metrics */
const NEEDS_STORE = ['/feeds/latest.atom?page=2', '/feeds/latest.atom?filter=story', '/feeds/tags/tag-alpha+tag-beta.atom', '/metrics'];
const POLLED = ['/feeds/latest.atom', '/feeds/latest.rss', '/feeds/tags/tag-alpha.json', '/feeds/sources/gamma.rss', '/feeds/sources/beta.html', '/', '/feeds.opml'];

function item(sourceId: string, n: number): Item {
  const day = new Date(Date.UTC(2025, 0, 1) + (n * SOURCES.length + SOURCES.indexOf(sourceId)) * 60_000).toISOString();
  const paragraph = `<p>Paragraph of story ${n} from ${sourceId}: the council met and the budget passed after a long debate.</p>\n`;
  return {
    id: `tag:listen.test,2025:${sourceId}/${n}`, sourceId, key: `g:${sourceId}-${n}`, title: plain(`${sourceId} story ${n}`),
    link: `https://${sourceId}.example.com/story/${n}`, published: day, updated: day, firstSeen: day,
    summary: `<p>Summary of ${sourceId} story ${n}</p>`, content: paragraph.repeat(Math.ceil(CONTENT_CHARS / paragraph.length)),
    categories: [], enclosures: [], alsoIn: [], hash: `${sourceId}-${n}`,
  };
}

function configText(fx: FixtureServer, title: string): string {
  return [`title: ${title}`, 'baseUrl: http://feeds.listen.test', 'retention:', '  maxItemsPerSource: 5000', 'sources:',
    ...SOURCES.flatMap((id) => [`  - id: ${id}`, `    title: ${id} wire`, `    url: ${fx.url(`/${id}.xml`)}`, `    tags: [tag-${id}]`])].join('\n');
}

/** A copy of `from` whose files are hard links: the same inodes, as a restart on the same directory finds them. */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const path = join(from, name);
    if (statSync(path).isDirectory()) linkTree(path, join(to, name));
    else linkSync(path, join(to, name));
  }
}

interface Starting {
  base: string;
  stderr: () => string;
  isLoaded: () => boolean;
  stop: () => Promise<number | null>;
}

/** Spawns serve and resolves as soon as it logs a port: before the store is loaded when it listens first. */
function startListening(config: string, data: string): Promise<Starting> {
  const child = spawnCli(['serve', '--port', '0', '--config', config, '--data', data]);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const stop = () => new Promise<number | null>((done) => {
    if (child.exitCode !== null) return done(child.exitCode);
    child.once('close', (code) => done(code));
    child.kill('SIGTERM');
  });
  return until('the service to log its port', () => {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${stderr}`);
    const port = /"port":(\d+)/.exec(stderr)?.[1];
    return port ? { base: `http://127.0.0.1:${port}`, stderr: () => stderr, isLoaded: () => stderr.includes('"msg":"store loaded"'), stop } : undefined;
  }, 30_000);
}

interface Answer {
  status: number;
  etag: string | null;
  body: Buffer;
  retryAfter: string | null;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { headers: { 'accept-encoding': 'identity', ...headers } });
  return { status: res.status, etag: res.headers.get('etag'), body: Buffer.from(await res.arrayBuffer()), retryAfter: res.headers.get('retry-after') };
}

describe('serve listens first', () => {
  const fx = new FixtureServer();
  let dir: string;
  let config: string;
  /** a data dir after one run of the service: store, sources.json and data/rendered as a stop leaves them */
  let primed: string;
  /** what that run served for each of POLLED */
  const before = new Map<string, Answer>();

  beforeAll(async () => {
    await fx.start();
    dir = mkdtempSync(join(tmpdir(), 'tributary-listen-'));
    config = join(dir, 'sources.yaml');
    writeFileSync(config, configText(fx, 'Listen'));
    primed = join(dir, 'primed');
    const store = await ItemStore.open(primed);
    store.apply(SOURCES.flatMap((id) => Array.from({ length: PER_SOURCE }, (_, n) => item(id, n))), []);
    await store.commit();
    const service = await startService(['--config', config, '--data', primed]);
    await until('the first cycle', async () => (await getJson(`${service.base}/status`)).lastCycle !== null);
    for (const path of POLLED) before.set(path, await get(`${service.base}${path}`));
    expect(await service.stop()).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await fx.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function restartData(name: string): string {
    const data = join(dir, name);
    linkTree(primed, data);
    return data;
  }

  it('answers /healthz and every polled feed before the store is loaded, with the bytes and ETags of before the restart; what needs the store gets 503 until then', async () => {
    const service = await startListening(config, restartData('restart'));
    try {
      const [health, status, ...answers] = await Promise.all([
        get(`${service.base}/healthz`), get(`${service.base}/status`), ...POLLED.map((path) => get(`${service.base}${path}`)),
      ]);
      const refused = await Promise.all(NEEDS_STORE.map((path) => get(`${service.base}${path}`)));
      const revalidated = await Promise.all(POLLED.map((path) => get(`${service.base}${path}`, { 'if-none-match': before.get(path)!.etag! })));
      const gzipped = await fetch(`${service.base}/feeds/latest.atom`, { headers: { 'accept-encoding': 'gzip' } });
      const unzipped = Buffer.from(await gzipped.arrayBuffer());
      // All of the above was answered while the store was still loading.
      expect(service.isLoaded()).toBe(false);

      expect(health.status).toBe(200);
      expect(JSON.parse(health.body.toString())).toMatchObject({ status: 'ok', loading: true, items: SOURCES.length * PER_SOURCE });
      expect(JSON.parse(status.body.toString()).store).toMatchObject({ loading: true, file: expect.stringContaining('store.json') });
      POLLED.forEach((path, i) => {
        expect(answers[i]!.status, path).toBe(200);
        expect(answers[i]!.etag, path).toBe(before.get(path)!.etag);
        expect(answers[i]!.body.equals(before.get(path)!.body), path).toBe(true);
        expect(revalidated[i]!.status, path).toBe(304);
      });
      expect(gzipped.headers.get('content-encoding')).toBe('gzip');
      expect(unzipped.equals(before.get('/feeds/latest.atom')!.body)).toBe(true);
      NEEDS_STORE.forEach((path, i) => {
        expect(refused[i]!.status, path).toBe(503);
        expect(Number(refused[i]!.retryAfter), path).toBeGreaterThan(0);
      });

      await until('the store to load', () => service.isLoaded(), 60_000);
      const after = await get(`${service.base}/feeds/latest.atom`);
      expect(after.etag).toBe(before.get('/feeds/latest.atom')!.etag);
      // the HTML page, made on request from the loaded store, is the page of before the restart
      const page = await get(`${service.base}/feeds/sources/beta.html`);
      expect(page.etag).toBe(before.get('/feeds/sources/beta.html')!.etag);
      expect(page.body.equals(before.get('/feeds/sources/beta.html')!.body)).toBe(true);
      expect(JSON.parse((await get(`${service.base}/status`)).body.toString()).store.loading).toBe(false);
      for (const path of NEEDS_STORE) expect((await get(`${service.base}${path}`)).status, path).toBe(200);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  }, 120_000);

  it('starts on a damaged rendered-docs directory, never serving a damaged document', async () => {
    const data = restartData('damaged');
    const manifest = JSON.parse(readFileSync(join(data, 'rendered', 'manifest.json'), 'utf8'));
    const latest = join(data, 'rendered', manifest.docs['latest.atom'].file);
    const text = readFileSync(latest, 'utf8');
    // A new file, not a write through the hard link (which would damage the primed copy too).
    rmSync(latest);
    writeFileSync(latest, text.replace('alpha story', 'ALPHA story'));
    const service = await startListening(config, data);
    try {
      const [damaged, intact] = await Promise.all([get(`${service.base}/feeds/latest.atom`), get(`${service.base}/feeds/latest.rss`)]);
      expect(service.isLoaded()).toBe(false);
      expect(damaged.status).toBe(503);
      expect(intact.status).toBe(200);
      await until('the store to load', () => service.isLoaded(), 60_000);
      const rendered = await get(`${service.base}/feeds/latest.atom`);
      expect(rendered.etag).toBe(before.get('/feeds/latest.atom')!.etag);
      expect(service.stderr()).toContain('does not match its ETag');
    } finally {
      expect(await service.stop()).toBe(0);
    }

    const garbled = restartData('garbled');
    rmSync(join(garbled, 'rendered', 'manifest.json'));
    writeFileSync(join(garbled, 'rendered', 'manifest.json'), '{"version":1,"key":');
    await expectServedOnceLoaded(garbled);
    const notADir = restartData('not-a-dir');
    rmSync(join(notADir, 'rendered'), { recursive: true });
    writeFileSync(join(notADir, 'rendered'), 'a file where the directory should be');
    await expectServedOnceLoaded(notADir);
  }, 180_000);

  /** Feeds get 503 until the store is loaded, then exactly what a render of the store gives. */
  async function expectServedOnceLoaded(data: string, configFile = config): Promise<Answer> {
    const service = await startListening(configFile, data);
    try {
      const early = await get(`${service.base}/feeds/latest.atom`);
      expect(service.isLoaded()).toBe(false);
      expect(early.status).toBe(503);
      expect((await get(`${service.base}/healthz`)).status).toBe(200);
      await until('the store to load', () => service.isLoaded(), 60_000);
      const loaded = await get(`${service.base}/feeds/latest.atom`);
      expect(loaded.status).toBe(200);
      return loaded;
    } finally {
      expect(await service.stop()).toBe(0);
    }
  }

  it('does not serve documents rendered under a config edited while the service was stopped', async () => {
    const edited = join(dir, 'edited.yaml');
    writeFileSync(edited, configText(fx, 'Listen, renamed'));
    const loaded = await expectServedOnceLoaded(restartData('edited'), edited);
    expect(loaded.body.toString()).toContain('Listen, renamed');
    expect(loaded.etag).not.toBe(before.get('/feeds/latest.atom')!.etag);
  }, 120_000);

  it('does not serve documents rendered from a store file written since (prune, fetch --once, a restored backup)', async () => {
    const data = restartData('rewritten');
    // Same content, written anew as any writer does: a temp file renamed over the old one.
    cpSync(join(data, 'store.json'), join(data, 'store.json.new'));
    renameSync(join(data, 'store.json.new'), join(data, 'store.json'));
    const loaded = await expectServedOnceLoaded(data);
    expect(loaded.etag).toBe(before.get('/feeds/latest.atom')!.etag);
  }, 120_000);
});
