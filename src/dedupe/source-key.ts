// Which dedupe key a source gets. Most feeds give every entry its own guid; some CMSs leave it blank or print
// the same one everywhere ("article", the site's URL), which would fold a whole feed into one item. When more
// than 5% of one fetch's items have a blank or repeated key, the source moves to the next key in KEY_MODES, and
// stays there (a key that changes back and forth would make stored items look new).
import { createHash } from 'node:crypto';
import type { Item } from '../model.ts';
import { tagUri } from '../normalize/item-hashes.ts';

/** guid: the source's guid, else its canonical link, else a hash of title and date (the default) */
export const KEY_MODES = ['guid', 'link', 'link+date', 'link+date+title'] as const;
export type KeyMode = (typeof KEY_MODES)[number];

/** share of blank or repeated keys in one fetch above which the next mode is tried */
export const MAX_BAD_KEY_SHARE = 0.05;

export interface KeyChoice {
  mode: KeyMode;
  /** set when the mode changed: the mode left and the share of its keys that were blank or repeated */
  switchedFrom?: { mode: KeyMode; badShare: number };
}

/** The mode for this fetch's items: the current one, or the first later one whose keys are good enough. */
export function chooseKeyMode(items: readonly Item[], current: KeyMode): KeyChoice {
  let index = Math.max(0, KEY_MODES.indexOf(current));
  const first = badKeyShare(items, KEY_MODES[index]!);
  let share = first;
  while (share > MAX_BAD_KEY_SHARE && index < KEY_MODES.length - 1) share = badKeyShare(items, KEY_MODES[++index]!);
  const mode = KEY_MODES[index]!;
  return mode === current ? { mode } : { mode, switchedFrom: { mode: current, badShare: first } };
}

export interface SourceKeying {
  choice: KeyChoice;
  /** the items under the chosen key, ids following it */
  keyed: Item[];
  /** MergeOptions.linkIsIdentity: a link tells items apart only while the key is a guid or the link itself */
  linkIsIdentity: boolean;
}

/**
 * One fetch's items keyed as they will be stored: the mode chosen from the source's current one, the items
 * re-keyed under it. The service (ingest.ts) and `inspect` (cli/inspect-document.ts) both go through here, so
 * inspect shows what the service stores. A page list (`type: html`) has no guids: its items are keyed, and
 * identified, by their canonical link by design, and never switch.
 */
export function keyForSource(items: readonly Item[], current: KeyMode, ctx: { idAuthority: string; sourceId: string; now: Date; isPage?: boolean }): SourceKeying {
  const choice: KeyChoice = ctx.isPage ? { mode: 'guid' } : chooseKeyMode(items, current);
  return { choice, keyed: keyItems(items, choice.mode, ctx), linkIsIdentity: choice.mode === 'guid' || choice.mode === 'link' };
}

/** Items re-keyed for a mode other than guid; their ids follow the key (a repeated guid cannot be an id). */
export function keyItems(items: readonly Item[], mode: KeyMode, ctx: { idAuthority: string; sourceId: string; now: Date }): Item[] {
  if (mode === 'guid') return [...items];
  return items.map((item) => {
    const key = keyOf(item, mode) ?? item.key;
    return { ...item, key, id: tagUri(ctx, key) };
  });
}

/** An item's key under a mode (its own key when the mode has nothing to build one from). */
export function keyUnder(item: Item, mode: KeyMode): string {
  return mode === 'guid' ? item.key : keyOf(item, mode) ?? item.key;
}

function badKeyShare(all: readonly Item[], mode: KeyMode): number {
  // The same entry listed twice (same key, link and title) is one item, which merge keeps once; only
  // different items sharing a key make the key unusable.
  const items = [...new Map(all.map((item) => [`${item.key}\n${item.canonicalLink ?? ''}\n${item.title}`, item])).values()];
  if (items.length === 0) return 0;
  const seen = new Set<string>();
  let bad = 0;
  for (const item of items) {
    const key = keyOf(item, mode);
    if (key === undefined || seen.has(key)) bad++;
    else seen.add(key);
  }
  return bad / items.length;
}

/** An item's key under a mode, or undefined when the item has nothing to build it from (blank). */
function keyOf(item: Item, mode: KeyMode): string | undefined {
  // The canonical link has its tracking parameters removed already, so utm_* never makes a key differ.
  const link = item.canonicalLink ?? '';
  // An undated item's date is the fetch time, which must not enter a key.
  const date = item.undated ? '' : item.published;
  switch (mode) {
    case 'guid':
      return item.key.startsWith('g:') ? item.key : undefined;
    case 'link':
      // An entry without a link keeps its guid key: one such entry must not force every item onto a new key.
      return link ? `l:${link}` : item.key.startsWith('g:') ? item.key : undefined;
    case 'link+date':
      return link || date ? `ld:${digest(`${link}\n${date}`)}` : undefined;
    case 'link+date+title':
      return `ldt:${digest(`${link}\n${date}\n${item.title}`)}`;
  }
}

function digest(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 24);
}
