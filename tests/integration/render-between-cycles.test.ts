// A render asked for while a cycle runs (the index's banner of a refused config edit: cli/lifecycle.ts) waits for the
// cycle to end. Run beside it, it rendered items the cycle had not written yet, and the cycle's own render then found
// nothing left to do: the cycle reported no changed feed (so no WebSub ping) for the items it had just stored.
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atomEntries } from '../helpers/feed-lint.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { until } from '../helpers/poll.ts';
import { openTestApp, rssFeed } from '../helpers/test-app.ts';

const fx = new FixtureServer();
/** the slow source's requests, answered when the test says */
const held: ServerResponse[] = [];

beforeAll(async () => {
  await fx.start();
  fx.routes.set('/quick.xml', { body: rssFeed('Quick', 3) });
  fx.routes.set('/slow.xml', (_req, res) => {
    held.push(res);
  });
});
afterAll(async () => {
  await fx.stop();
});

describe('a render asked for during a cycle', () => {
  it('waits for the cycle, which still renders and reports every feed it changed', async () => {
    const { app } = await openTestApp([{ id: 'quick', url: fx.url('/quick.xml') }, { id: 'slow', url: fx.url('/slow.xml') }], { timeoutSeconds: 30 });
    try {
      const served = (path: string) => atomEntries(app.feeds.get(path, 'atom')!.body.toString()).length;
      const cycle = app.runCycle();
      // quick's items are in memory, not written: the cycle waits for slow.
      await until('quick to be read and slow to be asked', () => app.store.countOf('quick') === 3 && held.length === 1);
      let bannerDone = false;
      const banner = app.renderBetweenCycles().then((changed) => {
        bannerDone = true;
        return changed;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(bannerDone).toBe(false);
      expect(served('sources/quick')).toBe(0);

      held[0]!.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rssFeed('Slow', 2));
      const report = await cycle;
      expect(report.written).toBe(true);
      expect(report.rendered).toEqual(expect.arrayContaining(['latest', 'sources/quick', 'sources/slow']));
      expect(served('sources/quick')).toBe(3);
      expect(served('latest')).toBe(5);
      // Nothing changed after the cycle: the banner's render renders no feed again.
      expect(await banner).toEqual([]);
    } finally {
      // A failure above leaves slow's request open, which the cycle, and so close(), would wait out.
      for (const res of held.splice(0)) res.destroy();
      await app.close();
    }
  });
});
