import { describe, expect, it } from 'vitest';
import { BACKOFF_MAX_MS, isDue, nextAttemptAfterFailure } from '../../../src/schedule/backoff.ts';

const NOW = new Date('2025-03-10T12:00:00.000Z');
const minutes = (d: Date) => (d.getTime() - NOW.getTime()) / 60_000;

describe('nextAttemptAfterFailure', () => {
  it.each([
    [1, 1], [2, 2], [3, 4], [4, 8], [5, 16], [10, 512], [11, 1024], [12, 1440], [40, 1440],
  ])('waits %i failures -> %i minutes without jitter', (failures, expected) => {
    expect(minutes(nextAttemptAfterFailure(failures, NOW, undefined, () => 0))).toBe(expected);
  });

  it('adds up to a quarter at random, and never passes 24 hours', () => {
    expect(minutes(nextAttemptAfterFailure(3, NOW, undefined, () => 0.999999))).toBeCloseTo(5, 3);
    expect(minutes(nextAttemptAfterFailure(3, NOW, undefined, () => 0.5))).toBe(4.5);
    expect(nextAttemptAfterFailure(12, NOW, undefined, () => 0.999).getTime() - NOW.getTime()).toBe(BACKOFF_MAX_MS);
  });

  it('waits for a later Retry-After, and ignores an earlier one', () => {
    const later = new Date('2025-03-10T13:00:00.000Z');
    expect(nextAttemptAfterFailure(1, NOW, later, () => 0)).toEqual(later);
    const sooner = new Date('2025-03-10T12:00:30.000Z');
    expect(minutes(nextAttemptAfterFailure(1, NOW, sooner, () => 0))).toBe(1);
  });
});

describe('isDue', () => {
  it('is due without a nextFetch, or once it has come', () => {
    expect(isDue(undefined, NOW)).toBe(true);
    expect(isDue('2025-03-10T12:00:00.000Z', NOW)).toBe(true);
    expect(isDue('2025-03-10T12:00:00.001Z', NOW)).toBe(false);
  });
});
