// Dates as web page lists print them, read on top of the feed date reader (dates.ts). Lists drop what the
// reader can see from context: the year ("03-09", "3月9日"), or the whole day ("18:42" for today's items), and
// wrap the date in words ("发布时间：2025-03-09 18:42", "[03-09]"). The missing parts come from the fetch time
// in the source's zone, which is why this reader needs `now` and the feed reader does not.
import { parseDate } from './dates.ts';

export interface PageDateContext {
  /** the source's zone: dates on the page are wall-clock times there, and "this year" is its year */
  timezone: string;
  /** the fetch time */
  now: Date;
  /** the operator's hint (select.dateFormat), tried first: "YYYY-MM-DD HH:mm", "MM-DD", "DD/MM/YYYY" */
  format?: string;
}

/** A list without the year shows recent items; a date further ahead than this is last year's. */
const FUTURE_TOLERANCE_MS = 24 * 3600 * 1000;
const MAX_LENGTH = 120;

interface WallClock {
  year?: number;
  month?: number;
  day?: number;
  hour: number;
  minute: number;
  second: number;
}

const TIME = String.raw`(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{2}))?`;
// "03-09", "3/9", "03.09 18:42"
const MONTH_DAY = new RegExp(String.raw`(?<![\d.:/-])(\d{1,2})[-/.](\d{1,2})(?:\s+${TIME})?(?![\d.:/-])`);
// "3月9日", "03月09日 18:42", "3月9号"
const CHINESE_MONTH_DAY = new RegExp(String.raw`(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?(?:\s*${TIME})?`);
const TIME_ONLY = new RegExp(String.raw`^${TIME}$`);
// A full date inside other words, handed to the feed reader: "发布时间：2025-03-09 18:42", "(2025年3月9日)"
const FULL_DATE = new RegExp(String.raw`\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?(?:\s*${TIME})?`);

/** Parses the date text of a page item, or undefined when it holds no usable date. */
export function parsePageDate(text: string | undefined, ctx: PageDateContext): Date | undefined {
  if (!text || text.length > MAX_LENGTH) return undefined;
  const value = text.normalize('NFKC').trim().replace(/\s+/g, ' ');
  if (!value) return undefined;
  const hinted = ctx.format ? readWithFormat(value, ctx.format) : undefined;
  if (hinted) return toDate(hinted, ctx);
  const whole = parseDate(value, ctx);
  if (whole) return whole;
  const time = value.match(TIME_ONLY);
  if (time) return toDate({ ...timeOf(time, 1) }, ctx);
  const full = value.match(FULL_DATE);
  if (full) return parseDate(full[0], ctx);
  const monthDay = value.match(CHINESE_MONTH_DAY) ?? value.match(MONTH_DAY);
  if (monthDay) return toDate({ month: +monthDay[1]!, day: +monthDay[2]!, ...timeOf(monthDay, 3) }, ctx);
  return undefined;
}

function timeOf(m: RegExpMatchArray, at: number): Pick<WallClock, 'hour' | 'minute' | 'second'> {
  return { hour: m[at] ? +m[at]! : 0, minute: m[at + 1] ? +m[at + 1]! : 0, second: m[at + 2] ? +m[at + 2]! : 0 };
}

/**
 * Fills in what the page left out from `now` in the source's zone: no date means today (yesterday when that
 * time has not come yet); no year means this year (last year when that is more than a day ahead).
 */
function toDate(parts: WallClock, ctx: PageDateContext): Date | undefined {
  const { hour, minute, second } = parts;
  const today = wallClockDate(ctx.now, ctx.timezone);
  if (parts.month === undefined || parts.day === undefined) {
    const at = read({ ...today, hour, minute, second }, ctx);
    if (!at || at.getTime() <= ctx.now.getTime()) return at;
    return read({ ...wallClockDate(new Date(ctx.now.getTime() - 24 * 3600 * 1000), ctx.timezone), hour, minute, second }, ctx);
  }
  const { month, day } = parts;
  if (parts.year !== undefined) return read({ year: parts.year, month, day, hour, minute, second }, ctx);
  const thisYear = read({ year: today.year, month, day, hour, minute, second }, ctx);
  if (thisYear && thisYear.getTime() <= ctx.now.getTime() + FUTURE_TOLERANCE_MS) return thisYear;
  return read({ year: today.year - 1, month, day, hour, minute, second }, ctx);
}

