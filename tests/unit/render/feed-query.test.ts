import { describe, expect, it } from 'vitest';
import { FeedQueryError, parseFeedQuery, queryString } from '../../../src/render/feed-query.ts';

const parse = (search: string) => parseFeedQuery(new URLSearchParams(search));

describe('feed query parameters', () => {
  it.each([
    ['', undefined],
    ['_=1712345678', undefined],
    ['page=2', '?page=2'],
    ['page=1', ''],
    ['limit=10&page=3', '?limit=10&page=3'],
    ['page=3&limit=10&utm_source=x', '?limit=10&page=3'],
    ['filter=Climate', '?filter=Climate'],
    ['filterout=/sport|football/', '?filterout=/sport%7Cfootball/'],
    ['since=2025-03-09', '?since=2025-03-09'],
    ['since=2025-03-09T18:42:00%2B08:00', '?since=2025-03-09T18:42:00%2B08:00'],
    ['since=2025-03-09T18:42:00+08:00', '?since=2025-03-09T18:42:00%2B08:00'],
    ['filter=%E6%96%B0%E9%97%BB&limit=500', '?filter=%E6%96%B0%E9%97%BB&limit=500'],
  ])('reads ?%s as the canonical query %s', (search, canonical) => {
    const query = parse(search);
    expect(query === undefined ? undefined : queryString(query)).toBe(canonical);
  });

  it.each([
    ['since=2025-03-09', '2025-03-09T00:00:00.000Z'],
    ['since=2025-03-09T18:42:00%2B08:00', '2025-03-09T10:42:00.000Z'],
    ['since=2025-03-09T18:42', '2025-03-09T18:42:00.000Z'],
    ['since=2025-03-09T18:42:00.5Z', '2025-03-09T18:42:00.500Z'],
  ])('reads ?%s as the instant %s (UTC when no zone is given)', (search, instant) => {
    expect(parse(search)!.since!.instant).toBe(instant);
  });

  it.each([
    ['limit=0', 'limit', 'from 1 to 500'],
    ['limit=501', 'limit', 'from 1 to 500'],
    ['limit=ten', 'limit', 'whole number'],
    ['limit=1e2', 'limit', 'whole number'],
    ['page=0', 'page', 'whole number'],
    ['page=-1', 'page', 'whole number'],
    ['page=1&page=2', 'page', 'more than once'],
    ['since=yesterday', 'since', 'ISO 8601'],
    ['since=2025-13-45', 'since', 'ISO 8601'],
    ['filter=', 'filter', 'must not be empty'],
    [`filter=${'x'.repeat(257)}`, 'filter', 'at most 256'],
    ['filter=/(a)\\1/', 'filter', 'RE2 syntax'],
    ['filterout=/(?=x)/', 'filterout', 'RE2 syntax'],
    ['filter=/[/', 'filter', 'regular expression'],
  ])('rejects ?%s with a FeedQueryError naming %s', (search, param, message) => {
    let error: unknown;
    try {
      parse(search);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FeedQueryError);
    expect((error as FeedQueryError).param).toBe(param);
    expect((error as Error).message).toContain(message);
  });
});
