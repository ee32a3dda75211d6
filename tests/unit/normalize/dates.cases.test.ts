import { describe, expect, it } from 'vitest';
import { offsetAt, parseDate } from '../../../src/normalize/dates.ts';

const SH = 'Asia/Shanghai';
const UTC = 'UTC';

interface DateRow {
  text: string | undefined;
  timezone: string;
  /** the instant as ISO 8601 in UTC, or undefined when the text is not a date */
  expected: string | undefined;
  why: string;
}

const rows: DateRow[] = [
  // RFC 822 / RSS 2.0
  { text: 'Sun, 09 Mar 2025 18:42:02 +0800', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'RFC 822 with a numeric +0800 zone' },
  { text: 'Sun, 09 Mar 2025 10:00:00 +0530', timezone: UTC, expected: '2025-03-09T04:30:00.000Z', why: 'RFC 822 with a half-hour zone' },
  { text: 'Sun, 09 Mar 2025 10:42:02 GMT', timezone: SH, expected: '2025-03-09T10:42:02.000Z', why: 'RFC 822 GMT ignores the source zone' },
  { text: 'Sun, 09 Mar 2025 10:42:02 UT', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'RFC 822 UT' },
  { text: 'Sun, 09 Mar 2025 10:42:02 -0000', timezone: SH, expected: '2025-03-09T10:42:02.000Z', why: 'RFC 822 -0000' },
  { text: 'Sun, 09 Mar 2025 05:42:02 EST', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'RFC 822 EST is -05:00' },
  { text: 'Sun, 09 Mar 2025 06:42:02 EDT', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'RFC 822 EDT is -04:00' },
  { text: 'Sun, 09 Mar 2025 02:42:02 pst', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'a lower-case zone name' },
  { text: 'Sun, 09 Mar 2025 18:42:02 CST', timezone: SH, expected: '2025-03-09T10:42:02.000Z', why: 'CST on a source in Asia/Shanghai is China Standard Time (+08:00)' },
  { text: 'Sun, 09 Mar 2025 18:42:02 CST', timezone: 'Asia/Taipei', expected: '2025-03-09T10:42:02.000Z', why: 'CST on a source in Asia/Taipei is +08:00' },
  { text: 'Sun, 09 Mar 2025 18:42:02 CST', timezone: UTC, expected: '2025-03-10T00:42:02.000Z', why: 'CST on a UTC source is US Central (-06:00)' },
  { text: 'Sun, 09 Mar 2025 18:42:02 CST', timezone: 'America/Chicago', expected: '2025-03-10T00:42:02.000Z', why: 'CST on a Chicago source is -06:00 even on a DST day' },
  { text: 'Sun, 09 Mar 25 18:42:02 +0800', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'a 2-digit year below 70 is 20xx' },
  { text: 'Tue, 09 Mar 99 18:42:02 GMT', timezone: UTC, expected: '1999-03-09T18:42:02.000Z', why: 'a 2-digit year of 70 or more is 19xx' },
  { text: '9 Mar 2025 18:42 GMT', timezone: UTC, expected: '2025-03-09T18:42:00.000Z', why: 'no weekday, no seconds' },
  { text: 'Sunday, 09-Mar-2025 18:42:02 GMT', timezone: UTC, expected: '2025-03-09T18:42:02.000Z', why: 'RFC 850 with dashes and a long weekday' },
  { text: 'Sun, 9 March 2025 8:42:02 +0800', timezone: UTC, expected: '2025-03-09T00:42:02.000Z', why: 'a full month name and a 1-digit hour' },
  { text: 'Sun,09 Mar 2025 18:42:02 +08:00', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'no space after the weekday and a colon in the offset' },
  { text: '  Sun, 09 Mar 2025\n 18:42:02 +0800  ', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'surrounding and inner whitespace' },
  { text: 'Sun, 09 Mar 2025 18:42:02', timezone: SH, expected: '2025-03-09T10:42:02.000Z', why: 'RFC 822 without a zone is read in the source zone' },
  { text: 'Mar 9, 2025 18:42:02 +0800', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'US month-first order' },
  { text: 'Sun Mar 09 2025 18:42:02 GMT+0800 (China Standard Time)', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'JavaScript Date.toString()' },
  // ISO 8601 / RFC 3339 / Atom
  { text: '2025-03-09T10:42:02Z', timezone: SH, expected: '2025-03-09T10:42:02.000Z', why: 'ISO with Z ignores the source zone' },
  { text: '2025-03-09T18:42:02+08:00', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'ISO with +08:00' },
  { text: '2025-03-09T18:42:02+0800', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'ISO with +0800 (no colon)' },
  { text: '2025-03-09T18:42:02+08', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'ISO with an hours-only offset' },
  { text: '2025-03-09T05:42:02-05:00', timezone: SH, expected: '2025-03-09T10:42:02.000Z', why: 'ISO with a negative offset' },
  { text: '2025-03-09T18:42:02.123+08:00', timezone: UTC, expected: '2025-03-09T10:42:02.123Z', why: 'ISO with milliseconds' },
  { text: '2025-03-09T10:42:02.123456789Z', timezone: UTC, expected: '2025-03-09T10:42:02.123Z', why: 'ISO with nanoseconds, cut to milliseconds' },
  { text: '2025-03-09 18:42:02 +0800', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'ISO with a space before the offset' },
  { text: '2025-03-09T18:42', timezone: UTC, expected: '2025-03-09T18:42:00.000Z', why: 'ISO without seconds or zone in UTC' },
  { text: '2025-03-09T24:00:00Z', timezone: UTC, expected: '2025-03-10T00:00:00.000Z', why: 'ISO 24:00 is the end of the day' },
  // zone-less forms read in the source's zone
  { text: '2025-03-09 18:42:02', timezone: SH, expected: '2025-03-09T10:42:02.000Z', why: 'a zone-less date-time in Asia/Shanghai' },
  { text: '2025-03-09 18:42:02', timezone: UTC, expected: '2025-03-09T18:42:02.000Z', why: 'a zone-less date-time in UTC' },
  { text: '2025-03-09 18:42:02', timezone: 'America/New_York', expected: '2025-03-09T22:42:02.000Z', why: 'a zone-less date-time after the DST switch in New York' },
  { text: '2025-03-08 18:42:02', timezone: 'America/New_York', expected: '2025-03-08T23:42:02.000Z', why: 'a zone-less date-time before the DST switch in New York' },
  { text: '2025-06-15 12:00', timezone: 'Europe/London', expected: '2025-06-15T11:00:00.000Z', why: 'a zone-less date-time in British Summer Time' },
  { text: '2025-03-09 18:42:02.5', timezone: SH, expected: '2025-03-09T10:42:02.500Z', why: 'a zone-less date-time with a fraction' },
  { text: '2025-3-9', timezone: SH, expected: '2025-03-08T16:00:00.000Z', why: 'a date without padding is midnight in the source zone' },
  { text: '2025-3-9', timezone: UTC, expected: '2025-03-09T00:00:00.000Z', why: 'a date without padding in UTC' },
  { text: '2025/03/09 18:42', timezone: SH, expected: '2025-03-09T10:42:00.000Z', why: 'slashes' },
  { text: '2025.03.09', timezone: UTC, expected: '2025-03-09T00:00:00.000Z', why: 'dots' },
  { text: '2025年3月9日 18:42', timezone: SH, expected: '2025-03-09T10:42:00.000Z', why: 'a Chinese date with a time' },
  { text: '2025年03月09日 18:42:05', timezone: SH, expected: '2025-03-09T10:42:05.000Z', why: 'a Chinese date with seconds' },
  { text: '2025年3月9日', timezone: SH, expected: '2025-03-08T16:00:00.000Z', why: 'a Chinese date alone' },
  { text: '2025年03月09日 18时42分05秒', timezone: SH, expected: '2025-03-09T10:42:05.000Z', why: 'a Chinese date with 时分秒' },
  { text: '２０２５年３月９日 １８：４２', timezone: SH, expected: '2025-03-09T10:42:00.000Z', why: 'full-width digits and colon' },
  { text: '2024-02-29', timezone: UTC, expected: '2024-02-29T00:00:00.000Z', why: 'a leap day' },
  // issue 17: North-American generic zones, military zones, year-last forms, IANA names, reduced W3C-DTF.
  // AKDT, Z, XYZ-in-Shanghai and the two rejections below were read so before: kept as guards.
  { text: 'Mon, 26 January 2004 16:31:00 ET', timezone: UTC, expected: '2004-01-26T21:31:00.000Z', why: 'ET in winter is Eastern Standard Time (-05:00)' },
  { text: 'Mon, 26 July 2004 16:31:00 ET', timezone: UTC, expected: '2004-07-26T20:31:00.000Z', why: 'ET in summer is Eastern Daylight Time (-04:00)' },
  { text: 'Mon, 26 January 2004 16:31:00 CT', timezone: UTC, expected: '2004-01-26T22:31:00.000Z', why: 'CT is US Central time' },
  { text: 'Mon, 26 January 2004 16:31:00 MT', timezone: UTC, expected: '2004-01-26T23:31:00.000Z', why: 'MT is US Mountain time' },
  { text: 'Mon, 26 January 2004 16:31:00 PT', timezone: UTC, expected: '2004-01-27T00:31:00.000Z', why: 'PT is US Pacific time' },
  { text: 'Mon, 26 January 2004 16:31:00 AT', timezone: UTC, expected: '2004-01-26T20:31:00.000Z', why: 'AT is Atlantic time (-04:00 in winter)' },
  { text: 'Mon, 26 January 2004 16:31:00 pt', timezone: SH, expected: '2004-01-27T00:31:00.000Z', why: 'a lower-case generic zone, whatever the source zone' },
  { text: 'Mon, 26 July 2004 16:31:00 AKDT', timezone: UTC, expected: '2004-07-27T00:31:00.000Z', why: 'AKDT is -08:00' },
  { text: 'Mon, 26 January 2004 16:31:00 Z', timezone: SH, expected: '2004-01-26T16:31:00.000Z', why: 'military Z is UTC' },
  { text: 'Mon, 26 January 2004 16:31:00 A', timezone: UTC, expected: '2004-01-26T17:31:00.000Z', why: "military A is -01:00 by RFC 822's table" },
  { text: 'Mon, 26 January 2004 16:31:00 M', timezone: UTC, expected: '2004-01-27T04:31:00.000Z', why: "military M is -12:00 by RFC 822's table" },
  { text: 'Mon, 26 January 2004 16:31:00 N', timezone: UTC, expected: '2004-01-26T15:31:00.000Z', why: "military N is +01:00 by RFC 822's table" },
  { text: 'Mon, 26 January 2004 16:31:00 Y', timezone: UTC, expected: '2004-01-26T04:31:00.000Z', why: "military Y is +12:00 by RFC 822's table" },
  { text: 'Mon, 26 January 2004 16:31:00 XYZ', timezone: SH, expected: '2004-01-26T08:31:00.000Z', why: 'an unknown zone is read as zone-less, in the source zone, not as UTC' },
  { text: 'Sun Jan  4 16:29:06 2004', timezone: UTC, expected: '2004-01-04T16:29:06.000Z', why: 'asctime' },
  { text: 'Sun Jan  4 16:29:06 2004', timezone: SH, expected: '2004-01-04T08:29:06.000Z', why: 'asctime carries no zone: the source zone' },
  { text: 'Sun Jan 4 16:29:06 PST 2004', timezone: UTC, expected: '2004-01-05T00:29:06.000Z', why: 'Unix date(1) with a zone before the year' },
  { text: 'Sun Jul 15 01:16:00 +0000 2012', timezone: SH, expected: '2012-07-15T01:16:00.000Z', why: 'Twitter/Ruby with an offset before the year' },
  { text: 'Thu, 01 Jan 2004 19:48:21 Etc/GMT', timezone: SH, expected: '2004-01-01T19:48:21.000Z', why: 'an IANA Etc/GMT zone' },
  { text: 'Thu, 01 Jan 2004 19:48:21 Etc/GMT+5', timezone: UTC, expected: '2004-01-02T00:48:21.000Z', why: 'Etc/GMT+5 is -05:00 (POSIX signs)' },
  { text: '2004-07-01 12:00:00 America/New_York', timezone: UTC, expected: '2004-07-01T16:00:00.000Z', why: 'an IANA zone name after an ISO date' },
  { text: '2003-12', timezone: UTC, expected: '2003-12-01T00:00:00.000Z', why: 'a W3C-DTF year and month is its first instant' },
  { text: '2003-12', timezone: SH, expected: '2003-11-30T16:00:00.000Z', why: 'a W3C-DTF year and month in the source zone' },
  { text: '2003', timezone: UTC, expected: '2003-01-01T00:00:00.000Z', why: 'a W3C-DTF year alone' },
  // not dates
  { text: '2003-13', timezone: UTC, expected: undefined, why: 'a reduced date with month 13' },
  { text: '1899', timezone: UTC, expected: undefined, why: 'a year before 1970' },
  { text: '2025-02-30', timezone: UTC, expected: undefined, why: 'February 30th' },
  { text: '2025-02-29', timezone: UTC, expected: undefined, why: 'February 29th of a common year' },
  { text: '2025-13-01', timezone: UTC, expected: undefined, why: 'month 13' },
  { text: 'Thu, 31 Apr 2025 10:00:00 GMT', timezone: UTC, expected: undefined, why: 'April 31st in RFC 822' },
  { text: '2025-03-09T25:00:00Z', timezone: UTC, expected: undefined, why: 'hour 25' },
  { text: 'Sun, 09 Foo 2025 10:00:00 GMT', timezone: UTC, expected: undefined, why: 'an unknown month name' },
  { text: '0000-00-00 00:00:00', timezone: UTC, expected: undefined, why: 'the MySQL zero date' },
  { text: '1969-12-31T00:00:00Z', timezone: UTC, expected: undefined, why: 'a date before 1970' },
  { text: '1741516922', timezone: UTC, expected: '2025-03-09T10:42:02.000Z', why: 'a bare Unix time in seconds' },
  { text: 'garbage', timezone: UTC, expected: undefined, why: 'a word' },
  { text: '昨天', timezone: SH, expected: undefined, why: 'a relative Chinese word' },
  { text: '', timezone: UTC, expected: undefined, why: 'an empty string' },
  { text: ' \t ', timezone: UTC, expected: undefined, why: 'whitespace' },
  { text: undefined, timezone: UTC, expected: undefined, why: 'no text' },
];

