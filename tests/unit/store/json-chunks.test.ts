import { describe, expect, it } from 'vitest';
import { jsonChunks } from '../../../src/store/json-chunks.ts';

const item = (n: number) => ({ id: `tag:example.org,2025:s/${n}`, title: `新闻 ${n} "quoted" \\ \u2028`, categories: ['a', 'b'], alsoIn: [], extra: undefined });

describe('jsonChunks', () => {
  it.each([
    ['a store of 2,500 items (25 pieces)', { version: 2, generation: 7, items: Array.from({ length: 2500 }, (_, n) => item(n)), savedAt: '2025-03-09T12:00:00.000Z' }],
    ['an array of exactly one piece', { items: Array.from({ length: 100 }, (_, n) => n) }],
    ['an array one past a piece', { items: Array.from({ length: 101 }, (_, n) => n) }],
    ['members JSON leaves out, holes and undefined elements', { a: undefined, f: () => 1, s: Symbol('x'), items: [...Array.from({ length: 1500 }, () => undefined), null, 1], z: null }],
    ['a nested date and a key needing escapes', { 'k"ey': new Date(0), nested: { items: Array.from({ length: 1200 }, (_, n) => n) } }],
    ['an empty object', {}],
    ['a top-level array', Array.from({ length: 2000 }, (_, n) => n)],
    ['a string', 'text'],
    ['null', null],
    ['a value with toJSON', { toJSON: () => ({ replaced: true }), items: [1] }],
  ])('joins to exactly what JSON.stringify gives: %s', (_name, value) => {
    expect([...jsonChunks(value)].join('')).toBe(JSON.stringify(value));
  });

  it('never holds a big array in one piece', () => {
    const pieces = [...jsonChunks({ items: Array.from({ length: 5000 }, (_, n) => item(n)) })];
    const whole = pieces.join('').length;
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(whole / 4);
  });
});
