// The rendered documents kept on disk beside the store (data/rendered/), so that a restart serves every stored
// feed at once, byte for byte and with the ETags readers already hold (their next poll gets 304), while the
// store itself loads: loading a large store and rendering it again takes seconds to minutes.
//
//   data/rendered/manifest.json   which document answers which name, and what it was rendered from
//   data/rendered/<etag>.<ext>     one file per document, named by its own content hash
//
// A URL never becomes a path: the server's feed name ("latest.atom", "tags/ai.rss", "index") is looked up in the
// manifest, and the file names the manifest holds must match DOC_FILE. A document is read on its first request
// and checked against its ETag (a hash of its bytes): a torn or altered file is refused, never served. Compressed
// forms are not kept: they are made again from the bytes on the first request that asks for one.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/types.ts';
import { writeFileAtomic } from '../store/durable-file.ts';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { bodyOnce, madeToKeep, type MadeToKeep } from './identity-bodies.ts';
import { prepared, strongEtag, type RenderedFeed } from './render-feed.ts';

/** Longest run of the writer between two turns of the event loop: making a page takes a few milliseconds. */
const WRITE_SLICE_MS = 8;
/** Bump when what a manifest means changes: older manifests are then ignored, never misread. */
const MANIFEST_VERSION = 1;
const MANIFEST = 'manifest.json';
/** <the ETag's hash>.<extension>: all a manifest may name, so a tampered manifest cannot reach other files */
const DOC_FILE = /^[A-Za-z0-9_-]{16,64}\.(atom|rss|json|html|opml)$/;
const EXTENSIONS: Record<string, string> = { atom: 'atom', rss: 'rss', json: 'json', html: 'html', index: 'html', opml: 'opml' };

interface DocEntry {
  file: string;
  etag: string;
  lastModified: string;
  contentType: string;
  bytes: number;
  /** a feed's HTML page (made on request, html-pages.ts): the "now" of its relative times */
  now?: number;
  /** and the signature of the feed it showed (feed-set.ts signer) */
  signature?: string;
}

interface Manifest {
  version: number;
  /** renderKey() of the config the documents were rendered with */
  key: string;
  /** storeStamp() of the store files the documents were rendered from */
  stamp: string;
  items: number;
  lastCycle: string | null;
  writtenAt: string;
  docs: Record<string, DocEntry>;
}

/** What the documents are rendered from at one moment, to be kept. */
export interface RenderedSnapshot {
  key: string;
  stamp: string;
  items: number;
  lastCycle: string | null;
  /** by the server's name for each: `${feed path}.${format}`, "index", "opml" */
  docs: Map<string, RenderedFeed>;
}

export interface RenderedDocsOptions {
  /** renderKey() of the config in force now: documents of another config are not served */
  key: string;
  /** storeStamp() of the store files now: documents of another store content are not served */
  stamp: string;
  /** a problem that does not stop the service: the documents are only a head start */
  warn: (message: string, err?: unknown) => void;
}

/**
 * The documents of data/rendered/: open() reads what the last run kept (when it still matches the config and the
 * store), save() keeps what a render made. Neither ever throws: without these documents the service starts as it
 * always did, serving feeds once the store is loaded and rendered.
 */
export class RenderedDocs {
  readonly dir: string;
  /** why the documents on disk are not served ('' when they are) */
  readonly refused: string;
  readonly items: number | null;
  readonly lastCycle: string | null;
  #served: Record<string, DocEntry>;
  /** the manifest's documents when it was rendered under this config, whatever the store: what HTML pages start from */
  #seeds: Record<string, DocEntry>;
  readonly #read = new Map<string, Promise<RenderedFeed | undefined>>();
  readonly #ready = new Map<string, RenderedFeed>();
  readonly #warn: (message: string, err?: unknown) => void;
  /** files in the directory, as far as this process knows: what needs no writing, and what to delete */
  #onDisk: Set<string> | undefined;
  #next: RenderedSnapshot | undefined;
  #writing: Promise<void> | undefined;
  #warned = false;

  private constructor(dir: string, manifest: Manifest | undefined, refused: string, warn: RenderedDocsOptions['warn'], sameConfig = false) {
    this.dir = dir;
    this.refused = refused;
    this.#warn = warn;
    const usable = refused === '' && manifest !== undefined;
    this.#served = usable ? manifest.docs : {};
    this.#seeds = manifest && sameConfig ? manifest.docs : {};
    this.items = usable ? manifest.items : null;
    this.lastCycle = usable ? manifest.lastCycle : null;
  }

