// LoopPacer spreads steps that many callbacks start at once over turns of the event loop (a cycle's first fetches
// held it 30-56 ms in one piece). Counted in loop turns, not timed: a busy machine makes each step take longer in
// wall time, so fewer of them fit a turn, never more.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LoopPacer, SLICE_MS } from '../../../src/store/slices.ts';
import { cpuClockOf, ownThreadId } from '../../../src/workers/thread-time.ts';

/** Holds the thread `ms` (a request's setup, a document's post-processing). */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/** Starts `count` steps of `stepMs` at once, each after pacer.turn() when given; the loop turn each ran in. */
async function turnsOfSteps(count: number, stepMs: number, pacer?: LoopPacer): Promise<number[]> {
  let turn = 0;
  let ticking = true;
  void (async () => {
    while (ticking) {
      await nextTurn();
      turn += 1;
    }
  })();
  const ranIn: number[] = [];
  await Promise.all(Array.from({ length: count }, async () => {
    await pacer?.turn();
    ranIn.push(turn);
    busy(stepMs);
  }));
  ticking = false;
  return ranIn;
}

function mostInOneTurn(turns: number[]): number {
  const counts = new Map<number, number>();
  for (const t of turns) counts.set(t, (counts.get(t) ?? 0) + 1);
  return Math.max(...counts.values());
}

describe('LoopPacer', () => {
  it('lets no more steps into one turn of the loop than fit SLICE_MS, and runs every step', async () => {
    const stepMs = 2;
    const paced = await turnsOfSteps(40, stepMs, new LoopPacer());
    expect(paced).toHaveLength(40);
    // A step starts while the slice has run less than SLICE_MS: at most SLICE_MS / stepMs + 1 of them.
    expect(mostInOneTurn(paced)).toBeLessThanOrEqual(SLICE_MS / stepMs + 1);
    // Without it, all 40 run in one turn.
    expect(mostInOneTurn(await turnsOfSteps(40, stepMs))).toBe(40);
  });

  it('keeps steps that fit one slice together', async () => {
    // On the thread's CPU clock: in wall time, the 1.5 ms of these steps outlast a slice whenever the thread waits
    // 6.5 ms for a core in the middle of them (it did in a full run beside work at a higher priority).
    // (Wall time where a thread's CPU time cannot be read: read-worker.ts picks its parser's clock the same way.)
    const tid = ownThreadId();
    const paced = await turnsOfSteps(3, 0.5, new LoopPacer(tid === undefined ? undefined : cpuClockOf(tid)));
    expect(mostInOneTurn(paced)).toBe(3);
  });
});
