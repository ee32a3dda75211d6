import { describe, expect, it } from 'vitest';
import type { SourceState } from '../../../src/model.ts';
import { RETENTION_GRACE_MS, settleRetention, type RetentionSettings, type RetentionStates } from '../../../src/store/retention-changes.ts';

/** Source states and item counts as the store keeps them, in memory. */
class States implements RetentionStates {
  readonly states: Record<string, SourceState> = {};
  constructor(readonly counts: Record<string, number>) {}
  sourceState(id: string): SourceState {
    return this.states[id] ?? { id, consecutiveFailures: 0 };
  }
  sourceStates(): Record<string, SourceState> {
    return this.states;
  }
  setSourceState(state: SourceState): void {
    this.states[state.id] = state;
  }
  countOf(id: string): number {
    return this.counts[id] ?? 0;
  }
  countsBySource(): Map<string, number> {
    return new Map(Object.entries(this.counts));
  }
}

const T0 = new Date('2025-03-10T12:00:00.000Z');
const at = (hours: number) => new Date(T0.getTime() + hours * 3600_000);
const settings = (retention: Record<string, number> = {}, own?: Record<string, number>): RetentionSettings => ({
  retention: { maxItemsPerSource: 500, minItemsPerSource: 20, ...retention },
  sources: [{ id: 'wire', ...(own ? { retention: own } : {}) }],
});

/** A store whose "wire" source holds `count` items kept under `first` since T0. */
function recorded(first: RetentionSettings, count = 100): States {
  const states = new States({ wire: count });
  settleRetention(states, first, false, T0);
  return states;
}

describe('settleRetention', () => {
  it('applies a looser rule at once', () => {
    const states = recorded(settings());
    const settled = settleRetention(states, settings({ maxItemsPerSource: 1000 }), false, at(1));
    expect(settled.policy('wire')).toEqual({ maxItems: 1000, minItems: 20 });
    expect(settled.deferred).toEqual([]);
    expect(states.sourceState('wire').retention).toEqual({ rule: { maxItems: 1000, minItems: 20 }, since: at(1).toISOString() });
  });

  it('follows the looser limit of each kind while a mixed edit waits: more items, but a new age limit', () => {
    const states = recorded(settings());
    const settled = settleRetention(states, settings({ maxItemsPerSource: 1000, maxAgeDays: 7 }), false, at(1));
    expect(settled.policy('wire')).toEqual({ maxItems: 1000, minItems: 20 });
    expect(settled.deferred).toEqual([{
      sourceId: 'wire', from: { maxItems: 500, minItems: 20 }, to: { maxItems: 1000, maxAgeDays: 7, minItems: 20 },
      since: at(1).toISOString(), due: at(25).toISOString(),
    }]);
  });

  it('counts a lower minItemsPerSource as stricter', () => {
    const states = recorded(settings({ maxAgeDays: 30 }));
    const settled = settleRetention(states, settings({ maxAgeDays: 30, minItemsPerSource: 0 }), false, at(1));
    expect(settled.policy('wire')).toEqual({ maxItems: 500, maxAgeDays: 30, minItems: 20 });
    expect(settled.deferred).toHaveLength(1);
  });

  it('keeps the first day when the same stricter rule is read again, and starts a new one for another edit', () => {
    const states = recorded(settings());
    settleRetention(states, settings({ maxItemsPerSource: 300 }), false, at(1));
    const again = settleRetention(states, settings({ maxItemsPerSource: 300 }), false, at(10));
    expect(again.deferred).toEqual([]);
    expect(states.sourceState('wire').retention?.pending?.due).toBe(at(25).toISOString());
    const other = settleRetention(states, settings({ maxItemsPerSource: 200 }), false, at(20));
    expect(other.deferred.map((c) => c.due)).toEqual([at(44).toISOString()]);
    expect(settleRetention(states, settings({ maxItemsPerSource: 200 }), false, at(26)).policy('wire')).toEqual({ maxItems: 500, minItems: 20 });
    const due = settleRetention(states, settings({ maxItemsPerSource: 200 }), false, at(44));
    expect(due.applied.map((c) => c.to)).toEqual([{ maxItems: 200, minItems: 20 }]);
    expect(due.policy('wire')).toEqual({ maxItems: 200, minItems: 20 });
    expect(states.sourceState('wire').retention).toEqual({ rule: { maxItems: 200, minItems: 20 }, since: at(44).toISOString() });
  });

  it('withdraws the waiting rule when the edit is reverted', () => {
    const states = recorded(settings());
    settleRetention(states, settings({ maxItemsPerSource: 300 }), false, at(1));
    const reverted = settleRetention(states, settings(), false, at(2));
    expect(reverted.withdrawn.map((c) => c.to)).toEqual([{ maxItems: 300, minItems: 20 }]);
    expect(states.sourceState('wire').retention).toEqual({ rule: { maxItems: 500, minItems: 20 }, since: T0.toISOString() });
    expect(settleRetention(states, settings(), false, at(48)).policy('wire')).toEqual({ maxItems: 500, minItems: 20 });
  });

  it('keeps, at first sight, the items a source holds beyond its rule for a day (an edit made while stopped)', () => {
    const states = new States({ wire: 2000 });
    const settled = settleRetention(states, settings(), false, T0);
    expect(settled.policy('wire')).toEqual({ maxItems: 2000, minItems: 20 });
    expect(settled.deferred.map((c) => [c.to, c.due])).toEqual([[{ maxItems: 500, minItems: 20 }, new Date(T0.getTime() + RETENTION_GRACE_MS).toISOString()]]);
  });

  it('records nothing for a source that holds no item yet, whose first items arrive under the rule in force', () => {
    const states = new States({});
    expect(settleRetention(states, settings({}, { maxItemsPerSource: 10 }), false, T0).policy('wire')).toEqual({ maxItems: 10, minItems: 20 });
    expect(states.states).toEqual({});
  });

  it('waits a day before purging a source removed under --purge, and applies everything at once when told', () => {
    const states = recorded(settings());
    const removed: RetentionSettings = { retention: settings().retention, sources: [] };
    const settled = settleRetention(states, removed, true, at(1));
    expect(settled.policy('wire')).toEqual({ maxItems: 500, minItems: 20 });
    expect(settled.deferred.map((c) => c.to)).toEqual(['purge']);
    const now = settleRetention(states, removed, true, at(2), { immediately: true });
    expect(now.policy('wire')).toBe('purge');
    expect(now.applied.map((c) => [c.to, c.since])).toEqual([['purge', at(1).toISOString()]]);
    expect(states.sourceState('wire').retention).toBeUndefined();
  });

  it('forgets the record of a removed source that holds no item any more', () => {
    const states = recorded(settings());
    states.counts.wire = 0;
    settleRetention(states, { retention: settings().retention, sources: [] }, false, at(1));
    expect(states.sourceState('wire').retention).toBeUndefined();
  });
});
