import { describe, expect, it } from 'vitest';
import { parseDate } from '../../../src/normalize/dates.ts';

const UTC = { timezone: 'UTC' };
const SHANGHAI = { timezone: 'Asia/Shanghai' };
const NEW_YORK = { timezone: 'America/New_York' };

// [form met in the wild, text, source zone, expected instant (ISO, UTC) or undefined for "no usable date"]
const rows: [string, string, { timezone: string }, string | undefined][] = [
  // RFC 822 / RFC 1123
  ['RFC 1123 with GMT', 'Sun, 09 Mar 2025 10:42:02 GMT', UTC, '2025-03-09T10:42:02.000Z'],
  ['RFC 822 numeric zone', 'Sun, 09 Mar 2025 18:42:02 +0800', UTC, '2025-03-09T10:42:02.000Z'],
  ['RFC 822 numeric zone with colon', 'Sun, 09 Mar 2025 18:42:02 +08:00', UTC, '2025-03-09T10:42:02.000Z'],
  ['RFC 822 negative zone', 'Tue, 04 Mar 2025 05:00:00 -0500', UTC, '2025-03-04T10:00:00.000Z'],
  ['RFC 822 -0000 (zone unknown, time in UTC)', 'Sun, 09 Mar 2025 10:42:02 -0000', UTC, '2025-03-09T10:42:02.000Z'],
  ['RFC 822 named US zone', 'Tue, 25 Feb 2025 05:00:00 EST', UTC, '2025-02-25T10:00:00.000Z'],
  ['RFC 822 daylight zone', 'Sun, 09 Mar 2025 03:00:00 PDT', UTC, '2025-03-09T10:00:00.000Z'],
  ['RFC 822 without weekday', '09 Mar 2025 18:42:02 +0800', UTC, '2025-03-09T10:42:02.000Z'],
  ['RFC 822 without seconds', 'Sun, 09 Mar 2025 18:42 +0800', UTC, '2025-03-09T10:42:00.000Z'],
  ['RFC 822 single-digit day and seconds', 'Sun, 9 Mar 2025 18:42:2 +0800', UTC, '2025-03-09T10:42:02.000Z'],
  ['RFC 822 two-digit year', '9 Mar 25 10:42 GMT', UTC, '2025-03-09T10:42:00.000Z'],
  ['RFC 822 no space after the comma', 'Sun,09 Mar 2025 10:42:02 GMT', UTC, '2025-03-09T10:42:02.000Z'],
  ['RFC 850 with dashes and full weekday', 'Sunday, 09-Mar-2025 10:42:02 GMT', UTC, '2025-03-09T10:42:02.000Z'],
  ['RFC 822 full month name', '9 March 2025 10:42:02 GMT', UTC, '2025-03-09T10:42:02.000Z'],
  ['RFC 822 with a zone comment', 'Sun, 09 Mar 2025 18:42:02 +0800 (CST)', UTC, '2025-03-09T10:42:02.000Z'],
  ['RFC 822 with 12-hour clock', 'Sun, 09 Mar 2025 06:42:02 PM +0800', UTC, '2025-03-09T10:42:02.000Z'],
  ['RFC 822 with 12 AM', 'Sun, 09 Mar 2025 12:15:00 AM GMT', UTC, '2025-03-09T00:15:00.000Z'],
  ['RFC 822 with GMT+0800', 'Sun, 09 Mar 2025 18:42:02 GMT+0800', UTC, '2025-03-09T10:42:02.000Z'],
  ['RFC 822 without any zone: the source\'s zone', 'Sun, 09 Mar 2025 18:42:02', SHANGHAI, '2025-03-09T10:42:02.000Z'],
  // CST and IST depend on where the source is
  ['CST on a Chinese source is China Standard Time', 'Sun, 09 Mar 2025 16:00:00 CST', SHANGHAI, '2025-03-09T08:00:00.000Z'],
  ['CST on a Taiwanese source is +08:00 too', 'Sun, 09 Mar 2025 16:00:00 CST', { timezone: 'Asia/Taipei' }, '2025-03-09T08:00:00.000Z'],
  ['CST elsewhere is US Central', 'Sun, 09 Mar 2025 16:00:00 CST', UTC, '2025-03-09T22:00:00.000Z'],
  ['CST in Havana is Cuba Standard Time', 'Sun, 09 Mar 2025 16:00:00 CST', { timezone: 'America/Havana' }, '2025-03-09T21:00:00.000Z'],
  ['IST by default is India', 'Sun, 09 Mar 2025 16:00:00 IST', UTC, '2025-03-09T10:30:00.000Z'],
  ['IST on an Israeli source', 'Sun, 09 Mar 2025 16:00:00 IST', { timezone: 'Asia/Jerusalem' }, '2025-03-09T14:00:00.000Z'],
  // US forms and JavaScript's Date.toString()
  ['US month-first', 'Mar 9, 2025 18:42:02 +0800', UTC, '2025-03-09T10:42:02.000Z'],
  ['US long form with ordinal', 'Sunday, March 9th, 2025 at 6:42 PM', SHANGHAI, '2025-03-09T10:42:00.000Z'],
  ['Date.toString()', 'Sun Mar 09 2025 18:42:02 GMT+0800 (China Standard Time)', UTC, '2025-03-09T10:42:02.000Z'],
  // RFC 3339 / ISO 8601
  ['RFC 3339 UTC', '2025-03-09T10:42:02Z', NEW_YORK, '2025-03-09T10:42:02.000Z'],
  ['RFC 3339 with offset', '2025-03-09T18:42:02+08:00', UTC, '2025-03-09T10:42:02.000Z'],
  ['RFC 3339 with fraction', '2025-03-09T10:42:02.123456Z', UTC, '2025-03-09T10:42:02.123Z'],
  ['RFC 3339 lower-case t and z', '2025-03-09t10:42:02z', UTC, '2025-03-09T10:42:02.000Z'],
  ['ISO 8601 offset without colon', '2025-03-09T18:42:02+0800', UTC, '2025-03-09T10:42:02.000Z'],
  ['ISO 8601 hour-only offset', '2025-03-09T18:42:02+08', UTC, '2025-03-09T10:42:02.000Z'],
  ['ISO with a space and a spaced zone', '2025-03-09 18:42:02 +0800', UTC, '2025-03-09T10:42:02.000Z'],
  ['ISO without zone: the source\'s zone', '2025-03-09 18:42:02', SHANGHAI, '2025-03-09T10:42:02.000Z'],
  ['ISO without zone, source default UTC', '2025-03-09 18:42:02', UTC, '2025-03-09T18:42:02.000Z'],
  ['ISO without zone across a DST change', '2025-03-09 12:00:00', NEW_YORK, '2025-03-09T16:00:00.000Z'],
  ['ISO without zone before the DST change', '2025-03-08 12:00:00', NEW_YORK, '2025-03-08T17:00:00.000Z'],
  ['Java Timestamp.toString()', '2025-03-09 18:42:02.0', SHANGHAI, '2025-03-09T10:42:02.000Z'],
  ['date only', '2025-03-09', SHANGHAI, '2025-03-08T16:00:00.000Z'],
  ['slashes and single digits', '2025/3/9 8:05', SHANGHAI, '2025-03-09T00:05:00.000Z'],
  ['dashes and single digits', '2025-3-9 8:05', SHANGHAI, '2025-03-09T00:05:00.000Z'],
  ['dots', '2025.03.09 18:42', SHANGHAI, '2025-03-09T10:42:00.000Z'],
  ['full-width digits and punctuation', '２０２５－０３－０９　１８：４２：０２', SHANGHAI, '2025-03-09T10:42:02.000Z'],
  // Chinese forms
  ['Chinese date and time', '2025年3月9日 18:42', SHANGHAI, '2025-03-09T10:42:00.000Z'],
  ['Chinese with zero padding and no space', '2025年03月09日18:42:02', SHANGHAI, '2025-03-09T10:42:02.000Z'],
  ['Chinese with full-width colon', '2025年3月9日 18：42', SHANGHAI, '2025-03-09T10:42:00.000Z'],
  ['Chinese with weekday', '2025年3月9日 星期日 18:42', SHANGHAI, '2025-03-09T10:42:00.000Z'],
  ['Chinese hours and minutes in characters', '2025年3月9日 18时42分30秒', SHANGHAI, '2025-03-09T10:42:30.000Z'],
  ['Chinese afternoon', '2025年3月9日 下午6:42', SHANGHAI, '2025-03-09T10:42:00.000Z'],
  ['Chinese date only', '2025年3月9日', SHANGHAI, '2025-03-08T16:00:00.000Z'],
  ['Chinese with Beijing time named, on a UTC source', '2025年3月9日 18:42 (北京时间)', UTC, '2025-03-09T10:42:00.000Z'],
  // Unix timestamps
  ['Unix seconds', '1741516922', UTC, '2025-03-09T10:42:02.000Z'],
  ['Unix milliseconds', '1741516922000', UTC, '2025-03-09T10:42:02.000Z'],
  // Garbage and impossible dates
  ['empty', '', UTC, undefined],
  ['whitespace', '   ', UTC, undefined],
  ['words', 'yesterday', UTC, undefined],
  ['a template placeholder', '{{pubDate}}', UTC, undefined],
  ['zero date', '0000-00-00 00:00:00', UTC, undefined],
  ['epoch zero as "no date"', '1970-01-01T00:00:00Z', UTC, undefined],
  ['epoch zero in the source\'s zone', '1970-01-01 08:00:00', SHANGHAI, undefined],
  ['31 February', '2025-02-31', UTC, undefined],
  ['month 13', '2025-13-01 10:00', UTC, undefined],
  ['hour 25', 'Sun, 09 Mar 2025 25:00:00 GMT', UTC, undefined],
  ['unknown month', '09 Foo 2025 10:00 GMT', UTC, undefined],
  ['offset beyond 14 hours', 'Sun, 09 Mar 2025 10:00:00 +1900', UTC, undefined],
  ['a kilobyte of digits', '2'.repeat(1024), UTC, undefined],
];

describe('parseDate reads every date form met in feeds', () => {
  it.each(rows)('%s: %j', (_form, text, ctx, expected) => {
    expect(parseDate(text, ctx)?.toISOString()).toBe(expected);
  });

  it('reads undefined as no date', () => {
    expect(parseDate(undefined, UTC)).toBeUndefined();
  });
});
