import { describe, expect, it } from 'vitest';
import { filterItems } from '../../../src/render/filter-pass.ts';
import { compileTextPattern } from '../../../src/render/item-filter.ts';
import { sampleItem } from '../../helpers/sample-items.ts';
import { plain } from '../../helpers/plain-text.ts';

const items = [
  sampleItem(4, { title: plain('Summit ends with CLIMATE pledge'), summary: '<p>Leaders &amp; ministers agree</p>' }),
  sampleItem(3, { title: plain('Football: cup final tonight'), summary: '<p>Sport <b>news</b></p>' }),
  sampleItem(2, { title: plain('新能源汽车3月销量创新高'), summary: undefined, content: '<p>中国汽车工业协会</p>' }),
  sampleItem(1, { title: plain('Markets rally'), summary: '<p>Rates hold; <a href="https://x.example/climate">link</a></p>' }),
];
const titles = (list: typeof items) => list.map((i) => i.title);

describe('filter and filterout', () => {
  it.each([
    { filter: 'climate', expected: ['Summit ends with CLIMATE pledge'] },
    { filter: 'MINISTERS', expected: ['Summit ends with CLIMATE pledge'] },
    // Entities are decoded and tags dropped before matching: the reader's text, not the markup.
    { filter: 'leaders & ministers', expected: ['Summit ends with CLIMATE pledge'] },
    { filter: 'href', expected: [] },
    { filter: '汽车', expected: ['新能源汽车3月销量创新高'] },
    { filter: '/^(summit|markets)/', expected: ['Summit ends with CLIMATE pledge', 'Markets rally'] },
    { filter: '/\\d+月/', expected: ['新能源汽车3月销量创新高'] },
    { filterout: '/sport|football/', expected: ['Summit ends with CLIMATE pledge', '新能源汽车3月销量创新高', 'Markets rally'] },
    { filter: 'a', filterout: 'rally', expected: ['Summit ends with CLIMATE pledge', 'Football: cup final tonight'] },
  ])('keeps $expected for filter=$filter filterout=$filterout', async ({ filter, filterout, expected }) => {
    const kept = await filterItems(items, {
      ...(filter ? { filter: compileTextPattern('filter', filter) } : {}),
      ...(filterout ? { filterout: compileTextPattern('filterout', filterout) } : {}),
    });
    expect(titles(kept)).toEqual(expected);
  });

  it('runs a pattern that backtracks catastrophically elsewhere in linear time', async () => {
    const evil = compileTextPattern('filter', '/(a+)+$/');
    const victim = sampleItem(9, { title: plain(`${'a'.repeat(3000)}!`), summary: '<p>aaa!</p>' });
    expect(await filterItems([victim, ...items], { filter: evil })).toEqual([]);
  });
});
