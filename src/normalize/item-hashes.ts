// The hashes an item is known by: its tag: id when the source gives no permanent one, and the hash of what a reader
// sees. Apart from normalize-item.ts, because the serving thread's dedupe (dedupe/merge.ts, dedupe/source-key.ts)
// needs them, and importing them from there loaded sanitize-html and the date parsers on a thread that normalizes
// nothing (the read workers do).
import { createHash } from 'node:crypto';
import type { Item } from '../model.ts';
import type { NormalizeContext } from './normalize-item.ts';

/** A tag: URI (RFC 4151) for an item the source gives no permanent id: the day it was first seen, its source, a hash of its key. */
export function tagUri(ctx: Pick<NormalizeContext, 'idAuthority' | 'sourceId' | 'now'>, key: string): string {
  const day = ctx.now.toISOString().slice(0, 10);
  return `tag:${ctx.idAuthority},${day}:${ctx.sourceId}/${sha1(key).slice(0, 24)}`;
}

/** Hash of what a reader sees; when it changes, the stored item is updated. */
export function contentHash(item: Omit<Item, 'hash'> | Item): string {
  // An undated item's dates are the fetch time: they must not make every fetch look like an edit.
  const dates = item.undated || item.relativeDate ? [] : [item.published, item.updated];
  // Fields added after the first release join only when present, so items stored before keep their hash.
  const later = item.language ? [item.language] : [];
  return sha1(JSON.stringify([item.title, item.link, item.summary ?? '', item.content ?? '', item.author ?? null,
    item.categories, item.enclosures, ...dates, ...later])).slice(0, 24);
}

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
