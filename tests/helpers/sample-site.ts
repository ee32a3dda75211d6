// A running service in this process over the fixture feeds: a fixture server, a config, an App listening
// on 127.0.0.1 with port 0. Links in feeds name `baseUrl`; `local()` maps them to where the service listens.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppOptions } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { FixtureServer } from './fixture-server.ts';
import { sharedReaders } from './shared-readers.ts';

const FIXTURES = new URL('../fixtures/feeds/', import.meta.url);
export const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

export const SITE_BASE = 'http://tributary.test';

export function serveSampleFeeds(fx: FixtureServer): void {
  fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: fixture('world-news.rss.xml') });
  fx.routes.set('/tech.atom', { headers: { 'content-type': 'application/atom+xml' }, body: fixture('tech-blog.atom.xml') });
  fx.routes.set('/cn.xml', { headers: { 'content-type': 'text/xml' }, body: fixture('chinanews.gbk.rss.xml') });
  fx.routes.set('/broken.xml', { status: 500, body: 'Internal Server Error' });
}

export function sampleConfigText(fx: FixtureServer, extra = '', limit = 2): string {
  return `title: Test Wire
baseUrl: ${SITE_BASE}
defaults:
  limit: ${limit}
${extra}
sources:
  - id: world
    url: ${fx.url('/world.xml')}
    tags: [world, news]
  - id: tech
    url: ${fx.url('/tech.atom')}
    tags: [tech]
  - id: cn
    url: ${fx.url('/cn.xml')}
    title: 中新网 滚动新闻
    tags: [新闻]
    timezone: Asia/Shanghai
  - id: broken
    url: ${fx.url('/broken.xml')}
    tags: [news]
`;
}

export interface SampleSite {
  app: App;
  dataDir: string;
  /** where the service listens, e.g. http://127.0.0.1:40123 */
  base: string;
  /** a URL the feeds name (under SITE_BASE) mapped to the running service */
  local(url: string): string;
}

export async function startSampleSite(configText: string, options: Partial<AppOptions> = {}, dataDir?: string): Promise<SampleSite> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-site-'));
  writeFileSync(join(dir, 'sources.yaml'), configText);
  const app = await App.open({ config: parseConfig(configText, 'sources.yaml'), dataDir: dir, logger: silentLogger(), readers: sharedReaders(), ...options });
  const address = await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${address.port}`;
  return { app, dataDir: dir, base, local: (url) => (url.startsWith(SITE_BASE) ? base + url.slice(SITE_BASE.length) : url) };
}
