// Relative times as Chinese pages and some feeds print them, resolved against the fetch time in the source's zone.
import { describe, expect, it } from 'vitest';
import { parseRelativeDate } from '../../../src/normalize/dates.ts';

// 2025-03-10 20:00:00 in Shanghai
const NOW = new Date('2025-03-10T12:00:00.000Z');
const SH = 'Asia/Shanghai';

const rows: { text: string; timezone: string; expected: string | undefined; why: string }[] = [
  { text: '刚刚', timezone: SH, expected: '2025-03-10T12:00:00.000Z', why: '"just now" is the fetch time' },
  { text: '30秒前', timezone: SH, expected: '2025-03-10T11:59:30.000Z', why: 'seconds ago' },
  { text: '3分钟前', timezone: SH, expected: '2025-03-10T11:57:00.000Z', why: 'minutes ago' },
  { text: '3 分钟前', timezone: SH, expected: '2025-03-10T11:57:00.000Z', why: 'a space before the unit' },
  { text: '３分钟前', timezone: SH, expected: '2025-03-10T11:57:00.000Z', why: 'full-width digits' },
  { text: '2小时前', timezone: SH, expected: '2025-03-10T10:00:00.000Z', why: 'hours ago' },
  { text: '2個小時前', timezone: SH, expected: '2025-03-10T10:00:00.000Z', why: 'traditional script with a measure word' },
  { text: '今天 09:15', timezone: SH, expected: '2025-03-10T01:15:00.000Z', why: 'today at a time, in the source zone' },
  { text: '昨天 18:42', timezone: SH, expected: '2025-03-09T10:42:00.000Z', why: 'yesterday at a time, in the source zone' },
  { text: '昨天18:42', timezone: SH, expected: '2025-03-09T10:42:00.000Z', why: 'no space before the time' },
  { text: '昨天 18:42', timezone: 'UTC', expected: '2025-03-09T18:42:00.000Z', why: 'the zone decides the wall clock' },
  { text: '前天', timezone: SH, expected: '2025-03-07T16:00:00.000Z', why: 'the day before yesterday, at the start of that day' },
  { text: '前天 08:00', timezone: SH, expected: '2025-03-08T00:00:00.000Z', why: 'the day before yesterday at a time' },
  { text: '3天前', timezone: SH, expected: '2025-03-06T16:00:00.000Z', why: 'days ago: the start of that day, so it stays put between fetches on one day' },
  { text: '昨天', timezone: SH, expected: '2025-03-08T16:00:00.000Z', why: 'yesterday without a time' },
  { text: '昨天 25:00', timezone: SH, expected: undefined, why: 'an impossible time' },
  { text: '很久以前', timezone: SH, expected: undefined, why: 'not a relative time we know' },
  { text: '3分钟后', timezone: SH, expected: undefined, why: 'the future is no publication date' },
  { text: '2025-03-09', timezone: SH, expected: undefined, why: 'absolute dates are not this function\'s business' },
];

describe('parseRelativeDate', () => {
  it.each(rows)('$why: $text', ({ text, timezone, expected }) => {
    expect(parseRelativeDate(text, { timezone, now: NOW })?.toISOString()).toBe(expected);
  });
});
