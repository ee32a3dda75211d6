import { describe, expect, it } from 'vitest';
import { freshUntil, type FreshnessHints } from '../../../src/schedule/freshness.ts';

const NOW = new Date('2025-03-10T12:00:00.000Z');
const BOUNDS = { minMs: 0, maxMs: 24 * 3600_000 };
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();

const ROWS: [string, FreshnessHints, string | undefined][] = [
  ['nothing said', {}, undefined],
  ['ttl in minutes', { ttlMinutes: 30 }, at(30)],
  ['ttl 0 means nothing', { ttlMinutes: 0 }, undefined],
  ['sy:updatePeriod weekly, capped at the maximum', { updatePeriod: 'weekly' }, at(1440)],
  ['sy:updatePeriod hourly, frequency 4', { updatePeriod: 'hourly', updateFrequency: 4 }, at(15)],
  ['sy:updatePeriod in odd case and spaces', { updatePeriod: ' Daily ', updateFrequency: 24 }, at(60)],
  ['an unknown sy:updatePeriod', { updatePeriod: 'fortnightly' }, undefined],
  ['max-age', { cacheControl: 'public, max-age=900' }, at(15)],
  ['max-age=0', { cacheControl: 'max-age=0' }, undefined],
  ['s-maxage alone is for shared caches', { cacheControl: 's-maxage=900' }, undefined],
  ['no-store', { cacheControl: 'no-store, max-age=900' }, undefined],
  ['Expires', { expires: 'Mon, 10 Mar 2025 12:20:00 GMT' }, at(20)],
  ['Expires in the past', { expires: 'Mon, 10 Mar 2025 11:00:00 GMT' }, undefined],
  ['an unreadable Expires ("0")', { expires: '0' }, undefined],
  ['max-age wins over Expires', { cacheControl: 'max-age=60', expires: 'Mon, 10 Mar 2025 15:00:00 GMT' }, at(1)],
  ['the latest hint wins', { ttlMinutes: 10, cacheControl: 'max-age=1800' }, at(30)],
];

describe('freshUntil', () => {
  it.each(ROWS)('%s', (_name, hints, expected) => {
    expect(freshUntil(hints, NOW, BOUNDS)?.toISOString()).toBe(expected);
  });

  it('raises a short wait to the minimum, and asks nothing when the source said nothing', () => {
    expect(freshUntil({ ttlMinutes: 1 }, NOW, { minMs: 10 * 60_000, maxMs: 3600_000 })?.toISOString()).toBe(at(10));
    expect(freshUntil({}, NOW, { minMs: 10 * 60_000, maxMs: 3600_000 })).toBeUndefined();
  });
});
