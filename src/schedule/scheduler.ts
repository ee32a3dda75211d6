import cron, { type ScheduledTask } from 'node-cron';

export interface ScheduledSource {
  id: string;
  schedule: string;
}

export interface SchedulerOptions {
  /** spread of each run, in ms, so sources on one schedule do not all fire in the same second */
  jitterMs?: number;
  timezone?: string;
}

export interface ScheduleHandle {
  stop(): Promise<void>;
}

/**
 * One cron task per distinct schedule; each run reports the ids of the sources due. Knows nothing of HTTP:
 * the caller decides what "due" means (it may coalesce, back off, or skip).
 */
export function scheduleSources(
  sources: ScheduledSource[],
  onDue: (ids: string[]) => void,
  options: SchedulerOptions = {},
): ScheduleHandle {
  const bySchedule = new Map<string, string[]>();
  for (const s of sources) bySchedule.set(s.schedule, [...(bySchedule.get(s.schedule) ?? []), s.id]);
  const tasks: ScheduledTask[] = [];
  for (const [expression, ids] of bySchedule) {
    tasks.push(cron.schedule(expression, () => onDue(ids), {
      name: `fetch ${expression}`,
      noOverlap: true,
      // A run missed while the event loop was busy (a big parse) still happens, up to 30 s late.
      missedExecutionTolerance: 30_000,
      suppressMissedWarning: true,
      maxRandomDelay: options.jitterMs ?? 0,
      ...(options.timezone ? { timezone: options.timezone } : {}),
    }));
  }
  return {
    async stop() {
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
