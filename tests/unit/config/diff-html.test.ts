import { describe, expect, it } from 'vitest';
import { diffSources } from '../../../src/config/diff.ts';
import { parseConfig } from '../../../src/config/load.ts';

const config = (select: string[], extra: string[] = []) => parseConfig(['sources:',
  '  - id: feed', '    url: https://a.example/feed.xml', ...extra,
  '  - id: page', '    type: html', '    url: https://portal.example.cn/news/', '    select:', ...select.map((l) => `      ${l}`)].join('\n'), 'sources.yaml');

describe('diffSources: a page read differently is fetched again, without validators', () => {
  const before = config(['item: "ul.latest li"', 'title: a']);

  it.each([
    ['a changed item selector', config(['item: "ul.news li"', 'title: a']), ['page']],
    ['an added date selector', config(['item: "ul.latest li"', 'title: a', 'date: .time']), ['page']],
    ['the same selectors', config(['item: "ul.latest li"', 'title: a']), []],
    ['a change elsewhere', config(['item: "ul.latest li"', 'title: a'], ['    tags: [x]']), []],
  ])('%s', (_why, after, reread) => {
    const changes = diffSources(before, after);
    expect(changes.reread).toEqual(reread);
    expect(changes.fetchNow).toEqual(reread);
  });
});