describe('parseDate', () => {
  for (const { text, timezone, expected, why } of rows) {
    const verb = expected === undefined ? 'rejects' : 'reads';
    it(`${verb} ${why}: ${JSON.stringify(text)} in ${timezone}`, () => {
      expect(parseDate(text, { timezone })?.toISOString()).toBe(expected);
    });
  }

  // regression: "18时42分" (hour and minute, no seconds) is the commonest Chinese time form on news sites,
  // and it is rejected: the trailing 分 is only accepted as a separator before seconds.
  it('reads a Chinese date with 时分 and no seconds: "2025年03月09日 18时42分" in Asia/Shanghai', () => {
    expect(parseDate('2025年03月09日 18时42分', { timezone: SH })?.toISOString()).toBe('2025-03-09T10:42:00.000Z');
  });

  // regression: "GMT+0800" after an RFC 822 date (as several Chinese CMSs write it) is rejected, so such items
  // become undated; only the month-first Date.toString() form accepts GMT before the offset.
  it('reads RFC 822 with "GMT+0800": "Sun, 09 Mar 2025 18:42:02 GMT+0800" in UTC', () => {
    expect(parseDate('Sun, 09 Mar 2025 18:42:02 GMT+0800', { timezone: UTC })?.toISOString()).toBe('2025-03-09T10:42:02.000Z');
  });
});

