// A reader's ?filter= must never stall the server (issue 14): through the real service over a store of 2,000
// realistic items, four readers send the costliest patterns found while the event loop's delay is measured
// in-process (the service runs in this process) and another client polls /healthz. Each pattern is refused for
// its cost (400) or answered, and ordinary filters sent meanwhile are answered as usual.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFeed } from '../helpers/feed-reader.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { watchLoopHold } from '../helpers/loop-hold.ts';
import { newsRss } from '../helpers/news-feed.ts';
import { startSampleSite, type SampleSite } from '../helpers/sample-site.ts';

const SOURCES = ['wire', 'markets', 'tech', 'china'];
// 2,000 items: unsliced, the costly patterns that run take 0.2-1 s a pass over them (the issue's took 1-1.9 s over
// 5,000), far over the bound; 10,000 items tested nothing more and cost this serial test 20 s.
const PER_SOURCE = 500;
/** What no request may hold the event loop for. */
const MAX_STALL_MS = 50;

// The costliest patterns found (tests/unit/rules/regex-cost.test.ts has their program sizes): the issue's, and of
// each family one as costly as the cap allows, which runs rather than being refused.
const WORST = [
  '/[\\s\\S]{1,1000}[\\s\\S]{1,1000}q/', // the issue's: 1-1.9 s per request over 5,000 items
  '/.{1,1000}.{1,1000}.{1,1000}.{1,1000}q/', // counted repetitions in a row
  '/((a{1,10}){1,10}){1,10}/', // nested counted repetitions
  '/(?:[a-m\\p{Han}]|[k-z0-9]){1,30}[^a]{30}qq/', // nested classes, counted
  '/\\p{Han}{1,20}\\p{Han}{1,20}z/', // counted Unicode classes
  '/[\\s\\S]{1,15}[\\s\\S]{1,15}q/', // the issue's, at the cap
  '/a.{58}qq/', // a DFA of 2^58 states, at the cap
  '/e.{58}z/',
  '/(?:[a-m\\p{Han}]|[k-z0-9]){1,9}[^a]{20}qq/', // nested classes at the cap
  '/(?:\\p{Han}|\\p{Latin}|\\p{Greek}|\\p{Cyrillic}|\\pN|\\pP|\\pS).{50}q/', // Unicode classes before a gap
  '/[^\\p{L}\\p{N}][\\p{L}\\p{N}]{58}qq/',
  '/(?i)[\\p{Lu}\\p{Ll}]{1,28}x/', // case-insensitive Unicode classes
  '/(大模型|人工智能|芯片|半导体|新能源汽车|销量|创新高|汽车工业协会|数据显示|国务院)/', // a long alternation
  '/(x+x+)+y/', // catastrophic for a backtracking engine
];
/** What readers ask for every day: still answered while the costly patterns run. */
const ORDINARY = ['climate', '/\\b(chip|quantum)\\b/', '/(大模型|芯片)/'];

describe('?filter= and ?filterout= over 2,000 items, while the event loop is watched', () => {
  const fx = new FixtureServer();
  let site: SampleSite;

  beforeAll(async () => {
    await fx.start();
    SOURCES.forEach((id, n) => fx.routes.set(`/${id}.xml`, { headers: { 'content-type': 'application/rss+xml' }, body: newsRss(id, PER_SOURCE, n + 1) }));
    site = await startSampleSite(`title: Big Wire
baseUrl: http://tributary.test
retention:
  maxItemsPerSource: ${PER_SOURCE}
sources:
${SOURCES.map((id) => `  - id: ${id}\n    url: ${fx.url(`/${id}.xml`)}\n`).join('')}`);
    await site.app.runCycle();
    const health = await (await fetch(`${site.base}/healthz`)).json() as { items: number };
    expect(health.items).toBe(SOURCES.length * PER_SOURCE);
  }, 120_000);

  afterAll(async () => {
    await site?.app.close();
    await fx.stop();
  });

  it('refuses each costly pattern with 400 or answers it, never holding the event loop for 50 ms', async () => {
    let polling = true;
    const healthRoundTrips: number[] = [];
    const poller = (async () => {
      while (polling) {
        const start = performance.now();
        const res = await fetch(`${site.base}/healthz`);
        await res.arrayBuffer();
        healthRoundTrips.push(performance.now() - start);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const queries = [
      ...WORST.flatMap((pattern) => [`filter=${encodeURIComponent(pattern)}`, `filterout=${encodeURIComponent(pattern)}`]),
      ...ORDINARY.map((pattern) => `filter=${encodeURIComponent(pattern)}&limit=100`),
    ];
    const answers: { query: string; status: number; text: string }[] = [];
    const stopWatching = watchLoopHold();
    // Four readers at once, as in the issue's probe, each sending its share one after another.
    await Promise.all([0, 1, 2, 3].map(async (reader) => {
      for (const query of queries.filter((_, n) => n % 4 === reader)) {
        const res = await fetch(`${site.base}/feeds/latest.atom?${query}`);
        answers.push({ query, status: res.status, text: await res.text() });
      }
    }));
    const held = stopWatching();
    polling = false;
    await poller;

    // Held, not merely waiting for a core: other test files share this machine's two cores (helpers/loop-hold.ts).
    const maxStallMs = held.maxMs;
    const report = `event loop held at most ${held.maxMs.toFixed(1)} ms by this thread's own work (longest gap ${held.maxWallMs.toFixed(1)} ms wall); `
      + `/healthz answered ${healthRoundTrips.length} times, round trip max ${Math.max(...healthRoundTrips).toFixed(1)} ms`;
    process.stdout.write(`${report}\n`);
    expect(maxStallMs, report).toBeLessThan(MAX_STALL_MS);
    expect(answers).toHaveLength(queries.length);
    for (const { query, status, text } of answers) {
      const param = query.startsWith('filterout=') ? 'filterout' : 'filter';
      if (status === 200) {
        expect(() => readFeed(text), query).not.toThrow();
        continue;
      }
      // Refused for its cost before it ran, or for outworking the pass's budget: either way naming the parameter.
      expect(status, `${query}: ${text}`).toBe(400);
      expect(text, query).toMatch(new RegExp(`^${param}: (is too costly|took longer than)`));
    }
    expect(answers.filter((a) => a.text.includes('is too costly')).map((a) => decodeURIComponent(a.query))).toHaveLength(10);
    for (const pattern of ORDINARY) {
      const answer = answers.find((a) => a.query === `filter=${encodeURIComponent(pattern)}&limit=100`)!;
      expect(answer.status, pattern).toBe(200);
      expect(readFeed(answer.text).entries.length, pattern).toBeGreaterThan(10);
    }
  }, 120_000);
});