  /** Reads the manifest of `dir`; its documents are served only when it matches options.key and options.stamp. */
  static async open(dir: string, options: RenderedDocsOptions): Promise<RenderedDocs> {
    let text: string;
    try {
      text = await readFile(join(dir, MANIFEST), 'utf8');
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      if (!missing) options.warn(`cannot read ${join(dir, MANIFEST)}; feeds are served once the store is loaded`, err);
      return new RenderedDocs(dir, undefined, missing ? 'no rendered documents kept yet' : 'manifest unreadable', options.warn);
    }
    const manifest = readManifest(text);
    if (!manifest) {
      options.warn(`${join(dir, MANIFEST)} is not a manifest this release wrote; feeds are served once the store is loaded`);
      return new RenderedDocs(dir, undefined, 'manifest damaged or of another release', options.warn);
    }
    if (manifest.key !== options.key) return new RenderedDocs(dir, manifest, 'the config changed since they were rendered', options.warn);
    if (manifest.stamp !== options.stamp) return new RenderedDocs(dir, manifest, 'the store changed since they were rendered', options.warn, true);
    return new RenderedDocs(dir, manifest, '', options.warn, true);
  }

  /** documents that can be served before the store is loaded */
  get count(): number {
    return Object.keys(this.#served).length;
  }

  /**
   * The kept document of that name: at once when read before, else once read from disk; undefined when none is
   * kept, or its file is missing or does not hash to its ETag.
   */
  get(name: string): RenderedFeed | Promise<RenderedFeed | undefined> | undefined {
    const ready = this.#ready.get(name);
    if (ready) return ready;
    const entry = Object.hasOwn(this.#served, name) ? this.#served[name] : undefined;
    if (!entry) return undefined;
    let reading = this.#read.get(name);
    if (!reading) {
      reading = this.#readDoc(entry).then((doc) => {
        if (doc) this.#ready.set(name, doc);
        return doc;
      });
      this.#read.set(name, reading);
    }
    return reading;
  }

