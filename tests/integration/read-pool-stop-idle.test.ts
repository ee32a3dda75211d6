// A fetch cycle stops its read workers once every document is read (fetch-cycle.ts calls stopIdle), so their heaps
// are not held beside the render and the store write that follow (issue 15, memory); later reads start them again.
// Real worker threads reading real documents.
import { afterEach, describe, expect, it } from 'vitest';
import type { DocumentContext } from '../../src/read-document.ts';
import { ReadPool } from '../../src/workers/read-pool.ts';
import { generatedRss } from '../helpers/generated-feed.ts';

const pools: ReadPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function ctx(sourceId: string): DocumentContext {
  return { sourceId, url: `https://${sourceId}.example.com/rss`, documentUrl: `https://${sourceId}.example.com/rss`, timezone: 'UTC', now: new Date('2026-12-01T00:00:00Z'), idAuthority: 'tributary.test' } as DocumentContext;
}

describe('ReadPool.stopIdle', () => {
  it('stops the workers that have nothing to read, and later reads start them again', async () => {
    // idleMs of an hour: only stopIdle() can stop them within the test
    const pool = new ReadPool({ size: 2, idleMs: 3_600_000 });
    pools.push(pool);
    const [a, b] = await Promise.all([pool.read(generatedRss('a', 5), ctx('a')), pool.read(generatedRss('b', 5), ctx('b'))]);
    expect(a.items).toHaveLength(5);
    expect(b.items).toHaveLength(5);
    expect(pool.threads).toBeGreaterThanOrEqual(1);
    await pool.stopIdle();
    expect(pool.threads).toBe(0);
    const again = await pool.read(generatedRss('c', 3), ctx('c'));
    expect(again.items.map((i) => i.title)).toEqual(['c story 2', 'c story 1', 'c story 0']);
    expect(pool.threads).toBe(1);
  });

  it('leaves a worker that is reading alone', async () => {
    const pool = new ReadPool({ size: 1, idleMs: 3_600_000 });
    pools.push(pool);
    const reading = pool.read(generatedRss('big', 3000), ctx('big'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await pool.stopIdle();
    expect((await reading).items).toHaveLength(3000);
  });
});
