// The PostgreSQL benchmark's fixture server (bench/fixture-server.ts) in its own process, as bench/pg.ts starts it:
// its answer delay (the latency-bound scale case) must hold each request on its own, never queue one behind another,
// and its counts must say how many requests it held at once. Never how fast anything is: that is `npm run bench`.
import { get } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startFixtureChild, type FixtureChild } from '../../bench/pg-processes.ts';

/** A GET of a whole feed: status, body length and ms from the request to the body's end. */
function timedGet(url: string): Promise<{ status: number; bytes: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - started }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

let fixture: FixtureChild | undefined;
afterEach(() => {
  fixture?.stop();
  fixture = undefined;
});

describe('the benchmark fixture server', () => {
  it('holds each feed answer for its delay on a timer of its own: four requests sent together are held at once', async () => {
    fixture = await startFixtureChild(3, 2, 1000);
    const answers = await Promise.all([0, 1, 2, 3].map((n) => timedGet(fixture!.feedUrl(n))));
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.bytes).toBeGreaterThan(0);
      expect(answer.ms).toBeGreaterThanOrEqual(990);
    }
    const counts = await fixture.counts();
    expect(counts.counts).toEqual({ 0: 1, 1: 1, 2: 1, 3: 1 });
    // Answered one after another, they would have been held one at a time and taken 4 s in all.
    expect(counts.maxInFlight).toBe(4);
    await fixture.reset();
    expect((await fixture.counts()).maxInFlight).toBe(0);
  }, 30_000);

  it('answers at once by default, and counts one request at a time when they come one after another', async () => {
    fixture = await startFixtureChild(3);
    expect(fixture.delayMs).toBe(0);
    for (const n of [0, 1, 0]) expect((await timedGet(fixture.feedUrl(n))).status).toBe(200);
    const counts = await fixture.counts();
    expect(counts.counts).toEqual({ 0: 2, 1: 1 });
    expect(counts.maxInFlight).toBe(1);
  }, 30_000);
});
