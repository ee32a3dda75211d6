import { describe, expect, it } from 'vitest';
import { describeTagQuery, matchesTagQuery, parseTagQuery } from '../../../src/render/tag-query.ts';

const parseRows: { why: string; name: string; anyOf: string[][] | undefined; key?: string }[] = [
  { why: 'reads a+b as both tags', name: 'ai+china', anyOf: [['ai', 'china']], key: 'ai+china' },
  { why: 'reads a,b as either tag', name: 'ai,finance', anyOf: [['ai'], ['finance']], key: 'ai,finance' },
  { why: 'binds + tighter than ,', name: 'ai+china,finance', anyOf: [['ai', 'china'], ['finance']], key: 'ai+china,finance' },
  { why: 'writes equal queries with one key whatever their order', name: 'china+ai', anyOf: [['ai', 'china']], key: 'ai+china' },
  { why: 'orders alternatives too', name: 'finance,ai', anyOf: [['ai'], ['finance']], key: 'ai,finance' },
  { why: 'reads Chinese tags', name: '新能源+新闻', anyOf: [['新能源', '新闻']], key: '新能源+新闻' },
  { why: 'drops a repeated tag', name: 'ai+ai+china', anyOf: [['ai', 'china']], key: 'ai+china' },
  { why: 'leaves a plain tag to the regular tag feeds', name: 'ai', anyOf: undefined },
  { why: 'leaves a+a, which is the plain tag a, to the regular tag feeds', name: 'ai+ai', anyOf: undefined },
  { why: 'rejects an empty term', name: 'ai+', anyOf: undefined },
  { why: 'rejects an empty alternative', name: ',ai', anyOf: undefined },
  { why: 'rejects a term with spaces around it (a form-decoded plus)', name: 'ai china', anyOf: undefined },
  { why: 'rejects a term with spaces around it after a plus', name: 'ai+ china', anyOf: undefined },
  { why: 'rejects more than eight terms', name: 'a+b+c+d+e+f+g+h+i', anyOf: undefined },
];

describe('parseTagQuery', () => {
  for (const { why, name, anyOf, key } of parseRows) {
    it(why, () => {
      const query = parseTagQuery(name);
      expect(query?.anyOf).toEqual(anyOf);
      if (key) expect(query?.key).toBe(key);
    });
  }
});

describe('matchesTagQuery', () => {
  const both = parseTagQuery('ai+china')!;
  const either = parseTagQuery('ai,finance')!;
  it('needs every tag of a + query', () => {
    expect(matchesTagQuery(['新闻', 'china', 'ai'], both)).toBe(true);
    expect(matchesTagQuery(['ai'], both)).toBe(false);
  });
  it('needs one tag of a , query', () => {
    expect(matchesTagQuery(['finance'], either)).toBe(true);
    expect(matchesTagQuery(['china'], either)).toBe(false);
  });
  it('describes queries in words for feed descriptions', () => {
    expect(describeTagQuery(both)).toBe('ai and china');
    expect(describeTagQuery(either)).toBe('ai or finance');
    expect(describeTagQuery(parseTagQuery('ai+china,finance')!)).toBe('(ai and china) or finance');
  });
});