/** Through the feed reader, so validation, zones and DST are handled in one place. */
function read(p: Required<WallClock>, ctx: PageDateContext): Date | undefined {
  const pad = (n: number) => String(n).padStart(2, '0');
  return parseDate(`${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`, ctx);
}

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

function wallClockDate(instant: Date, timezone: string): { year: number; month: number; day: number } {
  let fmt = dayFormatters.get(timezone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: timezone, year: 'numeric', month: 'numeric', day: 'numeric' });
    dayFormatters.set(timezone, fmt);
  }
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(instant)) if (part.type !== 'literal') p[part.type] = +part.value;
  return { year: p.year!, month: p.month!, day: p.day! };
}

// dateFormat tokens, longest first so "YYYY" is not read as two "YY".
const TOKENS: [string, keyof WallClock | 'shortYear', string][] = [
  ['YYYY', 'year', String.raw`(\d{4})`], ['YY', 'shortYear', String.raw`(\d{2})`],
  ['MM', 'month', String.raw`(\d{1,2})`], ['M', 'month', String.raw`(\d{1,2})`],
  ['DD', 'day', String.raw`(\d{1,2})`], ['D', 'day', String.raw`(\d{1,2})`],
  ['HH', 'hour', String.raw`(\d{1,2})`], ['H', 'hour', String.raw`(\d{1,2})`],
  ['mm', 'minute', String.raw`(\d{2})`], ['ss', 'second', String.raw`(\d{2})`],
];

interface CompiledFormat {
  pattern: RegExp;
  fields: (keyof WallClock | 'shortYear')[];
}

const compiled = new Map<string, CompiledFormat>();

/** "YYYY-MM-DD HH:mm" to a pattern; padding is not required ("M" and "MM" read alike), spaces are optional. */
function compileFormat(format: string): CompiledFormat {
  let done = compiled.get(format);
  if (done) return done;
  const fields: CompiledFormat['fields'] = [];
  let source = '';
  for (let i = 0; i < format.length;) {
    const token = TOKENS.find(([t]) => format.startsWith(t, i));
    if (token) {
      fields.push(token[1]);
      source += token[2];
      i += token[0].length;
    } else {
      const ch = format[i]!;
      source += /\s/.test(ch) ? String.raw`\s*` : ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
      i++;
    }
  }
  done = { pattern: new RegExp(String.raw`(?<!\d)${source}(?!\d)`), fields };
  compiled.set(format, done);
  return done;
}

function readWithFormat(value: string, format: string): WallClock | undefined {
  const { pattern, fields } = compileFormat(format);
  const m = value.match(pattern);
  if (!m) return undefined;
  const parts: WallClock = { hour: 0, minute: 0, second: 0 };
  fields.forEach((field, index) => {
    const n = +m[index + 1]!;
    if (field === 'shortYear') parts.year = 2000 + n;
    else parts[field] = n;
  });
  return parts;
}

/** Why a select.dateFormat cannot be used, or undefined. */
export function dateFormatProblem(format: string): string | undefined {
  const { fields } = compileFormat(format);
  const has = (f: CompiledFormat['fields'][number]) => fields.includes(f);
  if (new Set(fields).size !== fields.length) return `names a field twice: ${JSON.stringify(format)}`;
  if (has('year') && has('shortYear')) return `names the year twice: ${JSON.stringify(format)}`;
  const hasDay = has('month') && has('day');
  if (!hasDay && !(has('hour') && has('minute'))) {
    return 'must hold at least a month and a day (MM and DD) or a time (HH:mm), e.g. "YYYY-MM-DD HH:mm" or "MM-DD"';
  }
  if ((has('month') || has('day')) && !hasDay) return 'names a month without a day or a day without a month';
  return undefined;
}
