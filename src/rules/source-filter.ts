// A source's `filter`: items it leaves out are dropped between normalize and dedupe, so they are never
// stored. Pure.
import type { SourceFilter } from '../config/types.ts';
import type { Item } from '../model.ts';
import { itemFields } from './item-text.ts';
import { compilePattern, type Pattern } from './pattern.ts';
import { firstHit, type Evidence } from './match-rules.ts';

export interface CompiledFilter {
  include: Pattern[];
  exclude: Pattern[];
}

export type FilterVerdict =
  | { kept: true; includedBy?: Evidence }
  | { kept: false; reason: 'not-included' }
  | { kept: false; reason: 'excluded'; excludedBy: Evidence };

export function compileFilter(filter: SourceFilter): CompiledFilter {
  return { include: filter.include.map(compilePattern), exclude: filter.exclude.map(compilePattern) };
}

/** With `include`, an item must match one of its entries; then no `exclude` entry may match. */
export function judgeFilter(item: Item, filter: CompiledFilter): FilterVerdict {
  const fields = itemFields(item);
  let includedBy: Evidence | undefined;
  if (filter.include.length > 0) {
    includedBy = firstHit(fields, filter.include);
    if (!includedBy) return { kept: false, reason: 'not-included' };
  }
  const excludedBy = firstHit(fields, filter.exclude);
  if (excludedBy) return { kept: false, reason: 'excluded', excludedBy };
  return includedBy ? { kept: true, includedBy } : { kept: true };
}

/** The items a source's filter keeps, in order; all of them when it has none. */
export function applySourceFilter(items: Item[], filter: SourceFilter | undefined): Item[] {
  if (!filter) return items;
  const compiled = compileFilter(filter);
  return items.filter((item) => judgeFilter(item, compiled).kept);
}
