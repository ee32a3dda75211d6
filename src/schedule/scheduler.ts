import cron, { type ScheduledTask } from 'node-cron';
import { spreadOffset, spreadWindow } from './spread.ts';

export interface ScheduledSource {
  id: string;
  schedule: string;
}

export interface SchedulerOptions {
  /**
   * spread of each tick, in ms: every source gets a stable offset within it (capped at half the schedule's
   * interval), so sources on one schedule do not all fire in the same second
   */
  spreadMs?: number;
  timezone?: string;
}

export interface ScheduleHandle {
  stop(): Promise<void>;
}

/**
 * One cron task per distinct schedule; on each tick every source of it is reported due at its own offset.
 * Knows nothing of HTTP: the caller decides what "due" means (it may coalesce, back off, or skip).
 */
export function scheduleSources(
  sources: ScheduledSource[],
  onDue: (ids: string[]) => void,
  options: SchedulerOptions = {},
): ScheduleHandle {
  const bySchedule = new Map<string, string[]>();
  for (const s of sources) bySchedule.set(s.schedule, [...(bySchedule.get(s.schedule) ?? []), s.id]);
  const tasks: ScheduledTask[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, ids: string[]) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      onDue(ids);
    }, ms);
    timers.add(timer);
  };
  for (const [expression, ids] of bySchedule) {
    const window = spreadWindow(options.spreadMs ?? 0, shortestInterval(expression));
    // Sources sharing an offset (to the second) are reported together, so the caller can fetch them in one cycle.
    const byOffset = new Map<number, string[]>();
    for (const id of ids) {
      const offset = Math.floor(spreadOffset(id, window) / 1000) * 1000;
      byOffset.set(offset, [...(byOffset.get(offset) ?? []), id]);
    }
    tasks.push(cron.schedule(expression, () => {
      for (const [offset, due] of byOffset) later(offset, due);
    }, {
      name: `fetch ${expression}`,
      noOverlap: true,
      // A run missed while the event loop was busy (a big parse) still happens, up to 30 s late.
      missedExecutionTolerance: 30_000,
      suppressMissedWarning: true,
      ...(options.timezone ? { timezone: options.timezone } : {}),
    }));
  }
  return {
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all(tasks.map(async (t) => {
        await t.stop();
        await t.destroy();
      }));
    },
  };
}

/** Shortest interval between two runs of a cron expression, in seconds (sampled over the next runs). */
export function shortestInterval(expression: string): number {
  const task = cron.createTask(expression, () => {});
  try {
    const runs = task.getNextRuns(6).map((d) => d.getTime());
    let shortest = Infinity;
    for (let i = 1; i < runs.length; i++) shortest = Math.min(shortest, (runs[i]! - runs[i - 1]!) / 1000);
    return Number.isFinite(shortest) ? shortest : 3600;
  } finally {
    void task.destroy();
  }
}

/** The next run of a cron expression after `after` (the shared store's fetch leases are due then). */
export function nextRun(expression: string, after: Date): Date {
  const task = cron.createTask(expression, () => {});
  try {
    // The first run is the one asked for unless `after` is ahead of the clock; each run costs a search (day by day
    // for a monthly or yearly expression), so the next 8 are computed only then.
    for (const count of [1, 8]) {
      const next = task.getNextRuns(count).find((d) => d.getTime() > after.getTime());
      if (next) return next;
    }
    return new Date(after.getTime() + shortestInterval(expression) * 1000);
  } finally {
    void task.destroy();
  }
}
