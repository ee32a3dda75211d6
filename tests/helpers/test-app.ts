// An App over a fresh data directory, with a clock the test moves by hand and logs kept in memory.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { App } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import type { ReadPool } from '../../src/workers/read-pool.ts';
import { sharedReaders } from './shared-readers.ts';

export class TestClock {
  #now: Date;
  constructor(start = '2025-03-10T12:00:00.000Z') {
    this.#now = new Date(start);
  }

  readonly now = (): Date => new Date(this.#now);

  advance(ms: number): void {
    this.#now = new Date(this.#now.getTime() + ms);
  }

  /** Moves to an ISO time (never backwards). */
  set(iso: string): void {
    this.#now = new Date(Math.max(this.#now.getTime(), Date.parse(iso)));
  }
}

export interface TestSource {
  id: string;
  url: string;
  tags?: string[];
  encoding?: string;
  timezone?: string;
  type?: 'feed' | 'html';
  select?: Record<string, string>;
  /** any other source key of the config (retention, errorItems, ignoreSourceTtl, …) */
  [key: string]: unknown;
}

export interface TestAppOptions {
  /** top-level config keys beside title, baseUrl, fetch and sources (retention, hosts, …) */
  config?: Record<string, unknown>;
  /** reuse a data directory, to test what survives a restart */
  dataDir?: string;
  /** drop the items of sources no longer configured (--purge) */
  purge?: boolean;
  /** a read pool of the test's own (its size or limits are what it tests); default the shared one */
  readers?: ReadPool;
}

export interface TestApp {
  app: App;
  clock: TestClock;
  dataDir: string;
  /** pino lines logged so far, parsed */
  logs: Record<string, unknown>[];
}

/** Opens an App for these sources; fetch settings default to small limits so hostile servers fail fast. */
export async function openTestApp(sources: TestSource[], fetch: Record<string, unknown> = {}, clock = new TestClock(), options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-test-'));
  const config = testConfig(sources, fetch, options);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  // Waits (a host's request rate) move the test's clock instead of real time.
  const sleep = async (ms: number) => clock.advance(ms);
  const app = await App.open({ config, dataDir, readers: options.readers ?? sharedReaders(), logger: pino({ level: 'debug' }, sink), now: clock.now, sleep, purge: options.purge ?? false });
  return { app, clock, dataDir, logs };
}

/** The config openTestApp runs: for a test that hands the app an edited one (app.useConfig). */
export function testConfig(sources: TestSource[], fetch: Record<string, unknown> = {}, options: Pick<TestAppOptions, 'config'> = {}): Config {
  return parseConfig(stringify({
    ...options.config,
    title: 'Test Wire',
    baseUrl: 'http://127.0.0.1:8080',
    fetch: { timeoutSeconds: 2, connectTimeoutSeconds: 1, maxBytes: 1024 * 1024, ...fetch },
    sources,
  }), 'sources.yaml');
}

/** A small valid RSS 2.0 document with items "<prefix> 1".."<prefix> n". */
export function rssFeed(prefix: string, n = 3, extra = ''): string {
  const items = Array.from({ length: n }, (_, i) => `<item><title>${prefix} ${i + 1}</title>`
    + `<link>https://news.example.org/${encodeURIComponent(prefix)}/${i + 1}</link>`
    + `<pubDate>Mon, 10 Mar 2025 ${String(10 - i).padStart(2, '0')}:00:00 GMT</pubDate>${extra}</item>`).join('\n');
  return `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>${prefix}</title>`
    + `<link>https://news.example.org/</link><description>${prefix}</description>\n${items}\n</channel></rss>\n`;
}
