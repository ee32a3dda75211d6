import { describe, expect, it } from 'vitest';
import { chooseKeyMode, keyItems, type KeyMode } from '../../../src/dedupe/source-key.ts';
import type { Item } from '../../../src/model.ts';
import { plain } from '../../helpers/plain-text.ts';

function item(n: number, fields: { guid?: string; link?: string; date?: string; title?: string }): Item {
  const published = fields.date ?? '2025-03-10T10:00:00.000Z';
  return {
    id: `i${n}`, sourceId: 's', key: fields.guid !== undefined ? `g:${fields.guid}` : fields.link ? `l:${fields.link}` : `h:${n}`,
    title: plain(fields.title ?? `T${n}`), link: fields.link ?? 'https://s.example/', ...(fields.link ? { canonicalLink: fields.link } : {}),
    published, updated: published, firstSeen: published, categories: [], enclosures: [], alsoIn: [], hash: `${n}`,
  };
}
const many = (n: number, f: (i: number) => Parameters<typeof item>[1]) => Array.from({ length: n }, (_, i) => item(i, f(i)));

const ROWS: [string, Item[], KeyMode, KeyMode][] = [
  ['distinct guids stay on guid', many(20, (i) => ({ guid: `g${i}`, link: `https://s.example/${i}` })), 'guid', 'guid'],
  ['exactly 5% bad stays on guid', many(20, (i) => ({ guid: i === 0 ? undefined : `g${i}`, link: `https://s.example/${i}` })), 'guid', 'guid'],
  ['10% blank guids move to link', many(20, (i) => ({ guid: i < 2 ? undefined : `g${i}`, link: `https://s.example/${i}` })), 'guid', 'link'],
  ['repeated guids move to link', many(20, (i) => ({ guid: 'same', link: `https://s.example/${i}` })), 'guid', 'link'],
  ['repeated links move to link+date', many(20, (i) => ({ link: 'https://s.example/', date: `2025-03-10T${String(i).padStart(2, '0')}:00:00.000Z` })), 'guid', 'link+date'],
  ['repeated links and dates move to link+date+title', many(20, () => ({ link: 'https://s.example/' })), 'guid', 'link+date+title'],
  ['a remembered mode never goes back', many(20, (i) => ({ guid: `g${i}`, link: `https://s.example/${i}` })), 'link', 'link'],
  ['an empty fetch changes nothing', [], 'guid', 'guid'],
  // A link-keyed source gains one entry with a guid but no link: that entry keeps its guid key, nothing moves.
  ['a linkless entry with a guid keeps a link-keyed source on link',
    [...many(3, (i) => ({ link: `https://s.example/${i}` })), item(9, { guid: 'cn-new-1' })], 'link', 'link'],
  // A page's sidebar repeating the main story is the same entry twice, which merge keeps once.
  ['the same entry listed twice is not a repeated key',
    [...many(5, (i) => ({ link: `https://s.example/${i}` })), item(0, { link: 'https://s.example/0' })], 'link', 'link'],
];

describe('chooseKeyMode', () => {
  it.each(ROWS)('%s', (_name, items, current, expected) => {
    expect(chooseKeyMode(items, current).mode).toBe(expected);
  });

  it('reports the share that made it switch', () => {
    expect(chooseKeyMode(many(10, (i) => ({ guid: i < 5 ? 'x' : `g${i}`, link: `https://s.example/${i}` })), 'guid').switchedFrom).toEqual({ mode: 'guid', badShare: 0.4 });
  });

  it('gives re-keyed items distinct keys and tag: ids', () => {
    const keyed = keyItems(many(3, (i) => ({ guid: 'same', link: `https://s.example/${i}` })), 'link', { idAuthority: 'x.example', sourceId: 's', now: new Date('2025-03-10T00:00:00Z') });
    expect(new Set(keyed.map((i) => i.key)).size).toBe(3);
    expect(keyed.every((i) => i.id.startsWith('tag:x.example,2025-03-10:s/'))).toBe(true);
  });
});
