// Rendered documents shared through PostgreSQL, so every instance behind a load balancer answers a feed with the
// same bytes and the same ETag (a reader's If-None-Match gets 304 from whichever instance it reaches).
//
// - One renderer at a time: an instance renders only while it holds a session-level advisory lock
//   (RenderLock). The others serve what it published.
// - publish() writes the documents that changed and deletes those that no longer exist, in one transaction, and
//   sends NOTIFY with the new revision; PostgreSQL delivers it on commit, so a listener never sees half a render.
// - Every instance that serves keeps every published document in memory and follows the changes: follower.ts.
// - A document is published gzip-compressed, as the followers hold it and send it: compressed once, by the renderer.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import pg from 'pg';

/** NOTIFY channel of published renders; the payload is the new revision. */
export const RENDERED_CHANNEL = 'tributary_rendered';
/** pg_advisory_lock key of the renderer: an arbitrary constant of Tributary's ("rndr" in ASCII). */
const RENDER_LOCK = 0x726e6472;

export interface SharedDoc {
  body: Buffer;
  etag: string;
  contentType: string;
  lastModified: string;
}

/** A document as published: its gzip form (zlib's default level) and the length of its body. */
export interface PublishedDoc extends Omit<SharedDoc, 'body'> {
  gzip: Buffer;
  /** length of the uncompressed body */
  bytes: number;
}

const gzipping = promisify(gzip);

/** The document as it is published; compressed on libuv's threads, not the one serving requests. */
export async function compressed(doc: SharedDoc): Promise<PublishedDoc> {
  const { body, ...fields } = doc;
  const packed = await gzipping(body);
  // zlib's result may be a slice of a larger chunk, which a slice keeps alive: keep the bytes only.
  return { ...fields, gzip: packed.buffer.byteLength - packed.length < 1024 ? packed : Buffer.from(packed), bytes: body.length };
}

/** A render to publish: the documents made or changed, and the names that no longer exist. */
export interface RenderedChanges {
  changed: ReadonlyMap<string, SharedDoc>;
  removed?: readonly string[];
  /**
   * called with each name whose bytes differ from what was published (a document the same as the published one,
   * as a new renderer's first render makes of every feed, is not written again)
   */
  written?: (name: string) => void;
}

/** Writes a render's documents and notifies every instance; returns the new revision. Call under RenderLock. */
export async function publishRendered(pool: pg.Pool, changes: RenderedChanges): Promise<number> {
  const publication = await Publication.begin(pool);
  try {
    for (const [name, doc] of changes.changed) if (await publication.write(name, doc)) changes.written?.(name);
    if (changes.removed?.length) await publication.remove(changes.removed);
    return await publication.commit();
  } catch (error) {
    await publication.abandon();
    throw error;
  }
}

/**
 * One render's publication, written document by document in one transaction: a renderer writes each document as
 * soon as it is made and lets it go, so that a render of every feed never holds every body at once (at 1,000
 * sources, some 4,000 bodies of ~50 KB). Nothing is seen by another instance before commit(), which ends with the
 * NOTIFY. Call under RenderLock (one renderer: reading the highest revision and writing the next one cannot race).
 */
export class Publication {
  readonly revision: number;
  readonly #client: pg.PoolClient;
  #done = false;

  private constructor(client: pg.PoolClient, revision: number) {
    this.#client = client;
    this.revision = revision;
  }

  static async begin(pool: pg.Pool): Promise<Publication> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ r: string }>('SELECT coalesce(max(revision), 0) + 1 AS r FROM tributary_rendered');
      return new Publication(client, Number(rows[0]!.r));
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      client.release();
      throw error;
    }
  }

  /** Writes `doc` as `name` (compressed first if given its body); true when its bytes differ from the published ones (it was written). */
  async write(name: string, given: PublishedDoc | SharedDoc): Promise<boolean> {
    const doc = 'gzip' in given ? given : await compressed(given);
    const { rowCount } = await this.#client.query({
      name: 'tributary-publish-document',
      text: `INSERT INTO tributary_rendered (name, etag, content_type, last_modified, body, gzip, size, revision)
             VALUES ($1, $2, $3, $4, NULL, $5, $6, $7)
             ON CONFLICT (name) DO UPDATE SET etag = $2, content_type = $3, last_modified = $4, body = NULL, gzip = $5, size = $6, revision = $7
              WHERE tributary_rendered.etag IS DISTINCT FROM $2`,
      values: [name, doc.etag, doc.contentType, new Date(doc.lastModified), doc.gzip, doc.bytes, this.revision],
    });
    return (rowCount ?? 0) > 0;
  }

  async remove(names: readonly string[]): Promise<void> {
    await this.#client.query('DELETE FROM tributary_rendered WHERE name = ANY($1::text[])', [names]);
  }

  /** Commits and notifies every instance; returns the revision. */
  async commit(): Promise<number> {
    await this.#client.query('SELECT pg_notify($1, $2)', [RENDERED_CHANNEL, String(this.revision)]);
    await this.#client.query('COMMIT');
    this.#finish();
    return this.revision;
  }

  /** Rolls back whatever was written (a render that failed half-way): nothing of it is published. */
  async abandon(): Promise<void> {
    if (this.#done) return;
    await this.#client.query('ROLLBACK').catch(() => {});
    this.#finish();
  }

  #finish(): void {
    this.#done = true;
    this.#client.release();
  }
}

/**
 * The documents published now and their ETags: what a renderer that starts afresh compares its feeds with (a
 * document it makes with the published ETag is neither compressed nor written again).
 */
export async function publishedEtags(pool: pg.Pool): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ name: string; etag: string }>('SELECT name, etag FROM tributary_rendered');
  return new Map(rows.map((r) => [r.name, r.etag]));
}

/**
 * The renderer's lock: held on a connection of its own for as long as this instance renders. A killed instance's
 * connection closes and the server releases the lock, so another instance becomes the renderer. An instance that
 * does not hold it keeps its connection between tries (every few seconds): a new connection each time cost the
 * database a backend started and ended per try and per instance.
 */
export class RenderLock {
  #client: pg.Client | undefined;
  #held = false;
  readonly #url: string;

  constructor(url: string) {
    this.#url = url;
  }

  get held(): boolean {
    return this.#held;
  }

  /** Takes the lock if no other instance holds it; true when this instance is (now) the renderer. */
  async tryAcquire(): Promise<boolean> {
    if (this.#held) return true;
    const kept = this.#client;
    try {
      return await this.#try(kept ?? await this.#connect());
    } catch (error) {
      // The kept connection was lost meanwhile (its error not yet seen): one try on a new one.
      if (!kept) throw error;
      this.#drop(kept);
      return await this.#try(await this.#connect());
    }
  }

  async #try(client: pg.Client): Promise<boolean> {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [RENDER_LOCK]);
    if (rows[0]!.ok && this.#client === client) this.#held = true;
    return this.#held;
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.#url, application_name: 'tributary renderer' });
    // The connection dropping (server restart, network, a killed backend) loses the lock: stop calling ourselves the
    // renderer, and connect again at the next try.
    client.on('error', () => this.#drop(client));
    client.on('end', () => this.#drop(client));
    await client.connect();
    this.#client = client;
    return client;
  }

  #drop(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#held = false;
    void client.end().catch(() => {});
  }

  async release(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#held = false;
    await client?.end().catch(() => {});
  }
}
