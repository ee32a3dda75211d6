// Feed queries every feed refuses with 400, plain or composed, and a part of the reason each answer must give.
export const BAD_FEED_QUERIES: [query: string, status: number, message: string][] = [
  ['?limit=0', 400, 'limit: must be a whole number from 1 to 500'],
  ['?limit=501', 400, 'limit'],
  ['?page=abc', 400, 'page'],
  ['?since=last-week', 400, 'since: must be an ISO 8601 date'],
  ['?filter=/(unclosed/', 400, 'filter: is not a usable regular expression'],
  ['?filterout=/(a)\\1/', 400, 'RE2 syntax'],
  [`?filter=${'x'.repeat(300)}`, 400, 'at most 256 characters'],
];
