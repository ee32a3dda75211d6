// One reader for every date form met in feeds: RFC 822 / RFC 1123 (named and numeric zones, with or without
// weekday, comments, 12-hour clocks), RFC 3339 / ISO 8601, JavaScript's Date.toString(), zone-less forms read in
// the source's time zone, Chinese forms (2025年3月9日 18:42, 2025-3-9 8:05), asctime and Twitter/Ruby forms
// (year last), IANA zone names after the time (Etc/GMT), reduced-precision W3C-DTF (2003-12, 2003), and Unix
// timestamps. README's table of date forms lists each with the zone it is read in.

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};

/** Offsets in minutes of zone abbreviations found in feeds. CST and IST are resolved per source (namedOffset). */
const NAMED_ZONES: Record<string, number> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0, WET: 0, WEST: 60, BST: 60, CET: 60, CEST: 120, MET: 60, MEST: 120, EET: 120, EEST: 180,
  MSK: 180, PKT: 300, NPT: 345, WIB: 420, ICT: 420, SGT: 480, HKT: 480, PHT: 480, AWST: 480, BJT: 480, JST: 540,
  KST: 540, ACST: 570, AEST: 600, AEDT: 660, NZST: 720, NZDT: 780, HST: -600, AKST: -540, AKDT: -480,
  EST: -300, EDT: -240, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420, AST: -240, ADT: -180, NST: -210,
  NDT: -150, HDT: -540,
  // RFC 822 §5.1 military zones, with RFC 822's signs: A-I are -1..-9 h, K-M -10..-12 h, N-Y +1..+12 h. RFC 1123
  // §5.2.14 notes these signs are the reverse of military usage, so the letters are unreliable; a feed that writes
  // one follows RSS 2.0's date spec (RFC 822), so RFC 822's table is the reading, as mature feed readers do.
  ...militaryZones(),
};

/**
 * North-American generic zones ("16:31 ET"): the wall clock of that region, standard or daylight time as the date
 * falls, read through the IANA zone of its largest city.
 */
const GENERIC_ZONES: Record<string, string> = {
  ET: 'America/New_York', CT: 'America/Chicago', MT: 'America/Denver', PT: 'America/Los_Angeles',
  AT: 'America/Halifax', AKT: 'America/Anchorage', HT: 'Pacific/Honolulu', NT: 'America/St_Johns',
};

function militaryZones(): Record<string, number> {
  const zones: Record<string, number> = {};
  [...'ABCDEFGHIKLM'].forEach((letter, i) => { zones[letter] = -60 * (i + 1); });
  [...'NOPQRSTUVWXY'].forEach((letter, i) => { zones[letter] = 60 * (i + 1); });
  return zones;
}

export interface DateContext {
  /** IANA zone for dates that carry none; also decides what CST and IST mean */
  timezone: string;
  /**
   * told of a zone name the reader does not know ("XYZ"): such a date is read as zone-less, in `timezone`, never
   * as UTC; the caller says so once per source
   */
  onUnknownZone?: (zone: string) => void;
}

/** Longer text is no date; the bound also keeps every pattern below cheap on hostile input. */
const MAX_LENGTH = 120;

/** Parses a feed date to a Date, or undefined when the text is not a usable date. */
export function parseDate(text: string | undefined, ctx: DateContext): Date | undefined {
  if (!text || text.length > MAX_LENGTH) return undefined;
  const value = text.normalize('NFKC').trim().replace(/\s+/g, ' ');
  if (!value) return undefined;
  const date = readEpoch(value)
    ?? toDate(readIso(value, ctx) ?? readRfc822(value, ctx) ?? readYearLast(value, ctx) ?? readReduced(value) ?? readChinese(value), ctx);
  // 1970-01-01T00:00:00Z is what CMSs print for "no date" (in UTC or in their local zone).
  return date && date.getTime() !== 0 ? date : undefined;
}

interface DateParts {
  year: number; month: number; day: number; hour: number; minute: number; second: number; ms: number;
  /** minutes east of UTC; undefined: the text named no zone; null: it named an impossible one */
  offsetMinutes: number | undefined | null;
  /** an IANA zone the text named (Etc/GMT, or ET read as America/New_York): its wall clock, not the source's */
  zone?: string;
}

