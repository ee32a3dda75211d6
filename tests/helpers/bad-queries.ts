// Feed queries every feed refuses with 400, plain or composed, and a part of the reason each answer must give.
export const BAD_FEED_QUERIES: [query: string, status: number, message: string][] = [
  ['?limit=0', 400, 'limit: must be a whole number from 1 to 500'],
  ['?limit=501', 400, 'limit'],
  ['?page=abc', 400, 'page'],
  ['?since=last-week', 400, 'since: must be an ISO 8601 date'],
  ['?filter=/(unclosed/', 400, 'filter: is not a usable regular expression'],
  ['?filterout=/(a)\\1/', 400, 'RE2 syntax'],
  [`?filter=${'x'.repeat(300)}`, 400, 'at most 256 characters'],
  // 33 characters that took 1-1.9 s per request over 5,000 items, holding every other request (issue 14).
  ['?filter=/[\\s\\S]{1,1000}[\\s\\S]{1,1000}q/', 400, 'filter: is too costly: its counted repetitions make an RE2 program'],
  ['?filterout=/a.{60}qq/', 400, 'filterout: is too costly: its RE2 program has 65 instructions, at most 64'],
];
