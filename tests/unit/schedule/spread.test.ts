import { describe, expect, it } from 'vitest';
import { spreadOffset, spreadWindow } from '../../../src/schedule/spread.ts';

describe('spreadOffset', () => {
  it('spreads 500 sources on one schedule over the window, a handful per second at most', () => {
    const window = 300_000;
    const perSecond = new Map<number, number>();
    for (let i = 0; i < 500; i++) {
      const offset = spreadOffset(`source-${i}`, window);
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(window);
      const second = Math.floor(offset / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(8);
    expect(perSecond.size).toBeGreaterThan(200);
  });

  it('gives a source the same offset every time, so its server sees a regular client', () => {
    expect(spreadOffset('chinanews-scroll', 300_000)).toBe(spreadOffset('chinanews-scroll', 300_000));
    expect(spreadOffset('chinanews-scroll', 0)).toBe(0);
  });
});

describe('spreadWindow', () => {
  it('is the configured spread, capped at half the interval so one tick ends before the next', () => {
    expect(spreadWindow(300_000, 900)).toBe(300_000);
    expect(spreadWindow(300_000, 60)).toBe(30_000);
    expect(spreadWindow(0, 60)).toBe(0);
  });
});
