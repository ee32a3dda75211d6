import { describe, expect, it } from 'vitest';
import { isNotModified, pickEncoding } from '../../../src/serve/conditional.ts';

// What render/ produces: a strong quoted tag and an HTTP-date with whole seconds.
const ETAG = '"Vb4k2_uCIx9oHBNxXGXyJJ2UdJzdG7kq"';
const LAST_MODIFIED = 'Sun, 09 Mar 2025 10:42:02 GMT';

const rows: { why: string; headers: { 'if-none-match'?: string; 'if-modified-since'?: string }; notModified: boolean }[] = [
  { why: 'the same strong tag', headers: { 'if-none-match': ETAG }, notModified: true },
  { why: 'the same tag sent back weak (W/), since If-None-Match compares weakly', headers: { 'if-none-match': `W/${ETAG}` }, notModified: true },
  { why: 'our tag inside a list', headers: { 'if-none-match': `"old-1", ${ETAG} ,W/"old-2"` }, notModified: true },
  { why: 'our tag inside a list without spaces', headers: { 'if-none-match': `"old-1",${ETAG}` }, notModified: true },
  { why: '"*"', headers: { 'if-none-match': '*' }, notModified: true },
  { why: 'a different tag', headers: { 'if-none-match': '"something-else"' }, notModified: false },
  { why: 'a list of other tags', headers: { 'if-none-match': '"a", W/"b"' }, notModified: false },
  { why: 'our tag without its quotes', headers: { 'if-none-match': ETAG.slice(1, -1) }, notModified: false },
  { why: 'an empty If-None-Match', headers: { 'if-none-match': '' }, notModified: false },
  {
    why: 'a non-matching If-None-Match even when If-Modified-Since would match (If-None-Match takes precedence)',
    headers: { 'if-none-match': '"other"', 'if-modified-since': LAST_MODIFIED },
    notModified: false,
  },
  { why: 'If-Modified-Since equal to Last-Modified', headers: { 'if-modified-since': LAST_MODIFIED }, notModified: true },
  { why: 'If-Modified-Since later than Last-Modified', headers: { 'if-modified-since': 'Sun, 09 Mar 2025 10:42:03 GMT' }, notModified: true },
  { why: 'If-Modified-Since earlier than Last-Modified', headers: { 'if-modified-since': 'Sun, 09 Mar 2025 10:42:01 GMT' }, notModified: false },
  { why: 'an unparsable If-Modified-Since', headers: { 'if-modified-since': 'yesterday' }, notModified: false },
  { why: 'no conditional headers', headers: {}, notModified: false },
];

describe('isNotModified', () => {
  for (const { why, headers, notModified } of rows) {
    it(`${notModified ? 'answers 304' : 'sends the body'} for ${why}`, () => {
      expect(isNotModified(headers, ETAG, LAST_MODIFIED)).toBe(notModified);
    });
  }

  it('sends the body when our Last-Modified is unparsable', () => {
    expect(isNotModified({ 'if-modified-since': LAST_MODIFIED }, ETAG, 'not a date')).toBe(false);
  });
});

const encodings: [string | undefined, 'br' | 'gzip' | 'identity', string][] = [
  ['gzip, deflate, br', 'br', 'prefers br when both are acceptable'],
  ['gzip, deflate, br, zstd', 'br', 'prefers br among newer codings too'],
  ['gzip, deflate', 'gzip', 'falls back to gzip without br'],
  ['GZIP', 'gzip', 'reads coding names regardless of case'],
  ['br;q=0.5, gzip;q=1.0', 'gzip', 'follows a higher q for gzip'],
  ['br;q=0.8, gzip;q=0.8', 'br', 'breaks a q tie in favour of br'],
  ['br; q=0.9 , gzip; q=0.1', 'br', 'reads q with spaces around parameters'],
  ['br;q=0, gzip', 'gzip', 'never picks a coding with q=0'],
  ['br;q=0, gzip;q=0', 'identity', 'sends identity when every coding is refused'],
  ['*', 'br', 'treats * as accepting br'],
  ['*;q=0.5, br;q=0', 'gzip', 'lets * stand for gzip while br is refused'],
  ['*;q=0', 'identity', 'sends identity when * is refused'],
  ['gzip;q=abc', 'identity', 'treats an unreadable q as 0'],
  ['identity', 'identity', 'sends identity when only identity is asked for'],
  ['deflate', 'identity', 'sends identity for codings it does not hold'],
  ['', 'identity', 'sends identity for an empty header'],
  [undefined, 'identity', 'sends identity with no header'],
];

describe('pickEncoding', () => {
  for (const [header, expected, why] of encodings) {
    it(`${why}: ${JSON.stringify(header)} -> ${expected}`, () => {
      expect(pickEncoding(header)).toBe(expected);
    });
  }
});
