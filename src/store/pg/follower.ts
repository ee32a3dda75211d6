// RenderedFollower keeps every published document in memory (serving never queries the database) and follows the
// changes the renderer publishes (rendered.ts): LISTEN for the notification, plus a periodic check for what a dropped
// connection missed. A check costs one query of names and revisions; bodies are read only for documents whose
// revision moved. Each document is held gzip-compressed only, as the renderer published it (rendered.ts): at 1,000
// sources the uncompressed bodies were most of an instance's memory, and each instance compressing every document
// again cost as many times the renderer's compression (a row written before the store published gzip is compressed
// on receipt). What serves them (shared-site.ts) makes a body again from
// the gzip form when a reader asks for one. The renderer's own instance reads none of its render back: the renderer
// hands its follower each document it writes (LocalDocuments), and the follower takes it once the database shows
// it published.
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { boundGarbage } from '../../memory/garbage.ts';
import { CoalescedRuns } from '../../schedule/coalesced-runs.ts';
import { PgListener } from './listener.ts';
import { compressed, RENDERED_CHANNEL, type PublishedDoc, type SharedDoc } from './rendered.ts';

/**
 * A published document as a follower holds it: its gzip form (zlib's default level, the bytes a reader asking for
 * gzip is sent) and the length of its body. `body` is made again on each read, and kept by nothing here.
 */
export interface HeldDoc extends SharedDoc, PublishedDoc {
  readonly gzip: Buffer;
  readonly bytes: number;
}

/**
 * Documents read (and their bodies held) at a time by a follower. Each body arrives as a hex string of twice its
 * size, with the socket's buffers under it: a new instance reading ~4,200 documents peaked 25 MiB higher reading
 * them 100 at a time than 25 at a time.
 */
const READ_BATCH = 25;

/**
 * Documents compressed at once. libuv's thread pool runs four at a time anyway; every one started holds its zlib
 * state (~260 KiB) and its body until it ends, and a batch of 100 started at once took 30-40 MiB of the C heap,
 * which malloc keeps after they are freed.
 */
const GZIP_AT_ONCE = 4;

/** `work` on each of `items`, `atOnce` at a time, results in order. */
async function inTurns<T, R>(items: readonly T[], atOnce: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await work(items[at]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, items.length) }, worker));
  return results;
}

function held(doc: PublishedDoc): HeldDoc {
  const { etag, contentType, lastModified, gzip, bytes } = doc;
  return {
    etag, contentType, lastModified, gzip, bytes,
    get body() {
      return gunzipSync(gzip);
    },
  };
}

export interface FollowerOptions {
  url: string;
  /** the periodic check behind LISTEN/NOTIFY (ms; default 30 s) */
  checkEveryMs?: number;
  /** after a lost connection, the wait before connecting again (ms; default 1 s, doubling up to 30 s) */
  reconnectMs?: number;
  /** called after each change of the documents held, with the names that changed or went */
  onChange?: (names: string[], revision: number) => void;
  /** a problem that does not stop serving: the last documents stay served */
  warn?: (message: string, err?: unknown) => void;
}

/**
 * Where the renderer hands the documents it writes to its own process's follower (RenderedFollower), so that the
 * follower holds them without reading its own render back from the database.
 */
export interface LocalDocuments {
  /** `doc` was written as `name` into publication `revision`, not yet committed */
  offer(name: string, doc: PublishedDoc | SharedDoc, revision: number): Promise<void>;
  /** publication `revision` was abandoned: forget what was offered for it */
  withdraw(revision: number): void;
}

/** Every published document, in memory, kept up to date by LISTEN/NOTIFY and a periodic check. */
export class RenderedFollower implements LocalDocuments {
  readonly #o: Required<Omit<FollowerOptions, 'onChange'>> & Pick<FollowerOptions, 'onChange'>;
  readonly #docs = new Map<string, { doc: HeldDoc; revision: number }>();
  /**
   * Documents this process's renderer wrote, compressed as they came: a refresh takes one instead of reading it when
   * the database shows it at that revision with that ETag. Reading a render back cost the renderer's instance ~4,000
   * bodies after a cycle that touched every feed, each arriving from `pg` as a hex string twice its size (garbage
   * that only a full collection frees): most of that instance's peak.
   */
  readonly #offered = new Map<string, { doc: HeldDoc; revision: number }>();
  #revision = 0;
  readonly #listener: PgListener;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #refreshes = new CoalescedRuns(() => this.#refreshOnce(), () => this.#closed);

