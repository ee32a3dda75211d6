// Which tag rules an item's text satisfies, and why. Pure; tagger.ts caches the result per item.
import type { TagRule } from '../config/types.ts';
import type { Item } from '../model.ts';
import { foldText, type MatchField } from './fold.ts';
import { compilePattern, type Pattern } from './pattern.ts';

export interface CompiledRule {
  /** position in the config's rules list */
  index: number;
  tag: string;
  match: Pattern[];
  /** folded category names that give the tag by themselves */
  categories: ReadonlySet<string>;
  exclude: Pattern[];
  /** only items carried by one of these sources get the tag; undefined: any source */
  sources?: ReadonlySet<string>;
}

/** Where a pattern was found. */
export interface Evidence {
  field: MatchField['name'];
  pattern: string;
  matched: string;
}

export interface RuleVerdict {
  rule: number;
  tag: string;
  /** what gave the tag: a match or category entry */
  hit: Evidence;
  /** what took it back: an exclude entry */
  excludedBy?: Evidence;
}

/** Compiles every pattern; the config was validated at load, so a PatternError here is a bug. */
export function compileRules(rules: readonly TagRule[]): CompiledRule[] {
  return rules.map((rule, index) => ({
    index,
    tag: rule.tag,
    match: rule.match.map(compilePattern),
    categories: new Set(rule.categories.map(foldText)),
    exclude: rule.exclude.map(compilePattern),
    ...(rule.sources ? { sources: new Set(rule.sources) } : {}),
  }));
}

/** The verdict of every rule whose match or categories hit the fields, excluded or not; sources aside. */
export function judgeRules(fields: readonly MatchField[], rules: readonly CompiledRule[]): RuleVerdict[] {
  const verdicts: RuleVerdict[] = [];
  for (const rule of rules) {
    const hit = firstHit(fields, rule.match) ?? categoryHit(fields, rule.categories);
    if (!hit) continue;
    const excludedBy = firstHit(fields, rule.exclude);
    verdicts.push({ rule: rule.index, tag: rule.tag, hit, ...(excludedBy ? { excludedBy } : {}) });
  }
  return verdicts;
}

/** Whether a rule limited to some sources covers this item: its own source or any that also carried it. */
export function coversSource(rule: CompiledRule, item: Pick<Item, 'sourceId' | 'alsoIn'>): boolean {
  if (!rule.sources) return true;
  return rule.sources.has(item.sourceId) || item.alsoIn.some((id) => rule.sources!.has(id));
}

export function firstHit(fields: readonly MatchField[], patterns: readonly Pattern[]): Evidence | undefined {
  for (const pattern of patterns) {
    for (const field of fields) {
      const matched = pattern.find(field);
      if (matched !== undefined) return { field: field.name, pattern: pattern.source, matched };
    }
  }
  return undefined;
}

function categoryHit(fields: readonly MatchField[], categories: ReadonlySet<string>): Evidence | undefined {
  if (categories.size === 0) return undefined;
  for (const field of fields) {
    if (field.name === 'category' && categories.has(field.folded)) {
      return { field: 'category', pattern: `category ${field.text}`, matched: field.text };
    }
  }
  return undefined;
}
