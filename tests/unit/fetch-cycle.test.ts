import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { FetchCycle } from '../../src/fetch-cycle.ts';
import { StoreWriteError } from '../../src/store/errors.ts';
import { ItemStore } from '../../src/store/store.ts';
import { rssFeed, TestClock } from '../helpers/test-app.ts';
import { sharedReaders } from '../helpers/shared-readers.ts';

let dir: string;
let server: Server;
let origin: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-fetch-cycle-'));
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml' });
    res.end(rssFeed(req.url === '/world' ? 'World' : 'Tech', 2));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

/** A FetchCycle over a real store and fixture server, with render, WebSub and metrics recorded in `events`. */
async function cycleOver() {
  const config = parseConfig(`title: Test Wire
baseUrl: http://tributary.test
sources:
  - id: world
    url: ${origin}/world
  - id: tech
    url: ${origin}/tech
`, 'sources.yaml');
  const clock = new TestClock();
  const store = await ItemStore.open(dir, { now: clock.now });
  const events: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  const commit = store.commit.bind(store);
  let failWrite = false;
  store.commit = async () => {
    events.push(`commit ${store.size} items`);
    if (failWrite) throw new StoreWriteError(join(dir, 'store.json'), Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    return commit();
  };
  const abort = new AbortController();
  const cycle = new FetchCycle({
    config: () => config, store, logger: pino({ level: 'debug' }, sink), now: clock.now, userAgent: () => 'Tributary-test',
    metrics: {
      observeFetch: (o) => events.push(`fetch ${o.sourceId} ${o.status}`),
      observeWrite: (_ms, ok) => events.push(`write ${ok ? 'ok' : 'failed'}`),
    },
    render: () => {
      events.push('render');
      return ['latest'];
    },
    websub: {
      published: async (topics) => {
        events.push(`publish ${topics.join(' ')}`);
      },
    },
    purge: false, signal: abort.signal, isStopping: () => false, sleep: async (ms) => clock.advance(ms), readers: sharedReaders(),
  });
  return { cycle, store, events, logs, failWrite: (fail: boolean) => (failWrite = fail) };
}

describe('FetchCycle', () => {
  it('stores every source\'s items in one write, then renders, then pings the hubs with the rendered feeds', async () => {
    const { cycle, events, logs } = await cycleOver();
    const report = await cycle.run(undefined, {});
    try {
      expect(report.added).toBe(4);
      expect(report.written).toBe(true);
      expect(report.rendered).toEqual(['latest']);
      expect(events.slice(0, 2).sort()).toEqual(['fetch tech ok', 'fetch world ok']);
      expect(events.slice(2)).toEqual(['commit 4 items', 'write ok', 'render',
        'publish http://tributary.test/feeds/latest.atom http://tributary.test/feeds/latest.rss http://tributary.test/feeds/latest.json']);
      expect(logs.filter((l) => l.msg === 'fetched').map((l) => [l.source, l.new]).sort()).toEqual([['tech', 2], ['world', 2]]);
      expect(cycle.lastCycle).toBe('2025-03-10T12:00:00.000Z');
    } finally {
      await cycle.close();
    }
  });

  it('renders nothing when the write fails, and fetches that cycle\'s sources again with the next one', async () => {
    const { cycle, events, logs, failWrite } = await cycleOver();
    try {
      failWrite(true);
      const failed = await cycle.run(['world'], {});
      expect(failed.writeError).toBeInstanceOf(StoreWriteError);
      expect(failed.rendered).toEqual([]);
      expect(events).toEqual(['fetch world ok', 'commit 2 items', 'write failed']);
      expect(cycle.storeError?.message).toContain('no space left on device');
      expect(logs.some((l) => l.level === 50 && l.code === 'ENOSPC')).toBe(true);

      failWrite(false);
      events.length = 0;
      const next = await cycle.run(['tech'], {});
      expect(next.sources.map((o) => o.sourceId).sort()).toEqual(['tech', 'world']);
      expect(next.writeError).toBeUndefined();
      expect(cycle.storeError).toBeUndefined();
      expect(events).toContain('render');
    } finally {
      await cycle.close();
    }
  });

  it('renders the cycle\'s items when only sources.json fails to write: they are on disk, so the feeds show them', async () => {
    const { cycle, store, events } = await cycleOver();
    try {
      // A non-empty directory where sources.json goes: its rename fails (EISDIR), store.json's does not.
      await mkdir(join(dir, 'sources.json', 'blocked'), { recursive: true });
      const report = await cycle.run(undefined, {});
      expect(report.writeError).toBeInstanceOf(StoreWriteError);
      expect(report.writeError!.file).toBe(store.stateFile);
      expect(store.size).toBe(4);
      expect(JSON.parse(await readFile(join(dir, 'store.json'), 'utf8')).items).toHaveLength(4);
      expect(events).toContain('render');
      expect(report.rendered).toEqual(['latest']);
    } finally {
      await cycle.close();
    }
  });
});
