// One reader for every date form met in feeds: RFC 822 (named and numeric zones), RFC 3339 / ISO 8601,
// zone-less forms read in the source's time zone, and Chinese forms like 2025年3月9日 18:42.

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};

/** Offsets in minutes of zone abbreviations found in feeds. CST is resolved per source (see zoneOffset). */
const NAMED_ZONES: Record<string, number> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0, WET: 0, BST: 60, CET: 60, CEST: 120, MET: 60, MEST: 120, EET: 120, EEST: 180,
  MSK: 180, IST: 330, SGT: 480, HKT: 480, AWST: 480, JST: 540, KST: 540, AEST: 600, AEDT: 660,
  EST: -300, EDT: -240, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
};

export interface DateContext {
  /** IANA zone for dates that carry none; also decides what CST means */
  timezone: string;
}

/** Parses a feed date to a Date, or undefined when the text is not a date. */
export function parseDate(text: string | undefined, ctx: DateContext): Date | undefined {
  if (!text) return undefined;
  const value = text.normalize('NFKC').trim().replace(/\s+/g, ' ');
  if (!value) return undefined;
  const parts = readIso(value, ctx) ?? readRfc822(value, ctx) ?? readChinese(value);
  if (!parts) return undefined;
  const { year, month, day, hour, minute, second, ms, offsetMinutes } = parts;
  if (!isValidParts(parts)) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const date = offsetMinutes === undefined ? new Date(zonedToUtc(utc, ctx.timezone)) : new Date(utc - offsetMinutes * 60_000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

interface DateParts {
  year: number; month: number; day: number; hour: number; minute: number; second: number; ms: number;
  /** undefined: the text named no zone */
  offsetMinutes: number | undefined;
}

function isValidParts(p: DateParts): boolean {
  return p.year >= 1970 && p.year <= 2200 && p.month >= 1 && p.month <= 12 && p.day >= 1
    && p.day <= daysInMonth(p.year, p.month) && p.hour <= 24 && p.minute <= 59 && p.second <= 60;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const ISO = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[Tt ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?|[A-Za-z]{2,5})?$/;

function readIso(value: string, ctx: DateContext): DateParts | undefined {
  const m = value.match(ISO);
  if (!m) return undefined;
  return {
    year: +m[1]!, month: +m[2]!, day: +m[3]!,
    hour: m[4] ? +m[4] : 0, minute: m[5] ? +m[5] : 0, second: m[6] ? +m[6] : 0,
    ms: m[7] ? Math.round(+`0.${m[7]}` * 1000) : 0,
    offsetMinutes: zoneOffset(m[8], ctx),
  };
}

// "Sun, 09 Mar 2025 18:42:02 +0800", "9 Mar 25 18:42 GMT", "Sunday, 09-Mar-2025 18:42:02 CST"
const RFC822 = /^(?:[A-Za-z]+,?\s*)?(\d{1,2})[\s-]+([A-Za-z]{3,})\.?[\s-]+(\d{2,4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(?:(?:GMT|UTC)(?=[+-]))?(Z|[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?$/;
// "Mar 9, 2025 18:42:02 +0800" and Date.toString()-like forms
const RFC822_US = /^(?:[A-Za-z]+,?\s*)?([A-Za-z]{3,})\.?\s+(\d{1,2}),?\s+(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(?:GMT)?\s*(Z|[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?(?:\s*\(.*\))?$/;

function readRfc822(value: string, ctx: DateContext): DateParts | undefined {
  let day: string | undefined, monthName: string | undefined, year: string | undefined, rest: RegExpMatchArray;
  const m = value.match(RFC822);
  const us = m ? null : value.match(RFC822_US);
  if (m) [, day, monthName, year] = m, rest = m;
  else if (us) [, monthName, day, year] = us, rest = us;
  else return undefined;
  const month = MONTHS[monthName!.slice(0, 3).toLowerCase()];
  if (!month) return undefined;
  let y = +year!;
  if (year!.length === 2) y += y < 70 ? 2000 : 1900;
  const zone = rest[7];
  const offsetMinutes = zoneOffset(zone, ctx);
  if (zone && offsetMinutes === undefined && !/^[A-Za-z]{1,5}$/.test(zone)) return undefined;
  return {
    year: y, month, day: +day!, hour: rest[4] ? +rest[4] : 0, minute: rest[5] ? +rest[5] : 0,
    second: rest[6] ? +rest[6] : 0, ms: 0, offsetMinutes,
  };
}

const CHINESE = /^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?(?:\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?\s*[分秒]?)?$/;

function readChinese(value: string): DateParts | undefined {
  const m = value.match(CHINESE);
  if (!m) return undefined;
  return {
    year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: m[4] ? +m[4] : 0, minute: m[5] ? +m[5] : 0,
    second: m[6] ? +m[6] : 0, ms: 0, offsetMinutes: undefined,
  };
}

/** Minutes east of UTC for a zone designator; undefined when there is none or it is unknown. */
function zoneOffset(zone: string | undefined, ctx: DateContext): number | undefined {
  if (!zone) return undefined;
  if (zone === 'Z' || zone === 'z') return 0;
  const numeric = zone.match(/^([+-])(\d{2}):?(\d{2})?$/);
  if (numeric) {
    const minutes = +numeric[2]! * 60 + (numeric[3] ? +numeric[3] : 0);
    return numeric[1] === '-' ? -minutes : minutes;
  }
  const upper = zone.toUpperCase();
  // CST is US Central (-06:00) in RFC 822 but China Standard Time on Chinese sites: a source whose zone is
  // in Asia (Asia/Shanghai, Asia/Taipei, …) gets its own zone's offset, which is +08:00 there.
  if (upper === 'CST') return ctx.timezone.startsWith('Asia/') ? undefined : -360;
  return NAMED_ZONES[upper];
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
