// One source's write (WriteBatch) inside its transaction, in a few statements whatever the number of items: what a
// per-item loop would decide, decided for all the items at once.
//
// Dedupe is decided here, where it cannot race another instance (dedupe/merge.ts looked at candidates read before):
// - same source and key, and same id: the table's unique constraints (INSERT … ON CONFLICT DO NOTHING);
// - same canonical link from another source: the first item claims the link in tributary_story_links (its primary
//   key); an item that finds the link claimed by another source's item is that item's story and joins its alsoIn;
// - same title fingerprint from another source within the window: a transaction-scoped advisory lock per
//   fingerprint serializes the check and the insert between instances.
//
// The items are taken in groups where no two share a key, an id or a canonical link (one group for a feed's usual
// items): within a group no item's outcome depends on another's, so one statement per step serves the whole group
// and gives what a loop over the items in their order would. The changes are journalled in that order too.
import { createHash } from 'node:crypto';
import type { Item } from '../../model.ts';
import { feedHashOf, keepPage } from '../../normalize/page-content.ts';
import type { WriteBatch, WriteResult } from '../store-api.ts';
import { insertItems, ItemChanges, lockItems, type Client, type Tags } from './item-rows.ts';

/** Advisory lock namespace for title fingerprints (arbitrary, Tributary's). */
const FINGERPRINT_LOCK_SEED = 0x66707274;

// In one order in every instance (by the lock's key), so two writers never wait on each other in a circle.
const LOCK_FINGERPRINTS = `SELECT pg_advisory_xact_lock($1, h)
  FROM (SELECT DISTINCT hashtext(f) AS h FROM unnest($2::text[]) AS f ORDER BY 1) AS locks`;

// For each item, the first stored item of another source with its fingerprint within the window (locked).
const SAME_TITLE = `SELECT u.n, t.item
  FROM jsonb_to_recordset($1::jsonb) AS u(n int, fingerprint text, published timestamptz)
  CROSS JOIN LATERAL (
    SELECT item FROM tributary_items
     WHERE fingerprint = u.fingerprint AND source_id <> $2
       AND published BETWEEN u.published - $3 * interval '1 millisecond' AND u.published + $3 * interval '1 millisecond'
     ORDER BY first_seen, id LIMIT 1 FOR UPDATE) AS t`;

const LOCK_BY_SOURCE_KEY = `SELECT item FROM tributary_items
  WHERE (source_id, key) IN (SELECT * FROM unnest($1::text[], $2::text[])) FOR UPDATE`;

// Claimed in the links' order in every instance: two writers claiming the same links wait, never in a circle.
const CLAIM_LINKS = `INSERT INTO tributary_story_links (canonical_link, item_id)
  SELECT l, i FROM unnest($1::text[], $2::text[]) AS c(l, i) ORDER BY l
  ON CONFLICT DO NOTHING RETURNING canonical_link`;

const LINK_OWNERS = `SELECT l.canonical_link, i.item FROM tributary_story_links l JOIN tributary_items i ON i.id = l.item_id
  WHERE l.canonical_link = ANY($1::text[]) FOR UPDATE OF i`;

export const noTags: Tags = () => [];

/** Writes a source's new and updated items; the caller holds the transaction (and retries it after a deadlock). */
export async function writeBatch(client: Client, batch: WriteBatch): Promise<WriteResult> {
  const result: WriteResult = { added: [], updated: [], joined: [] };
  const rows = new ItemChanges(batch.tags ?? noTags);
  const fingerprints = unique(batch.added.map((i) => i.fingerprint));
  if (fingerprints.length > 0) await client.query({ name: 'tributary-lock-fingerprints', text: LOCK_FINGERPRINTS, values: [FINGERPRINT_LOCK_SEED, fingerprints] });
  for (const group of groupsWithoutClashes(batch.added)) await addGroup(client, batch, group, rows, result);
  const locked = await lockItems(client, unique(batch.updated.map((i) => i.id)).filter((id) => !rows.known(id)));
  for (const next of batch.updated) {
    const before = rows.known(next.id) ?? locked.get(next.id);
    // Dropped by retention in another instance since dedupe looked: nothing to update.
    if (before) result.updated.push(rows.replaced(rows.current(before), next));
  }
  await rows.flush(client);
  return result;
}

