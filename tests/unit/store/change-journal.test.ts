import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/model.ts';
import { ChangeJournal } from '../../../src/store/change-journal.ts';

const story = (n: number) => ({ id: `s${n}` }) as unknown as Item;

describe('ChangeJournal', () => {
  it('tells the changes after a revision once, and none from before what it forgot', () => {
    const journal = new ChangeJournal();
    journal.record(1, { after: story(1) });
    journal.record(2, { after: story(2) });
    journal.record(2, { before: story(1), after: story(3) });
    expect(journal.since(0, 2)!.map((c) => c.after!.id)).toEqual(['s1', 's2', 's3']);
    // read up to 1: what revision 1 made is dropped, revision 2's are still told
    expect(journal.since(1, 2)!.map((c) => c.after!.id)).toEqual(['s2', 's3']);
    // a revision older than the last one asked about, or one not made yet, cannot be told
    expect(journal.since(0, 2)).toBeNull();
    expect(journal.since(3, 2)).toBeNull();
    journal.forget(2);
    expect(journal.since(1, 2)).toBeNull();
    expect(journal.since(2, 2)).toEqual([]);
  });

  it('past 100,000 changes, the overflowing revision is told to no reader and later ones are', () => {
    const journal = new ChangeJournal();
    for (let n = 0; n < 100_000; n++) journal.record(1, { after: story(n) });
    expect(journal.since(0, 1)).toHaveLength(100_000);
    // revision 2 overflows: every change of it is dropped, a reader at 1 or before must read every item again
    for (let n = 0; n < 100_001; n++) journal.record(2, { after: story(n) });
    expect(journal.since(1, 2)).toBeNull();
    journal.record(3, { after: story(7) });
    expect(journal.since(2, 3)!.map((c) => c.after!.id)).toEqual(['s7']);
  });
});
