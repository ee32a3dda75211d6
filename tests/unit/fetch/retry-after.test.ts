import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../../src/fetch/retry-after.ts';

const NOW = new Date('2025-03-10T12:00:00.000Z');

describe('parseRetryAfter', () => {
  it.each([
    ['120', '2025-03-10T12:02:00.000Z'],
    [' 0 ', '2025-03-10T12:00:00.000Z'],
    ['Mon, 10 Mar 2025 12:30:00 GMT', '2025-03-10T12:30:00.000Z'],
    ['Monday, 10-Mar-25 12:30:00 GMT', '2025-03-10T12:30:00.000Z'],
    ['Mon Mar 10 12:30:00 2025', '2025-03-10T12:30:00.000Z'],
    ['Mon, 10 Mar 2025 11:00:00 GMT', '2025-03-10T12:00:00.000Z'], // a date in the past means now
  ])('%s -> %s', (value, expected) => {
    expect(parseRetryAfter(value, NOW)?.toISOString()).toBe(expected);
  });

  it.each([[undefined], [null], [''], ['soon'], ['-5'], ['1.5'], ['Mon, 99 Foo 2025']])('ignores %s', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  it('caps a far-future answer at a week, so a bogus header cannot silence a source for ever', () => {
    expect(parseRetryAfter('999999999', NOW)!.getTime()).toBe(NOW.getTime() + MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT', NOW)!.getTime()).toBe(NOW.getTime() + MAX_RETRY_AFTER_MS);
  });
});