function toDate(parts: DateParts | undefined, ctx: DateContext): Date | undefined {
  if (!parts || parts.offsetMinutes === null || !isValidParts(parts)) return undefined;
  const { year, month, day, hour, minute, second, ms, offsetMinutes } = parts;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const date = offsetMinutes === undefined ? new Date(zonedToUtc(utc, parts.zone ?? ctx.timezone)) : new Date(utc - offsetMinutes * 60_000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function isValidParts(p: DateParts): boolean {
  return p.year >= 1970 && p.year <= 2200 && p.month >= 1 && p.month <= 12 && p.day >= 1
    && p.day <= daysInMonth(p.year, p.month) && (p.hour < 24 || (p.hour === 24 && p.minute === 0 && p.second === 0))
    && p.minute <= 59 && p.second <= 60;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

// Seconds (10 digits) or milliseconds (13 digits) since 1970: some CMSs and most JSON APIs.
function readEpoch(value: string): Date | undefined {
  if (/^\d{10}$/.test(value)) return new Date(Number(value) * 1000);
  if (/^\d{13}$/.test(value)) return new Date(Number(value));
  return undefined;
}

// Shared pieces: a time of day with optional seconds, fraction and AM/PM (a whole word: "America/…" is a zone); a zone after it.
const TIME = String.raw`(\d{1,2}):(\d{2})(?::(\d{1,2})(?:[.,](\d+))?)?(?:\s*([AaPp])\.?[Mm]\.?(?![A-Za-z]))?`;
// An IANA name ("Etc/GMT", "America/New_York") is one or more "/"-separated parts, so the pattern stays linear.
const ZONE = String.raw`(Z|(?:GMT|UTC|UT)?\s*[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+|[A-Za-z]{1,5})`;
const COMMENT = String.raw`(?:\s*\([^()]*\))?`;

// "2025-03-09T18:42:02+08:00", "2025-03-09 18:42:02", "2025/3/9 8:05", "2025.03.09", "2025-03-09T18:42:02.123Z"
const ISO = new RegExp(String.raw`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[Tt ]\s*${TIME})?\s*${ZONE}?${COMMENT}$`);
// "Sun, 09 Mar 2025 18:42:02 +0800", "9 Mar 25 18:42 GMT", "Sunday, 09-Mar-2025 6:42:02 PM CST"
const RFC822 = new RegExp(String.raw`^(?:[A-Za-z]+\.?,?\s*)?(\d{1,2})[\s-]+([A-Za-z]{3,})\.?,?[\s-]+(\d{2}|\d{4})(?:,?\s+${TIME})?\s*${ZONE}?${COMMENT}$`);
// "Mar 9, 2025 18:42:02 +0800", "March 9th, 2025", "Sun Mar 09 2025 18:42:02 GMT+0800 (China Standard Time)"
const US = new RegExp(String.raw`^(?:[A-Za-z]+\.?,?\s*)?([A-Za-z]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?:,?\s+(?:at\s+)?${TIME})?\s*${ZONE}?${COMMENT}$`);
// The year last: C's asctime() "Sun Jan  4 16:29:06 2004", Unix date(1) "… 16:29:06 PST 2004",
// Twitter's and Ruby's "Sun Jul 15 01:16:00 +0000 2012".
const YEAR_LAST = new RegExp(String.raw`^(?:[A-Za-z]+\.?,?\s+)?([A-Za-z]{3,})\.?\s+(\d{1,2}),?\s+${TIME}(?:\s+${ZONE})?\s+(\d{4})$`);
// W3C-DTF (the profile of ISO 8601 Atom 0.3 and Dublin Core use) allows a year, or a year and month, alone.
const REDUCED = /^(\d{4})(?:-(\d{2}))?$/;

function readIso(value: string, ctx: DateContext): DateParts | undefined {
  const m = value.match(ISO);
  if (!m) return undefined;
  return { year: +m[1]!, month: +m[2]!, day: +m[3]!, ...timeOf(m, 4), ...zoneOf(m[9], ctx) };
}

function readRfc822(value: string, ctx: DateContext): DateParts | undefined {
  const dayFirst = value.match(RFC822);
  const m = dayFirst ?? value.match(US);
  if (!m) return undefined;
  const [day, monthName, year] = dayFirst ? [m[1]!, m[2]!, m[3]!] : [m[2]!, m[1]!, m[3]!];
  const month = MONTHS[monthName.slice(0, 3).toLowerCase()];
  if (!month) return undefined;
  // RFC 822 two-digit years; RFC 2822 §4.3 reads 00-49 as 20xx.
  const y = year.length === 2 ? +year + (+year < 50 ? 2000 : 1900) : +year;
  return { year: y, month, day: +day, ...timeOf(m, 4), ...zoneOf(m[9], ctx) };
}

function readYearLast(value: string, ctx: DateContext): DateParts | undefined {
  const m = value.match(YEAR_LAST);
  const month = m && MONTHS[m[1]!.slice(0, 3).toLowerCase()];
  if (!m || !month) return undefined;
  return { year: +m[9]!, month, day: +m[2]!, ...timeOf(m, 3), ...zoneOf(m[8], ctx) };
}

/** "2003-12" and "2003": the first instant of that month or year, in the source's zone. */
function readReduced(value: string): DateParts | undefined {
  const m = value.match(REDUCED);
  if (!m) return undefined;
  return { year: +m[1]!, month: m[2] ? +m[2] : 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0, offsetMinutes: undefined };
}

// "2025年3月9日 18:42", "2025年03月09日 星期日 18时42分30秒", "2025年3月9日 下午6:42", "… (北京时间)"
const CHINESE = /^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?(?:\s*(?:星期|周|週)[一二三四五六日天])?(?:\s*(上午|下午|晚上|凌晨|中午)?\s*(\d{1,2})\s*[:时時点點]\s*(\d{1,2})?(?:\s*[:分]\s*(\d{1,2}))?\s*[分秒]?)?(?:\s*\(?(北京时间|北京時間)\)?)?$/;

function readChinese(value: string): DateParts | undefined {
  const m = value.match(CHINESE);
  if (!m) return undefined;
  let hour = m[5] ? +m[5] : 0;
  const period = m[4];
  if ((period === '下午' || period === '晚上') && hour < 12) hour += 12;
  else if (period === '中午' && hour < 11) hour += 12;
  else if ((period === '上午' || period === '凌晨') && hour === 12) hour = 0;
  return {
    year: +m[1]!, month: +m[2]!, day: +m[3]!, hour, minute: m[6] ? +m[6] : 0, second: m[7] ? +m[7] : 0, ms: 0,
    offsetMinutes: m[8] ? 480 : undefined,
  };
}

/** Hour, minute, second and ms from the TIME groups starting at index `at`. */
function timeOf(m: RegExpMatchArray, at: number): Pick<DateParts, 'hour' | 'minute' | 'second' | 'ms'> {
  let hour = m[at] ? +m[at]! : 0;
  const meridiem = m[at + 4]?.toLowerCase();
  if (meridiem === 'p' && hour < 12) hour += 12;
  else if (meridiem === 'a' && hour === 12) hour = 0;
  const fraction = m[at + 3];
  return {
    hour, minute: m[at + 1] ? +m[at + 1]! : 0, second: m[at + 2] ? +m[at + 2]! : 0,
    ms: fraction ? Math.round(+`0.${fraction.slice(0, 9)}` * 1000) : 0,
  };
}

/**
 * What a zone designator says: a fixed offset in minutes east of UTC, an IANA zone whose wall clock the time is,
 * nothing (offsetMinutes undefined: no zone, or one the reader does not know, read in the source's zone), or an
 * impossible offset (null).
 */
function zoneOf(zone: string | undefined, ctx: DateContext): Pick<DateParts, 'offsetMinutes' | 'zone'> {
  if (!zone) return { offsetMinutes: undefined };
  const numeric = zone.match(/^(?:GMT|UTC|UT)?\s*([+-])(\d{1,2}?)(?::?(\d{2}))?$/i);
  if (numeric) {
    const hours = +numeric[2]!;
    const minutes = numeric[3] ? +numeric[3] : 0;
    if (hours > 14 || minutes > 59) return { offsetMinutes: null };
    return { offsetMinutes: (numeric[1] === '-' ? -1 : 1) * (hours * 60 + minutes) };
  }
  const name = zone.toUpperCase();
  const iana = GENERIC_ZONES[name] ?? (zone.includes('/') ? ianaZone(zone) : undefined);
  if (iana) return { offsetMinutes: undefined, zone: iana };
  const offset = namedOffset(name, ctx);
  if (offset === undefined) ctx.onUnknownZone?.(zone);
  return { offsetMinutes: offset };
}

/** The zone's canonical IANA name when the runtime knows it ("etc/gmt" → "Etc/GMT"), else undefined. */
function ianaZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * Abbreviations that mean different zones in different places. CST is US Central (-06:00) in RFC 822, but
 * China Standard Time (+08:00) on Chinese and Taiwanese sites, and Cuba's in Havana; IST is India's, Israel's
 * or Ireland's. The source's configured zone decides.
 */
function namedOffset(name: string, ctx: DateContext): number | undefined {
  const tz = ctx.timezone;
  if (name === 'CST') return tz.startsWith('Asia/') || tz === 'PRC' || tz === 'ROC' ? 480 : tz === 'America/Havana' ? -300 : -360;
  if (name === 'IST') return tz === 'Asia/Jerusalem' || tz === 'Asia/Tel_Aviv' ? 120 : tz === 'Europe/Dublin' ? 60 : 330;
  return NAMED_ZONES[name];
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC of an IANA zone at an instant. */
export function offsetAt(instant: number, timezone: string): number {
  let fmt = formatters.get(timezone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timezone, fmt);
  }
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(new Date(instant))) if (part.type !== 'literal') p[part.type] = +part.value;
  const local = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return Math.round((local - Math.floor(instant / 1000) * 1000) / 60_000);
}

/** Wall-clock time in a zone (given as if it were UTC) to the real UTC instant. */
function zonedToUtc(wallClock: number, timezone: string): number {
  const first = wallClock - offsetAt(wallClock, timezone) * 60_000;
  return wallClock - offsetAt(first, timezone) * 60_000;
}

// ---- Relative times ----------------------------------------------------------------------------------------
// Chinese pages and some feeds print "刚刚", "3分钟前", "2小时前", "昨天 18:42", "前天", "3天前" instead of a date.
// They mean something only against the time they were read, so the caller passes the fetch time; normalize
// calls this only when parseDate found no absolute date. Day-sized forms resolve to a fixed wall-clock time
// (the start of that day when none is given), so the same text read twice on one day gives the same instant.

export interface RelativeDateContext extends DateContext {
  /** the fetch time the text is relative to */
  now: Date;
}

const UNIT_MS: Record<string, number> = { 秒: 1000, 分: 60_000, 小时: 3_600_000, 小時: 3_600_000, 时: 3_600_000, 時: 3_600_000 };
const DAYS_BACK: Record<string, number> = { 今天: 0, 今日: 0, 昨天: 1, 昨日: 1, 前天: 2 };
const AGO = /^(\d{1,4})\s*(?:个|個)?\s*(秒|分|小时|小時|时|時|天|日|周|週|星期)(?:钟|鐘)?\s*(?:前|之前)$/;
const NAMED_DAY = /^(今天|今日|昨天|昨日|前天)\s*(?:(\d{1,2})\s*[:：时時点點]\s*(\d{1,2})\s*分?)?$/;

/** A relative time ("3分钟前", "昨天 18:42") resolved against ctx.now in ctx.timezone, or undefined. */
export function parseRelativeDate(text: string | undefined, ctx: RelativeDateContext): Date | undefined {
  if (!text || text.length > 40) return undefined;
  const value = text.normalize('NFKC').trim().replace(/\s+/g, ' ');
  if (value === '刚刚' || value === '剛剛' || value === '刚才') return new Date(ctx.now);
  const ago = value.match(AGO);
  if (ago) {
    const count = +ago[1]!;
    const unit = ago[2]!;
    if (unit === '天' || unit === '日') return startOfDayBefore(ctx, count, 0, 0);
    if (unit === '周' || unit === '週' || unit === '星期') return startOfDayBefore(ctx, count * 7, 0, 0);
    return new Date(ctx.now.getTime() - count * UNIT_MS[unit]!);
  }
  const named = value.match(NAMED_DAY);
  if (!named) return undefined;
  const hour = named[2] ? +named[2] : 0;
  const minute = named[3] ? +named[3] : 0;
  if (hour > 23 || minute > 59) return undefined;
  return startOfDayBefore(ctx, DAYS_BACK[named[1]!]!, hour, minute);
}

/** hour:minute on the calendar day `days` before ctx.now's day, both as seen in ctx.timezone. */
function startOfDayBefore(ctx: RelativeDateContext, days: number, hour: number, minute: number): Date {
  const wall = new Date(ctx.now.getTime() + offsetAt(ctx.now.getTime(), ctx.timezone) * 60_000);
  const target = Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate() - days, hour, minute);
  return new Date(zonedToUtc(target, ctx.timezone));
}
