// Rule tags are computed at render time from (item, rules), never stored: a new config re-tags every stored
// item on the next render by itself. Matching costs an HTML-to-text pass and a scan per pattern, so the
// result is cached per item hash (the hash covers every field rules read) for one rules version.
import { createHash } from 'node:crypto';
import type { TagRule } from '../config/types.ts';
import type { Item } from '../model.ts';
import { itemFields } from './item-text.ts';
import { compileRules, coversSource, judgeRules, type CompiledRule } from './match-rules.ts';

/** The tags rules give an item, in rule order. */
export type RuleTags = (item: Item) => readonly string[];

const NONE: readonly string[] = Object.freeze([]);

export class RuleTagger {
  /** hash of the rules; equal rules give equal versions */
  readonly version: string;
  readonly #rules: CompiledRule[];
  // Two generations: entries used since the last endPass() survive the next one, the rest are dropped,
  // so items pruned from the store do not stay in memory.
  #current = new Map<string, readonly number[]>();
  #previous = new Map<string, readonly number[]>();
  #matched = 0;

  constructor(rules: readonly TagRule[]) {
    this.version = rulesVersion(rules);
    this.#rules = compileRules(rules);
  }

  /** Bound to the instance, so it can be handed around as a plain function. */
  readonly tagsOf: RuleTags = (item) => {
    if (this.#rules.length === 0) return NONE;
    const hits = this.#hitsOf(item);
    if (hits.length === 0) return NONE;
    const tags: string[] = [];
    for (const index of hits) {
      const rule = this.#rules[index]!;
      if (coversSource(rule, item) && !tags.includes(rule.tag)) tags.push(rule.tag);
    }
    return tags;
  };

  /** How many items were matched against the rules (cache misses) since this tagger was made. */
  get matchedCount(): number {
    return this.#matched;
  }

  /** Ends a render pass: cache entries not used during the last two passes are dropped. */
  endPass(): void {
    this.#previous = this.#current;
    this.#current = new Map();
  }

  #hitsOf(item: Item): readonly number[] {
    let hits = this.#current.get(item.hash);
    if (hits) return hits;
    hits = this.#previous.get(item.hash);
    if (!hits) {
      this.#matched++;
      hits = judgeRules(itemFields(item), this.#rules).filter((v) => !v.excludedBy).map((v) => v.rule);
    }
    this.#current.set(item.hash, hits);
    return hits;
  }
}

/** Keeps the tagger of the rules in force; a config with other rules gets a new one (and an empty cache). */
export class RuleTagging {
  #tagger: RuleTagger | undefined;

  forRules(rules: readonly TagRule[]): RuleTagger {
    if (!this.#tagger || this.#tagger.version !== rulesVersion(rules)) this.#tagger = new RuleTagger(rules);
    return this.#tagger;
  }
}

export function rulesVersion(rules: readonly TagRule[]): string {
  return createHash('sha1').update(JSON.stringify(rules)).digest('base64url');
}
