// A config edit never deletes stored items at once. The rule each source's items are kept under is recorded in the
// source's state (data/sources.json, so it survives a restart). When the config asks for a stricter one — a lower
// maxItemsPerSource or maxAgeDays, a per-source override gone, a source removed (the global rule, or --purge) —
// pruning follows the looser of the two for RETENTION_GRACE_MS and only then the new one. A file saved half-way, a
// typo, an edit reverted within the day so lose nothing, and no key of an item they would have dropped enters the
// pruned-key memory (which would keep it from ever coming back). A looser rule applies at once, and items arriving
// are limited by the rule in force as always.
import type { RetentionRecord, RetentionRule, SourceState } from '../model.ts';
import { retentionPolicy, type RetentionPolicy } from './retention.ts';
import { runAtOnce, type Steps } from './slices.ts';

/** How long a stricter rule waits: a day, so an edit noticed the next morning can still be reverted. */
export const RETENTION_GRACE_MS = 24 * 3600_000;

/** Where the records live: the store's source states, and its item counts. */
export interface RetentionStates {
  sourceState(id: string): SourceState;
  sourceStates(): Record<string, SourceState>;
  setSourceState(state: SourceState): void;
  countOf(sourceId: string): number;
  countsBySource(): Map<string, number>;
}

/** The parts of the config retention reads. */
export interface RetentionSettings {
  retention: { maxItemsPerSource: number; maxAgeDays?: number; minItemsPerSource?: number };
  sources: { id: string; retention?: { maxItemsPerSource?: number; maxAgeDays?: number; minItemsPerSource?: number } }[];
}

/** A stricter rule waiting (or, in `applied`, just come into force), for the log and /status. */
export interface RetentionChange {
  sourceId: string;
  /** the rule in force until `due` */
  from: RetentionRule;
  to: RetentionRule | 'purge';
  /** when the config first asked for `to` */
  since: string;
  /** when `to` takes effect */
  due: string;
}

export interface SettledRetention {
  /** the rules to admit new items and prune by, now */
  policy: RetentionPolicy;
  /** stricter rules the config asks for since this call, waiting */
  deferred: RetentionChange[];
  /** waiting rules now in force: their time came, or `immediately` */
  applied: RetentionChange[];
  /** waiting rules the config no longer asks for (the edit was reverted, or loosened) */
  withdrawn: RetentionChange[];
}

export interface SettleOptions {
  /** apply every stricter rule now instead of waiting (tributary prune --now) */
  immediately?: boolean;
}

/**
 * Compares each source's recorded rule with the one the config asks for, records what changed in its state and
 * returns the rules to follow now. Run before a cycle admits items and prunes, after it (to record the rule of a
 * source's first items), and when the config changes (so /status shows a waiting rule at once).
 */
export function settleRetention(states: RetentionStates, settings: RetentionSettings, purge: boolean, now: Date, options: SettleOptions = {}): SettledRetention {
  return runAtOnce(settleRetentionSteps(states, settings, purge, now, options));
}

/**
 * settleRetention() as Steps (store/slices.ts): a cycle settles every source's rule twice, and with 1,000 sources
 * each took 20–35 ms of the serving thread, so the service settles them between requests.
 */
export function* settleRetentionSteps(states: RetentionStates, settings: RetentionSettings, purge: boolean, now: Date, options: SettleOptions = {}): Steps<SettledRetention> {
  const wanted = retentionPolicy(settings.retention, settings.sources, purge);
  const unpurged = retentionPolicy(settings.retention, settings.sources, false);
  const configured = new Set(settings.sources.map((s) => s.id));
  const recorded = Object.values(states.sourceStates()).filter((s) => s.retention).map((s) => s.id);
  const ids = new Set([...configured, ...states.countsBySource().keys(), ...recorded]);
  const effective = new Map<string, RetentionRule | 'purge'>();
  const result: SettledRetention = { policy: (id) => effective.get(id) ?? wanted(id), deferred: [], applied: [], withdrawn: [] };
  let n = 0;
  for (const id of ids) {
    if (++n % 64 === 0) yield;
    const state = states.sourceState(id);
    const count = states.countOf(id);
    // Nothing stored and never recorded: its first items arrive under the rule in force, like any new items.
    if (count === 0 && !state.retention) continue;
    const settled = count === 0 && !configured.has(id)
      ? { effective: wanted(id) }
      : settleSource(id, state.retention, wanted(id), unpurged(id) as RetentionRule, count, now, options.immediately ?? false);
    effective.set(id, settled.effective);
    if (settled.event) result[settled.event.kind].push(settled.event.change);
    if (JSON.stringify(settled.record) !== JSON.stringify(state.retention)) {
      const { retention: _old, ...rest } = state;
      states.setSourceState(settled.record ? { ...rest, retention: settled.record } : rest);
    }
  }
  return result;
}

