// ReadPool.extract: an item page's article taken on a read worker is the one extractArticle takes on this thread,
// and a page without one fails with the same FullTextError (class and reason), so /status reads the same either way.
// Real worker threads, pages shaped like real ones (tests/fixtures/articles/).
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/fetch/charset.ts';
import { FullTextError } from '../../src/fulltext/errors.ts';
import { extractArticle, type ExtractRule } from '../../src/fulltext/extract.ts';
import { ReadPool } from '../../src/workers/read-pool.ts';
import { sharedReaders } from '../helpers/shared-readers.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/articles/${name}`, import.meta.url));
const PORTAL = decodeBody(fixture('portal-article.gbk.html'), { contentType: 'text/html', document: 'html' }).text;
const PORTAL_URL = 'https://www.example.com.cn/sh/2026/12-05/10000100.shtml';
const NEWS = fixture('news-article.en.html').toString('utf8');
const NEWS_URL = 'https://news.example.org/local/2026/12/05/riverside-park-expansion';
const SCRIPT_ONLY = fixture('script-only.html').toString('utf8');

// The read pool every App of this vitest worker reads on (tests/helpers/shared-readers.ts): its workers are real
// threads with the default limits, and in a full run already started, so this file does not pay a worker's start.
const pool = sharedReaders();

/** The error a promise rejects with, or undefined. */
const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (err: unknown) => err);

describe('ReadPool.extract', () => {
  const cases: [string, string, string, ExtractRule][] = [
    ['Readability on the English news page', NEWS, NEWS_URL, {}],
    ['Readability on the GBK portal page', PORTAL, PORTAL_URL, {}],
    ['select + remove on the GBK portal page', PORTAL, PORTAL_URL, { select: 'div.left_zw', remove: ['.adInContent'] }],
  ];
  for (const [name, text, url, rule] of cases) {
    it(`${name}: the same article as on this thread`, async () => {
      const onWorker = await pool.extract(text, url, rule, 'src');
      expect(onWorker.textLength).toBeGreaterThan(100);
      expect(onWorker).toEqual(await extractArticle(text, url, rule));
    });
  }

  it('a page without an article: the same FullTextError, and the worker reads the next page', async () => {
    const onWorker = await rejection(pool.extract(SCRIPT_ONLY, 'https://app.example.com/a', {}, 'src'));
    const inThread = await rejection(extractArticle(SCRIPT_ONLY, 'https://app.example.com/a', {}));
    expect(onWorker).toBeInstanceOf(FullTextError);
    expect(inThread).toBeInstanceOf(FullTextError);
    expect((onWorker as FullTextError).reason).toBe((inThread as FullTextError).reason);
    expect((onWorker as FullTextError).url).toBe('https://app.example.com/a');
    const nothing = await rejection(pool.extract(NEWS, NEWS_URL, { select: 'div.no-such-thing' }, 'src'));
    expect((nothing as FullTextError).reason).toMatch(/^fullText\.select `div\.no-such-thing` matched nothing/);
    expect((await pool.extract(NEWS, NEWS_URL, {}, 'src')).by).toBe('readability');
  });
});

describe('ReadPool.extract over the memory limit', () => {
  const small = new ReadPool({ size: 1, memoryLimitMb: 64 });
  afterAll(() => small.close());

  it('drops the page with a FullTextError saying so, and the replaced worker reads the next page', async () => {
    // 4 MB of empty elements: 570,000 DOM nodes, far more than 64 MB of heap.
    const huge = `<html><head><title>Huge</title></head><body><article>${'<b></b>'.repeat(570_000)}</article></body></html>`;
    const err = await rejection(small.extract(huge, 'https://huge.example.com/a', {}, 'huge'));
    expect(err).toBeInstanceOf(FullTextError);
    expect((err as FullTextError).reason).toBe('extracting the article ran out of its 64 MB memory; the page was dropped and its read worker replaced');
    expect((await small.extract(NEWS, NEWS_URL, {}, 'src')).by).toBe('readability');
  });
});
