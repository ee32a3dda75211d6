// Why an item gets the tags it gets: the source's tags, then each rule with the word that matched, and the
// rules that matched but did not apply. For `tributary inspect --rules`. Pure.
import type { Item } from '../model.ts';
import { itemFields } from './item-text.ts';
import { coversSource, judgeRules, type CompiledRule, type Evidence } from './match-rules.ts';
import { judgeFilter, type CompiledFilter, type FilterVerdict } from './source-filter.ts';

export type TagReason =
  | { tag: string; source: string }
  | ({ tag: string; rule: string } & Evidence);

export type UntaggedReason =
  | { tag: string; rule: string; hit: Evidence; excludedBy: Evidence }
  | { tag: string; rule: string; hit: Evidence; onlyFor: string[] };

export interface ItemExplanation {
  title: string;
  link: string;
  /** every tag the item would carry, in feed order; none when the source filter drops it */
  tags: string[];
  why: TagReason[];
  /** rules whose words occur in the item but that do not tag it, and why not */
  notTagged: UntaggedReason[];
  /** absent when the source has no filter */
  filter?: FilterVerdict;
}

export interface ExplainContext {
  rules: readonly CompiledRule[];
  /** the configured source the item comes from, if any */
  source?: { id: string; tags: readonly string[]; filter?: CompiledFilter };
}

export function explainItem(item: Item, ctx: ExplainContext): ItemExplanation {
  const out: ItemExplanation = { title: item.title, link: item.link, tags: [], why: [], notTagged: [] };
  if (ctx.source?.filter) {
    out.filter = judgeFilter(item, ctx.source.filter);
    if (!out.filter.kept) return out;
  }
  for (const tag of ctx.source?.tags ?? []) {
    out.why.push({ tag, source: ctx.source!.id });
    if (!out.tags.includes(tag)) out.tags.push(tag);
  }
  for (const verdict of judgeRules(itemFields(item), ctx.rules)) {
    const rule = ctx.rules[verdict.rule]!;
    const name = `rules.${verdict.rule}`;
    const hit = verdict.hit;
    if (verdict.excludedBy) {
      out.notTagged.push({ tag: rule.tag, rule: name, hit, excludedBy: verdict.excludedBy });
    } else if (!coversSource(rule, item)) {
      out.notTagged.push({ tag: rule.tag, rule: name, hit, onlyFor: [...rule.sources!] });
    } else {
      out.why.push({ tag: rule.tag, rule: name, ...hit });
      if (!out.tags.includes(rule.tag)) out.tags.push(rule.tag);
    }
  }
  return out;
}