describe('parseDate: unknown zones', () => {
  it('tells the caller of a zone it does not know, and of no other', () => {
    const unknown: string[] = [];
    const ctx = { timezone: 'Europe/Paris', onUnknownZone: (zone: string) => unknown.push(zone) };
    expect(parseDate('Mon, 26 January 2004 16:31:00 XYZ', ctx)?.toISOString()).toBe('2004-01-26T15:31:00.000Z');
    for (const known of ['Mon, 26 January 2004 16:31:00 ET', 'Mon, 26 January 2004 16:31:00 GMT', '2004-01-26 16:31', 'Sun Jan  4 16:29:06 2004']) parseDate(known, ctx);
    expect(parseDate('Thu, 01 Jan 2004 19:48:21 Mars/Olympus', ctx)?.toISOString()).toBe('2004-01-01T18:48:21.000Z');
    expect(unknown).toEqual(['XYZ', 'Mars/Olympus']);
  });
});

describe('offsetAt', () => {
  for (const [instant, timezone, minutes] of [
    ['2025-03-09T10:00:00Z', SH, 480],
    ['2025-03-09T10:00:00Z', UTC, 0],
    ['2025-01-15T12:00:00Z', 'America/New_York', -300],
    ['2025-07-15T12:00:00Z', 'America/New_York', -240],
    ['2025-03-09T10:00:00Z', 'Asia/Kolkata', 330],
  ] as const) {
    it(`gives ${minutes} minutes east of UTC for ${timezone} at ${instant}`, () => {
      expect(offsetAt(Date.parse(instant), timezone)).toBe(minutes);
    });
  }
});