/** New items no two of which share a key, an id or a canonical link. */
async function addGroup(client: Client, batch: WriteBatch, group: readonly Item[], rows: ItemChanges, result: WriteResult): Promise<void> {
  const tags = batch.tags ?? noTags;
  const sameTitle = await storedSameTitle(client, batch, group);
  const fresh = group.filter((i) => !sameTitle.has(i));
  const inserted = await insertItems(client, fresh, tags);
  const refused = fresh.filter((i) => !inserted.has(i.id));
  const sameKey = await lockBySourceKey(client, refused);
  // The id is taken by another item (another source's guid that is the same IRI): a distinct id, as merge does.
  const renamed = new Map(refused.filter((i) => !sameKey.has(sourceKey(i))).map((i) => [i, { ...i, id: distinctId(i) }]));
  const reinserted = await insertItems(client, [...renamed.values()], tags);
  const stored = new Map<Item, Item>();
  for (const item of fresh) {
    if (inserted.has(item.id)) stored.set(item, item);
    const other = renamed.get(item);
    if (other && reinserted.has(other.id)) stored.set(item, other);
  }
  const owners = await claimLinks(client, [...stored.values()]);
  // Another source's item has this link: the same story, so this one is not stored.
  const lost = [...stored.values()].filter((i) => i.canonicalLink && owners.get(i.canonicalLink) && owners.get(i.canonicalLink)!.sourceId !== i.sourceId);
  if (lost.length > 0) await client.query({ name: 'tributary-delete-items', text: 'DELETE FROM tributary_items WHERE id = ANY($1::text[])', values: [lost.map((i) => i.id)] });

  for (const item of group) {
    const title = sameTitle.get(item);
    if (title) {
      joinStory(rows, rows.current(title), batch.sourceId);
      result.joined.push({ sourceItem: item, storedId: title.id });
      continue;
    }
    const kept = stored.get(item);
    if (!kept) {
      // Another instance stored this very item since dedupe looked: an update if what a reader sees differs.
      // An item whose content is its page's article (fullText) is compared as its feed gave it, and keeps the article.
      const read = sameKey.get(sourceKey(item));
      const current = read && rows.current(read);
      if (current && feedHashOf(current) !== item.hash) {
        result.updated.push(rows.replaced(current, keepPage(current, { ...item, id: current.id, firstSeen: current.firstSeen })));
      }
      continue;
    }
    if (lost.includes(kept)) {
      const owner = rows.current(owners.get(kept.canonicalLink!)!);
      joinStory(rows, owner, batch.sourceId);
      result.joined.push({ sourceItem: kept, storedId: owner.id });
      continue;
    }
    result.added.push(rows.added(kept));
  }
}

/** For each item with a fingerprint, another source's stored item of that title within the window (locked). */
async function storedSameTitle(client: Client, batch: WriteBatch, group: readonly Item[]): Promise<Map<Item, Item>> {
  const titled = group.filter((i) => i.fingerprint);
  if (titled.length === 0) return new Map();
  const { rows } = await client.query<{ n: number; item: Item }>({
    name: 'tributary-same-title', text: SAME_TITLE,
    values: [JSON.stringify(titled.map((i, n) => ({ n, fingerprint: i.fingerprint, published: i.published }))), batch.sourceId, batch.titleWindowMs],
  });
  return new Map(rows.map((r) => [titled[r.n]!, r.item]));
}

/** The stored items with these items' source and key, locked, by sourceKey(). */
async function lockBySourceKey(client: Client, items: readonly Item[]): Promise<Map<string, Item>> {
  if (items.length === 0) return new Map();
  const { rows } = await client.query<{ item: Item }>({
    name: 'tributary-lock-source-keys', text: LOCK_BY_SOURCE_KEY, values: [items.map((i) => i.sourceId), items.map((i) => i.key)],
  });
  return new Map(rows.map((r) => [sourceKey(r.item), r.item]));
}

/**
 * Claims the canonical links of these newly stored items; returns the item (locked) of each link that was already
 * claimed: another source's item is the same story, and an item of the same source keeps its own row.
 */
async function claimLinks(client: Client, items: readonly Item[]): Promise<Map<string, Item>> {
  const linked = items.filter((i) => i.canonicalLink);
  if (linked.length === 0) return new Map();
  const claimed = await client.query<{ canonical_link: string }>({
    name: 'tributary-claim-links', text: CLAIM_LINKS, values: [linked.map((i) => i.canonicalLink), linked.map((i) => i.id)],
  });
  const mine = new Set(claimed.rows.map((r) => r.canonical_link));
  const taken = linked.filter((i) => !mine.has(i.canonicalLink!)).map((i) => i.canonicalLink!);
  if (taken.length === 0) return new Map();
  const owners = await client.query<{ canonical_link: string; item: Item }>({ name: 'tributary-link-owners', text: LINK_OWNERS, values: [taken] });
  return new Map(owners.rows.map((r) => [r.canonical_link, r.item]));
}

/** Adds a source to a stored item's alsoIn (the same story, carried by another source). */
function joinStory(rows: ItemChanges, stored: Item, sourceId: string): void {
  if (stored.sourceId === sourceId || stored.alsoIn.includes(sourceId)) return;
  rows.replaced(stored, { ...stored, alsoIn: [...stored.alsoIn, sourceId].sort() });
}

/**
 * The items in their order, cut where an item shares a key, an id or a canonical link with an earlier item of the
 * same group: such an item's outcome depends on the earlier one's, so it waits for the next group.
 */
function groupsWithoutClashes(items: readonly Item[]): Item[][] {
  const groups: Item[][] = [];
  let group: Item[] = [];
  let seen = new Set<string>();
  for (const item of items) {
    const marks = [`k\u0000${sourceKey(item)}`, `i\u0000${item.id}`, ...(item.canonicalLink ? [`l\u0000${item.canonicalLink}`] : [])];
    if (marks.some((m) => seen.has(m))) {
      groups.push(group);
      group = [];
      seen = new Set();
    }
    group.push(item);
    for (const m of marks) seen.add(m);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

function sourceKey(item: Item): string {
  return `${item.sourceId}\u0000${item.key}`;
}

function distinctId(item: Item): string {
  return `${item.id}#${item.key.length}-${createHash('sha1').update(item.key).digest('hex').slice(0, 8)}`;
}

export function unique(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== ''))];
}
