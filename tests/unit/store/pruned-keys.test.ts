import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/model.ts';
import { MAX_PRUNED_KEYS, PRUNED_KEY_DAYS, rememberPruned, withoutPruned } from '../../../src/store/pruned-keys.ts';
import { plain } from '../../helpers/plain-text.ts';

const NOW = new Date('2025-03-10T12:00:00.000Z');
const DAY = 86_400_000;
const item = (key: string): Item => ({
  id: key, sourceId: 's', key, title: plain(key), link: 'https://s.example/', published: NOW.toISOString(), updated: NOW.toISOString(),
  firstSeen: NOW.toISOString(), categories: [], enclosures: [], alsoIn: [], hash: '',
});

describe('pruned keys', () => {
  it('leaves out listed items that were pruned and keeps the others', () => {
    const keys = rememberPruned(undefined, [item('g:1')], NOW);
    const result = withoutPruned(keys, [item('g:1'), item('g:2')], NOW);
    expect(result.kept.map((i) => i.key)).toEqual(['g:2']);
    expect(result.skipped).toBe(1);
  });

  it('stores a short hash, not the key itself', () => {
    const keys = rememberPruned(undefined, [item(`l:https://s.example/${'x'.repeat(500)}`)], NOW)!;
    expect(Object.keys(keys)[0]!.length).toBe(16);
  });

  it(`forgets a key ${PRUNED_KEY_DAYS} days after it was last listed, not while it is listed`, () => {
    let keys = rememberPruned(undefined, [item('g:1')], NOW);
    keys = withoutPruned(keys, [item('g:1')], new Date(NOW.getTime() + 60 * DAY)).keys;
    expect(withoutPruned(keys, [], new Date(NOW.getTime() + (60 + PRUNED_KEY_DAYS - 1) * DAY)).keys).toBeDefined();
    expect(withoutPruned(keys, [], new Date(NOW.getTime() + (60 + PRUNED_KEY_DAYS + 1) * DAY)).keys).toBeUndefined();
  });

  it(`keeps at most ${MAX_PRUNED_KEYS} keys, dropping those listed longest ago`, () => {
    const old = rememberPruned(undefined, [item('g:oldest')], new Date(NOW.getTime() - DAY));
    const many = Array.from({ length: MAX_PRUNED_KEYS }, (_, i) => item(`g:${i}`));
    const keys = rememberPruned(old, many, NOW)!;
    expect(Object.keys(keys)).toHaveLength(MAX_PRUNED_KEYS);
    expect(withoutPruned(keys, [item('g:oldest')], NOW).kept).toHaveLength(1);
  });
});