/** The stricter rules waiting, soonest first. */
export function pendingRetention(states: Record<string, SourceState>): RetentionChange[] {
  return Object.values(states).flatMap((s) => (s.retention?.pending ? [changeOf(s.id, s.retention)] : []))
    .sort((a, b) => (a.due < b.due ? -1 : a.due > b.due ? 1 : 0));
}

/** "maxItems 500, maxAgeDays 30, minItems 20", or "purge": a rule as the log and prune --now print it. */
export function describeRule(rule: RetentionRule | 'purge'): string {
  if (rule === 'purge') return 'purge (no longer configured, --purge)';
  return [`maxItems ${rule.maxItems}`, ...(rule.maxAgeDays !== undefined ? [`maxAgeDays ${rule.maxAgeDays}`] : []), `minItems ${rule.minItems ?? 0}`].join(', ');
}

interface SettledSource {
  record?: RetentionRecord;
  effective: RetentionRule | 'purge';
  event?: { kind: 'deferred' | 'applied' | 'withdrawn'; change: RetentionChange };
}

function settleSource(id: string, record: RetentionRecord | undefined, wanted: RetentionRule | 'purge', unpurged: RetentionRule, count: number, at: Date, immediately: boolean): SettledSource {
  const now = at.toISOString();
  // First sight (a store written before these records, or a source's first items): the items were kept under a
  // rule at least as loose as "all of them", so even an edit made while the service was stopped waits.
  const base = wanted === 'purge' ? unpurged : wanted;
  const seen: RetentionRecord = record ?? { rule: count > base.maxItems ? { ...base, maxItems: count } : base, since: now };
  const inForce: RetentionRecord = { rule: seen.rule, since: seen.since };
  if (wanted !== 'purge' && isAsLoose(wanted, seen.rule)) {
    const withdrawn = seen.pending ? { kind: 'withdrawn' as const, change: changeOf(id, seen) } : undefined;
    return { record: sameRule(wanted, seen.rule) ? inForce : { rule: wanted, since: now }, effective: wanted, ...(withdrawn ? { event: withdrawn } : {}) };
  }
  const kept = seen.pending && sameTarget(seen.pending.rule, wanted) ? seen.pending : undefined;
  const pending = kept ?? { rule: wanted, since: now, due: new Date(at.getTime() + RETENTION_GRACE_MS).toISOString() };
  if (immediately || at.getTime() >= Date.parse(pending.due)) {
    const applied = { kind: 'applied' as const, change: changeOf(id, { ...inForce, pending }) };
    if (wanted === 'purge') return { effective: 'purge', event: applied };
    return { record: { rule: wanted, since: immediately ? now : pending.due }, effective: wanted, event: applied };
  }
  const waiting = { ...inForce, pending };
  return {
    record: waiting,
    effective: wanted === 'purge' ? seen.rule : loosest(seen.rule, wanted),
    ...(kept ? {} : { event: { kind: 'deferred' as const, change: changeOf(id, waiting) } }),
  };
}

function changeOf(sourceId: string, record: RetentionRecord): RetentionChange {
  const { rule, since, due } = record.pending!;
  return { sourceId, from: record.rule, to: rule, since, due };
}

const ageOf = (rule: RetentionRule) => rule.maxAgeDays ?? Infinity;
const minOf = (rule: RetentionRule) => rule.minItems ?? 0;

/** Whether `a` keeps every item `b` keeps, whatever the items: no limit of it is tighter. */
function isAsLoose(a: RetentionRule, b: RetentionRule): boolean {
  return a.maxItems >= b.maxItems && ageOf(a) >= ageOf(b) && minOf(a) >= minOf(b);
}

function sameRule(a: RetentionRule, b: RetentionRule): boolean {
  return isAsLoose(a, b) && isAsLoose(b, a);
}

function sameTarget(a: RetentionRule | 'purge', b: RetentionRule | 'purge'): boolean {
  return a === 'purge' || b === 'purge' ? a === b : sameRule(a, b);
}

/** The rule that keeps what either keeps. */
function loosest(a: RetentionRule, b: RetentionRule): RetentionRule {
  const maxAgeDays = Math.max(ageOf(a), ageOf(b));
  const minItems = Math.max(minOf(a), minOf(b));
  return { maxItems: Math.max(a.maxItems, b.maxItems), ...(Number.isFinite(maxAgeDays) ? { maxAgeDays } : {}), ...(minItems > 0 ? { minItems } : {}) };
}
