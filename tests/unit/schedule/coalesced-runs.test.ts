import { describe, expect, it } from 'vitest';
import { CoalescedRuns } from '../../../src/schedule/coalesced-runs.ts';

/** A task that runs until released, counting its runs. */
function gatedTask() {
  const gates: (() => void)[] = [];
  let runs = 0;
  const task = () => new Promise<void>((resolve) => { runs++; gates.push(resolve); });
  return { task, runs: () => runs, release: () => gates.shift()?.() };
}

describe('CoalescedRuns', () => {
  it('folds every call made during a run into one more run after it', async () => {
    const t = gatedTask();
    const runs = new CoalescedRuns(t.task, () => false);
    const first = runs.run();
    const asked = [runs.run(), runs.run(), runs.run()];
    expect(t.runs()).toBe(1);
    t.release();
    await Promise.all([first, ...asked]);
    await Promise.resolve();
    expect(t.runs()).toBe(2);
    expect(runs.running).toBeDefined();
    t.release();
    await runs.running;
    expect(runs.running).toBeUndefined();
    expect(t.runs()).toBe(2);
  });

  it('starts no further run once stopped', async () => {
    const t = gatedTask();
    let stopped = false;
    const runs = new CoalescedRuns(t.task, () => stopped);
    const first = runs.run();
    void runs.run();
    stopped = true;
    t.release();
    await first;
    await Promise.resolve();
    expect(t.runs()).toBe(1);
    expect(runs.running).toBeUndefined();
  });
});
