// websub.hub on the PostgreSQL store: after a publication, the instance that rendered it (the render lock's holder)
// pings the hub for the changed topics, once for all instances; the others ping nothing. When the renderer goes, the
// instance that takes the lock pings for what it renders. A real PostgreSQL (tests/setup/postgres.ts), a hub that
// records on 127.0.0.1, and two instances of the service in this process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log.ts';
import type { Item } from '../../src/model.ts';
import { RuleTagging } from '../../src/rules/tagger.ts';
import { SharedApp } from '../../src/shared-app.ts';
import { siteContext } from '../../src/site-context.ts';
import { plain } from '../helpers/plain-text.ts';
import { freshDatabase } from '../helpers/pg.ts';
import { until } from '../helpers/poll.ts';
import { RecordingServer } from '../helpers/recording-server.ts';
import { sampleItem } from '../helpers/sample-items.ts';

const hub = new RecordingServer();
let database: string;
const apps: SharedApp[] = [];

beforeAll(async () => {
  await hub.start();
  database = await freshDatabase('shared_websub');
});

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close(0)));
  await hub.stop();
});

const BASE = 'http://tributary.test';

function configOf() {
  return parseConfig(`title: Hubbed
baseUrl: ${BASE}
websub:
  hub: ${hub.base}/hub
sources:
  - id: a
    url: https://a.example.com/rss
    tags: [news]
  - id: b
    url: https://b.example.com/rss
    tags: [tech]
`, 'sources.yaml');
}

function item(n: number, sourceId: string): Item {
  const at = new Date(Date.UTC(2026, 11, 1) + n * 60_000).toISOString();
  return sampleItem(n, { id: `tag:tributary.test,2026:${sourceId}/${n}`, sourceId, key: `k${n}`, published: at, updated: at, firstSeen: at, title: plain(`Story ${n}`) });
}

const topics = (paths: string[]) => paths.flatMap((p) => ['atom', 'rss', 'json'].map((f) => `${BASE}/feeds/${p}.${f}`)).sort();
const pinged = () => hub.forms().map((form) => {
  expect(form.get('hub.mode')).toBe('publish');
  return form.get('hub.url')!;
}).sort();

/** Renders on both instances until a publication pinged something (the renderer may see a commit a pass late). */
async function renderBoth(...instances: SharedApp[]): Promise<void> {
  await until('a publication that pings the hub', async () => {
    for (const app of instances) await app.render();
    await Promise.all(instances.map((app) => app.websub.settled()));
    return hub.requests.length > 0;
  }, 15_000);
}

describe('websub.hub on the PostgreSQL store', () => {
  it('is pinged once per changed topic, by the instance that rendered the change', async () => {
    const config = configOf();
    const logger = createLogger('silent');
    const first = await SharedApp.open({ config, databaseUrl: database, role: 'serve', logger, instanceId: 'first' });
    apps.push(first);
    const second = await SharedApp.open({ config, databaseUrl: database, role: 'serve', logger, instanceId: 'second' });
    apps.push(second);
    const tags = siteContext(config, {}, [], new RuleTagging()).tags;
    await first.store.write({ sourceId: 'a', added: [item(1, 'a'), item(2, 'a')], updated: [], titleWindowMs: 0, tags });
    await first.store.write({ sourceId: 'b', added: [item(3, 'b')], updated: [], titleWindowMs: 0, tags });

    await renderBoth(first, second);
    // Every feed is new: each of its topics pinged once (Atom, RSS, JSON; not the HTML page), by one instance.
    expect(pinged()).toEqual(topics(['latest', 'tags/news', 'tags/tech', 'sources/a', 'sources/b']));
    const feed = first.site().feed('latest', 'atom') as { body: Buffer };
    expect(feed.body.toString()).toContain(`<link rel="hub" href="${hub.base}/hub"/>`);

    // Nothing changed: no ping.
    hub.requests.length = 0;
    await first.render();
    await second.render();
    await first.websub.settled();
    expect(hub.requests).toEqual([]);

    // The renderer stops; the other takes the lock and pings for the change it renders, and only for it.
    await first.close(0);
    apps.splice(apps.indexOf(first), 1);
    await second.store.write({ sourceId: 'b', added: [item(4, 'b')], updated: [], titleWindowMs: 0, tags });
    await renderBoth(second);
    expect(pinged()).toEqual(topics(['latest', 'tags/tech', 'sources/b']));
    const metrics = await second.metrics.text();
    expect(metrics).toMatch(/^tributary_websub_pings_total\{outcome="ok"\} 9$/m);
  });
});
