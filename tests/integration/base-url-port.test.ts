// Serving on another port than a loopback baseUrl names (PORT=58080 with the default http://127.0.0.1:8080) leaves
// every link pointing at the wrong port: the service says so once at start. A public baseUrl (behind a proxy) does not.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { spawnCli, startService } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { until } from '../helpers/poll.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-base-url-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function serveWith(baseUrl: string, name: string) {
  const config = join(dir, `${name}.yaml`);
  await writeFile(config, `title: T\nbaseUrl: ${baseUrl}\nsources:\n  - id: a\n    url: http://127.0.0.1:9/feed.xml\n`);
  const service = await startService(['--config', config, '--data', join(dir, name)]);
  try {
    return service.stderr();
  } finally {
    await service.stop();
  }
}

describe('baseUrl and the port listened on', () => {
  it('warns when a loopback baseUrl names another port', async () => {
    const stderr = await serveWith('http://127.0.0.1:8080', 'loopback');
    const port = Number(stderr.match(/"port":(\d+)[^\n]*"msg":"serving on/)![1]);
    expect(port).not.toBe(8080);
    expect(stderr).toContain(`baseUrl http://127.0.0.1:8080 names port 8080, but the service listens on ${port}`);
  });

  it('says nothing for a public baseUrl', async () => {
    const stderr = await serveWith('https://feeds.example.org', 'public');
    expect(stderr).toContain('serving on');
    expect(stderr).not.toContain('names port');
  });
});

/** A port free a moment ago: the service is told it by PORT, as an operator would. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
}

describe('no baseUrl: the links follow the address listened on', () => {
  const fixture = new FixtureServer();
  beforeAll(async () => {
    await fixture.start();
    fixture.routes.set('/cn.xml', { headers: { 'content-type': 'application/rss+xml' },
      body: await readFile(new URL('../fixtures/feeds/chinese-portal.rss.xml', import.meta.url)) });
  });
  afterAll(() => fixture.stop());

  async function configWithoutBaseUrl(name: string): Promise<string> {
    const config = join(dir, `${name}.yaml`);
    await writeFile(config, `title: T\nsources:\n  - id: cn-news\n    url: ${fixture.url('/cn.xml')}\n`);
    return config;
  }

  /** The index, the OPML and the latest feed once the first cycle's items are in it. */
  async function linksOf(base: string) {
    const atom = await until('the first items', async () => {
      const text = await (await fetch(`${base}/feeds/latest.atom`)).text();
      return text.includes('<entry') && text;
    });
    const index = await (await fetch(`${base}/`)).text();
    const opml = await (await fetch(`${base}/feeds.opml`)).text();
    return { atom, index, opml };
  }

  it('PORT=N gives links to http://127.0.0.1:N, and no warning', async () => {
    const port = await freePort();
    const config = await configWithoutBaseUrl('port-env');
    const child = spawnCli(['serve', '--config', config, '--data', join(dir, 'port-env')], { PORT: String(port) });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += d; });
    try {
      await until('serving', () => stderr.includes('serving on'));
      const base = `http://127.0.0.1:${port}`;
      const { atom, index, opml } = await linksOf(base);
      expect(atom).toContain(`<link rel="self" href="${base}/feeds/latest.atom"/>`);
      expect(index).toContain(`${base}/feeds/latest.atom`);
      expect(opml).toContain(`${base}/feeds/sources/cn-news.atom`);
      for (const text of [atom, index, opml]) expect(text).not.toContain('127.0.0.1:8080');
      expect(stderr).not.toContain('names port');
    } finally {
      child.kill('SIGTERM');
      await new Promise((done) => child.once('close', done));
    }
  });

  it('--port 0 gives links to the port the system chose', async () => {
    const config = await configWithoutBaseUrl('port-zero');
    const service = await startService(['--config', config, '--data', join(dir, 'port-zero')]);
    try {
      const { atom, index } = await linksOf(service.base);
      expect(atom).toContain(`<link rel="self" href="${service.base}/feeds/latest.atom"/>`);
      expect(index).toContain(`${service.base}/feeds/latest.atom`);
      expect(index).not.toContain('127.0.0.1:8080');
    } finally {
      await service.stop();
    }
  });
});