  private constructor(options: FollowerOptions) {
    this.#o = { checkEveryMs: 30_000, reconnectMs: 1_000, warn: () => {}, ...options };
    this.#listener = new PgListener({
      url: this.#o.url, channel: RENDERED_CHANNEL, name: 'tributary listener', reconnectMs: this.#o.reconnectMs, warn: this.#o.warn,
      onNotify: (payload) => {
        if (Number(payload) > this.#revision) void this.refresh();
      },
      onReconnect: () => void this.refresh(),
    });
  }

  /** Connects, loads every document, and follows changes from then on. */
  static async open(options: FollowerOptions): Promise<RenderedFollower> {
    const follower = new RenderedFollower(options);
    await follower.#listener.connect();
    await follower.refresh();
    follower.#timer = setInterval(() => void follower.refresh(), follower.#o.checkEveryMs);
    follower.#timer.unref();
    return follower;
  }

  /** the newest revision of the documents held */
  get revision(): number {
    return this.#revision;
  }

  get size(): number {
    return this.#docs.size;
  }

  /** whether the LISTEN connection is up (when not, the periodic check still brings changes) */
  get listening(): boolean {
    return this.#listener.listening;
  }

  /** The document published as `name`: the same object until its revision moves. */
  get(name: string): HeldDoc | undefined {
    return this.#docs.get(name)?.doc;
  }

  /** Bytes of the documents held (their gzip forms), and of their bodies, which are not held. */
  heldBytes(): { held: number; bodies: number } {
    let heldBytes = 0;
    let bodies = 0;
    for (const { doc } of this.#docs.values()) {
      heldBytes += doc.gzip.length;
      bodies += doc.bytes;
    }
    return { held: heldBytes, bodies };
  }

  names(): string[] {
    return [...this.#docs.keys()];
  }

  async offer(name: string, doc: PublishedDoc | SharedDoc, revision: number): Promise<void> {
    const published = 'gzip' in doc ? doc : await compressed(doc);
    // As a read from the database gives it (timestamptz keeps the second), so every instance sends the same header.
    const lastModified = new Date(doc.lastModified).toUTCString();
    this.#offered.set(name, { doc: held({ ...published, lastModified }), revision });
  }

  withdraw(revision: number): void {
    for (const [name, offered] of this.#offered) if (offered.revision === revision) this.#offered.delete(name);
  }

  /** Brings the documents up to date with the database; concurrent calls share one pass (and one more after it). */
  refresh(): Promise<void> {
    return this.#refreshes.run();
  }

  async #refreshOnce(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#o.url, application_name: 'tributary follower' });
    client.on('error', () => {});
    try {
      await client.connect();
      // One snapshot for every query below, so that reading in batches never mixes two renders.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { rows } = await client.query<{ name: string; revision: string; etag: string }>('SELECT name, revision, etag FROM tributary_rendered');
      const now = new Map(rows.map((r) => [r.name, Number(r.revision)]));
      const fresh: { name: string; doc: HeldDoc; revision: number }[] = [];
      const stale: string[] = [];
      for (const r of rows) {
        const revision = Number(r.revision);
        if ((this.#docs.get(r.name)?.revision ?? -1) === revision) continue;
        const offered = this.#offered.get(r.name);
        if (offered?.revision === revision && offered.doc.etag === r.etag) fresh.push({ name: r.name, ...offered });
        else stale.push(r.name);
      }
      // What was offered is published now, or was overtaken by a later publication.
      let newest = 0;
      for (const revision of now.values()) newest = Math.max(newest, revision);
      for (const [name, offered] of this.#offered) if (offered.revision <= newest) this.#offered.delete(name);
      // Read and compressed a batch at a time, so that the bodies of every document (the first read of a new
      // instance) are never in memory at once; gzip runs on libuv's threads, not the one serving requests.
      for (let at = 0; at < stale.length; at += READ_BATCH) {
        const { rows: batch } = await client.query<{
          name: string; etag: string; content_type: string; last_modified: Date; body: Buffer | null; gzip: Buffer | null; size: number | null; revision: string;
        }>(
          'SELECT name, etag, content_type, last_modified, body, gzip, size, revision FROM tributary_rendered WHERE name = ANY($1::text[])',
          [stale.slice(at, at + READ_BATCH)],
        );
        fresh.push(...await inTurns(batch, GZIP_AT_ONCE, async (r) => {
          const fields = { etag: r.etag, contentType: r.content_type, lastModified: r.last_modified.toUTCString() };
          const doc = r.gzip ? held({ ...fields, gzip: r.gzip, bytes: r.size ?? 0 }) : held({ ...await compressed({ ...fields, body: r.body! }), ...fields });
          return { name: r.name, doc, revision: Number(r.revision) };
        }));
        // Each document came as a hex string twice its size: garbage that only a full collection frees.
        boundGarbage();
      }
      await client.query('COMMIT');
      const gone = [...this.#docs.keys()].filter((name) => !now.has(name));
      // Applied all at once, after every query: a request never sees half of a render.
      for (const name of gone) this.#docs.delete(name);
      for (const { name, doc, revision } of fresh) this.#docs.set(name, { doc, revision });
      for (const revision of now.values()) this.#revision = Math.max(this.#revision, revision);
      const changed = [...fresh.map((r) => r.name), ...gone];
      if (changed.length > 0) this.#o.onChange?.(changed, this.#revision);
    } catch (err) {
      this.#o.warn('could not read the rendered documents from PostgreSQL; the last ones stay served', err);
    } finally {
      await client.end().catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#listener.close();
    await this.#refreshes.running;
  }
}