  has(name: string): boolean {
    return Object.hasOwn(this.#served, name);
  }

  /**
   * What the HTML page of the feed at `path` was when kept: the feed's signature and the page's stamp. A feed with
   * the same signature now gets its page made with the same "now", so the same bytes and ETag as before the restart.
   */
  htmlSeed(path: string): { signature: string; stamp: { etag: string; bytes: number; now: number } } | undefined {
    const entry = Object.hasOwn(this.#seeds, `${path}.html`) ? this.#seeds[`${path}.html`] : undefined;
    if (entry?.now === undefined || entry.signature === undefined) return undefined;
    return { signature: entry.signature, stamp: { etag: entry.etag, bytes: entry.bytes, now: entry.now } };
  }

  /** Once the store is loaded and rendered, the documents read from disk are no longer served: let them go. */
  retire(): void {
    this.#served = {};
    this.#seeds = {};
    this.#read.clear();
    this.#ready.clear();
  }

  async #readDoc(entry: DocEntry): Promise<RenderedFeed | undefined> {
    const file = join(this.dir, entry.file);
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch (err) {
      this.#warn(`cannot read the rendered document ${file}; it is served once the store is loaded`, err);
      return undefined;
    }
    if (body.length !== entry.bytes || strongEtag(body) !== entry.etag) {
      this.#warn(`the rendered document ${file} does not match its ETag (damaged); it is served once the store is loaded`);
      return undefined;
    }
    return prepared(body, entry.etag, entry.contentType, new Date(entry.lastModified), 'on-request');
  }

  /**
   * Keeps the documents of `snapshot`, in the background: the files not on disk yet, then the manifest (each
   * replaced atomically, so a crash leaves the old manifest or the new, and only whole files behind either),
   * then deletes the files no manifest names any more. Snapshots arriving meanwhile collapse into the newest.
   */
  save(snapshot: RenderedSnapshot): void {
    this.#next = snapshot;
    this.#writing ??= this.#writeLoop().finally(() => (this.#writing = undefined));
  }

  /** Resolves once every snapshot saved so far is on disk (or failed to be). */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  async #writeLoop(): Promise<void> {
    while (this.#next) {
      const snapshot = this.#next;
      this.#next = undefined;
      try {
        await this.#write(snapshot);
      } catch (err) {
        // Once per run: a read-only data directory would otherwise say so after every cycle.
        if (!this.#warned) this.#warn(`cannot keep the rendered documents in ${this.dir}; the next start serves feeds once the store is loaded`, err);
        this.#warned = true;
      }
    }
  }

  async #write(snapshot: RenderedSnapshot): Promise<void> {
    if (!this.#onDisk) {
      await mkdir(this.dir, { recursive: true });
      this.#onDisk = new Set(await readdir(this.dir));
    }
    const docs: Record<string, DocEntry> = {};
    let sliceStart = performance.now();
    for (const [name, doc] of snapshot.docs) {
      const extension = EXTENSIONS[name.slice(name.lastIndexOf('.') + 1)] ?? EXTENSIONS[name];
      if (!extension) continue;
      // A page made on request (a feed's HTML page) is made here only when its stamp is not known yet.
      if (performance.now() - sliceStart >= WRITE_SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
      const made = madeToKeep(doc);
      let { etag, bytes } = made ?? doc;
      let file = `${etag.replaceAll('"', '')}.${extension}`;
      if (!DOC_FILE.test(file)) continue;
      if (made) {
        ({ etag, bytes, file } = await this.#writeMade(made, file, extension));
      } else if (!this.#onDisk.has(file)) {
        // Named by content: a file already there holds these very bytes (a torn one never got its name).
        // Not doc.body: each body is needed once here, and keeping 3,000 of them in the LRU served no reader.
        await writeFileAtomic(join(this.dir, file), bodyOnce(doc));
        this.#onDisk.add(file);
      }
      docs[name] = {
        file, etag, lastModified: doc.lastModified, contentType: doc.contentType, bytes,
        ...(made ? { now: made.now, ...(made.signature ? { signature: made.signature } : {}) } : {}),
      };
    }
    const manifest: Manifest = {
      version: MANIFEST_VERSION, key: snapshot.key, stamp: snapshot.stamp, items: snapshot.items, lastCycle: snapshot.lastCycle,
      writtenAt: new Date().toISOString(), docs,
    };
    await writeFileAtomic(join(this.dir, MANIFEST), JSON.stringify(manifest));
    const named = new Set(Object.values(docs).map((d) => d.file));
    for (const file of this.#onDisk) {
      if (!DOC_FILE.test(file) || named.has(file)) continue;
      await unlink(join(this.dir, file)).catch(() => {});
      this.#onDisk.delete(file);
    }
  }

  /**
   * A page made on request (a feed's HTML page), written unless its file is there. Its bytes name the file: a page
   * kept from before a restart carries the ETag it had then, checked against its bytes only once made.
   */
  async #writeMade(made: MadeToKeep, file: string, extension: string): Promise<{ etag: string; bytes: number; file: string }> {
    if (this.#onDisk!.has(file)) return { etag: made.etag, bytes: made.bytes, file };
    const body = made.body();
    const etag = strongEtag(body);
    const named = `${etag.replaceAll('"', '')}.${extension}`;
    if (!this.#onDisk!.has(named)) {
      await writeFileAtomic(join(this.dir, named), body);
      this.#onDisk!.add(named);
    }
    return { etag, bytes: body.length, file: named };
  }
}

function readManifest(text: string): Manifest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const m = value as Partial<Manifest> | null;
  if (typeof m !== 'object' || m === null || m.version !== MANIFEST_VERSION || typeof m.key !== 'string' || typeof m.stamp !== 'string'
    || typeof m.docs !== 'object' || m.docs === null) return undefined;
  for (const entry of Object.values(m.docs as Record<string, Partial<DocEntry>>)) {
    if (typeof entry !== 'object' || entry === null || typeof entry.file !== 'string' || !DOC_FILE.test(entry.file)
      || typeof entry.etag !== 'string' || typeof entry.lastModified !== 'string' || typeof entry.contentType !== 'string'
      || typeof entry.bytes !== 'number' || (entry.now !== undefined && typeof entry.now !== 'number')
      || (entry.signature !== undefined && typeof entry.signature !== 'string')) return undefined;
  }
  return { ...m, items: typeof m.items === 'number' ? m.items : 0, lastCycle: typeof m.lastCycle === 'string' ? m.lastCycle : null } as Manifest;
}

/**
 * What the rendered bytes depend on in the config: all of it but the file names and credentials (a hash is kept on
 * disk, and a password must not be guessable from it), and the release of this module's format. Hashing all of
 * it rather than picking the keys the renderer reads today means a config edit never leaves a stale document
 * served: an edit that changes no feed only costs the head start of one restart.
 */
export function renderKey(config: Config): string {
  const { files: _files, ...rest } = config;
  const text = JSON.stringify(rest, (key, value: unknown) => (key === 'auth' || key === 'headers' ? undefined : value));
  return createHash('sha256').update(`${MANIFEST_VERSION}\0`).update(text).digest('base64url');
}

/**
 * Which content the store files have, without reading them: inode, size and modification time of each. Every
 * write replaces a file by rename (a new inode), so a store written after the documents were rendered (by a cycle
 * whose render was not kept, by `tributary prune` or `fetch --once`) never matches the manifest.
 */
export function storeStamp(files: readonly string[]): string {
  return files.map((file) => {
    try {
      const s = statSync(file);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return 'none';
    }
  }).join('|');
}
