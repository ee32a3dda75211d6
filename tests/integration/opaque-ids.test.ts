// Atom ids and RSS guids are opaque (RFC 4287 §4.2.6.1): a new item keeps its id exactly as the feed gives it,
// while an item stored by an earlier version under the normalized form of that id keeps the stored id and is
// not served again as new. A real embedded store on disk, the ingest's read and store halves.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeItems } from '../../src/dedupe/merge.ts';
import type { Item } from '../../src/model.ts';
import { TRACKING_PARAMS } from '../../src/normalize/urls.ts';
import { readDocument } from '../../src/read-document.ts';
import { EmbeddedBackend } from '../../src/store/embedded-backend.ts';
import type { StoreBackend } from '../../src/store/store-api.ts';

const WINDOW = 48 * 3600_000;
const dirs: string[] = [];
const open: StoreBackend[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const atom = (entries: string) => `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Ids</title><id>urn:x</id>${entries}</feed>`;
const entry = (id: string, title: string) => `<entry><id>${id}</id><title>${title}</title><link href="https://ids.example/${encodeURIComponent(title)}"/><updated>2025-03-01T10:00:00Z</updated></entry>`;

async function read(text: string, now: Date): Promise<Item[]> {
  const ctx = { sourceId: 'ids', url: 'https://ids.example/feed', documentUrl: 'https://ids.example/feed', timezone: 'UTC', now, idAuthority: 'tributary.test', trackingParams: TRACKING_PARAMS };
  return (await readDocument(text, ctx)).items;
}

async function ingest(store: StoreBackend, fresh: Item[], now: Date) {
  const changes = mergeItems(await store.candidates('ids', fresh), 'ids', fresh, now, { titleWindowMs: WINDOW });
  await store.write({ sourceId: 'ids', added: changes.added, updated: changes.updated, titleWindowMs: WINDOW });
  return changes;
}

describe('opaque ids across the change', () => {
  it('stores a new id exactly as given and keeps an old-style stored id, without repeats', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-ids-'));
    dirs.push(dir);
    const store = await EmbeddedBackend.open(dir);
    open.push(store);
    // What earlier versions stored for <id>http://www.EXAMPLE.org/thing</id>: the key as given, the id normalized.
    const first = new Date('2025-03-01T12:00:00Z');
    const [old] = await read(atom(entry('http://www.EXAMPLE.org/thing', 'Thing')), first);
    const oldStyle = { ...old!, id: new URL('http://www.EXAMPLE.org/thing').href };
    expect(oldStyle.id).toBe('http://www.example.org/thing');
    await ingest(store, [oldStyle], first);

    // The feed again, the old entry edited, and a new entry whose id has an upper-case scheme and host.
    const later = new Date('2025-03-02T12:00:00Z');
    const fresh = await read(atom(entry('http://www.EXAMPLE.org/thing', 'Thing, edited') + entry('HTTP://www.EXAMPLE.org/other', 'Other')), later);
    const changes = await ingest(store, fresh, later);
    expect(changes.added.map((i) => i.id)).toEqual(['HTTP://www.EXAMPLE.org/other']);
    expect(changes.updated.map((i) => i.id)).toEqual(['http://www.example.org/thing']);
    expect(await store.count()).toBe(2);
    expect((await store.item('http://www.example.org/thing'))?.title).toBe('Thing, edited');
    expect((await store.item('HTTP://www.EXAMPLE.org/other'))?.title).toBe('Other');

    // And read a third time, unchanged: nothing is new, nothing updated.
    const again = await ingest(store, await read(atom(entry('http://www.EXAMPLE.org/thing', 'Thing, edited') + entry('HTTP://www.EXAMPLE.org/other', 'Other')), later), later);
    expect([again.added.length, again.updated.length, again.unchanged]).toEqual([0, 0, 2]);
  });
});
