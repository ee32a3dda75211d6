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

interface Entry {
  /** indices of the rules whose text test the item passes, sources aside */
  hits: readonly number[];
  /** the tags, when none of those rules is limited to some sources (then they hold for any item) */
  tags?: readonly string[];
  /** the pass in which the entry was last used */
  pass: number;
}

export class RuleTagger {
  /** hash of the rules; equal rules give equal versions */
  readonly version: string;
  readonly #rules: CompiledRule[];
  readonly #cache = new Map<string, Entry>();
  #pass = 0;
  #matched = 0;

  constructor(rules: readonly TagRule[]) {
    this.version = rulesVersion(rules);
    this.#rules = compileRules(rules);
  }

  /** Bound to the instance, so it can be handed around as a plain function. */
  readonly tagsOf: RuleTags = (item) => {
    if (this.#rules.length === 0) return NONE;
    const entry = this.#entryOf(item);
    if (entry.tags) return entry.tags;
    const tags: string[] = [];
    for (const index of entry.hits) {
      const rule = this.#rules[index]!;
      if (coversSource(rule, item) && !tags.includes(rule.tag)) tags.push(rule.tag);
    }
    return tags;
  };

  /** How many items were matched against the rules (cache misses) since this tagger was made. */
  get matchedCount(): number {
    return this.#matched;
  }

  /**
   * Ends a render pass: entries used neither during this pass nor the one before are dropped, so items
   * pruned from the store do not stay in memory, while an item a render skipped is not matched again.
   */
  endPass(): void {
    for (const [hash, entry] of this.#cache) if (entry.pass < this.#pass - 1) this.#cache.delete(hash);
    this.#pass++;
  }

  #entryOf(item: Item): Entry {
    // An item without a content hash (a failing source's outage item) has no key to be cached under: one per
    // failing source, matched each time.
    const cached = item.hash ? this.#cache.get(item.hash) : undefined;
    if (cached) {
      cached.pass = this.#pass;
      return cached;
    }
    this.#matched++;
    const hits = judgeRules(itemFields(item), this.#rules).filter((v) => !v.excludedBy).map((v) => v.rule);
    const entry: Entry = { hits, pass: this.#pass };
    if (hits.every((index) => !this.#rules[index]!.sources)) {
      entry.tags = hits.length === 0 ? NONE : Object.freeze([...new Set(hits.map((index) => this.#rules[index]!.tag))]);
    }
    if (item.hash) this.#cache.set(item.hash, entry);
    return entry;
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
