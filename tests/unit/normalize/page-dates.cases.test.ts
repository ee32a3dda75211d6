import { describe, expect, it } from 'vitest';
import { dateFormatProblem, parsePageDate } from '../../../src/normalize/page-dates.ts';

const SH = 'Asia/Shanghai';
/** 2025-03-10 20:00 in Shanghai */
const NOW = '2025-03-10T12:00:00.000Z';

interface Row {
  text: string | undefined;
  expected: string | undefined;
  why: string;
  timezone?: string;
  now?: string;
  format?: string;
}

const rows: Row[] = [
  // Forms the feed reader already reads pass through unchanged.
  { text: '2025-03-09 18:42', expected: '2025-03-09T10:42:00.000Z', why: 'a full date and time in the source zone' },
  { text: '2025年3月9日 18:42', expected: '2025-03-09T10:42:00.000Z', why: 'a full Chinese date' },
  { text: '2025-03-09T18:42:00+08:00', expected: '2025-03-09T10:42:00.000Z', why: 'ISO 8601 from a <time datetime>' },
  // Month and day without the year.
  { text: '03-09', expected: '2025-03-08T16:00:00.000Z', why: 'month-day: this year in the source zone' },
  { text: '3/9', expected: '2025-03-08T16:00:00.000Z', why: 'month/day without padding' },
  { text: '03-09 18:42', expected: '2025-03-09T10:42:00.000Z', why: 'month-day with a time' },
  { text: '03-11', expected: '2025-03-10T16:00:00.000Z', why: 'tomorrow in the source zone is within the day of tolerance' },
  { text: '03-12', expected: '2024-03-11T16:00:00.000Z', why: 'more than a day ahead: last year' },
  { text: '12-28', expected: '2024-12-27T16:00:00.000Z', why: 'December seen in March is last December' },
  { text: '12-31 23:59', now: '2025-12-31T16:30:00.000Z', expected: '2025-12-31T15:59:00.000Z', why: 'the zone decides the year: New Year\'s Day in Shanghai, still Dec 31 in UTC' },
  { text: '12-31', now: '2024-12-31T16:30:00.000Z', expected: '2024-12-30T16:00:00.000Z', why: 'on Jan 1 in Shanghai, 12-31 is yesterday (last year)' },
  { text: '3月9日', expected: '2025-03-08T16:00:00.000Z', why: 'Chinese month-day' },
  { text: '03月09日 18:42', expected: '2025-03-09T10:42:00.000Z', why: 'padded Chinese month-day with a time' },
  { text: '3月9号 8时5分', expected: '2025-03-09T00:05:00.000Z', why: '号 and 时/分' },
  { text: '02-29', now: '2024-03-10T12:00:00.000Z', expected: '2024-02-28T16:00:00.000Z', why: 'Feb 29 in a leap year' },
  { text: '02-29', now: '2026-03-10T12:00:00.000Z', expected: undefined, why: 'Feb 29 when neither this year nor last has one' },
  { text: '13-01', expected: undefined, why: 'month 13' },
  // Dates inside words, as list templates print them.
  { text: '发布时间：2025-03-09 18:42', expected: '2025-03-09T10:42:00.000Z', why: 'a label before a full date' },
  { text: '[03-09]', expected: '2025-03-08T16:00:00.000Z', why: 'brackets around month-day' },
  { text: '(3月9日)', expected: '2025-03-08T16:00:00.000Z', why: 'parentheses around a Chinese month-day' },
  { text: '来源：新华社 2025/03/09', expected: '2025-03-08T16:00:00.000Z', why: 'a source name before the date' },
  // Times of today.
  { text: '18:42', expected: '2025-03-10T10:42:00.000Z', why: 'a time alone is today in the source zone' },
  { text: '21:30', expected: '2025-03-09T13:30:00.000Z', why: 'a time later than now is yesterday\'s' },
  // Full-width digits and colons (NFKC).
  { text: '０３－０９　１８：４２', expected: '2025-03-09T10:42:00.000Z', why: 'full-width forms' },
  // No date.
  { text: undefined, expected: undefined, why: 'no date element' },
  { text: '', expected: undefined, why: 'an empty date element' },
  { text: '阅读全文', expected: undefined, why: 'words without a date' },
  { text: '2025-03-09'.repeat(20), expected: undefined, why: 'longer than any date' },
  // The operator's hint.
  { text: '09/03/2025', format: 'DD/MM/YYYY', expected: '2025-03-08T16:00:00.000Z', why: 'a day-first format hint' },
  { text: '09/03', format: 'DD/MM', expected: '2025-03-08T16:00:00.000Z', why: 'a day-first hint without a year' },
  { text: '更新于 09.03.25 18:42', format: 'DD.MM.YY HH:mm', expected: '2025-03-09T10:42:00.000Z', why: 'a two-digit year found inside words' },
  { text: '2025-03-09 18:42', format: 'MM/DD', expected: '2025-03-09T10:42:00.000Z', why: 'text the hint does not fit falls back to the other forms' },
  { text: '03-09 18:42', timezone: 'UTC', expected: '2025-03-09T18:42:00.000Z', why: 'another source zone' },
];

describe('parsePageDate', () => {
  it.each(rows)('$why: $text', ({ text, expected, timezone, now, format }) => {
    const date = parsePageDate(text, { timezone: timezone ?? SH, now: new Date(now ?? NOW), ...(format ? { format } : {}) });
    expect(date?.toISOString()).toBe(expected);
  });
});

describe('dateFormatProblem', () => {
  it.each([
    ['YYYY-MM-DD HH:mm', undefined],
    ['MM-DD', undefined],
    ['M月D日', undefined],
    ['HH:mm', undefined],
    ['YYYY-MM', 'at least a month and a day'],
    ['YYYY', 'at least a month and a day'],
    ['MM-DD-MM', 'names a field twice'],
    ['MM HH:mm', 'month without a day'],
  ])('%s', (format, problem) => {
    if (problem === undefined) expect(dateFormatProblem(format)).toBeUndefined();
    else expect(dateFormatProblem(format)).toContain(problem);
  });
});
