// Rendered documents shared through a real PostgreSQL (tests/setup/postgres.ts): one renderer at a time, every
// follower holding the same bytes and ETags, changes arriving by NOTIFY, and a periodic check catching up after
// the LISTEN connection was cut.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PgStore } from '../../src/store/pg/pg-store.ts';
import { RenderedFollower } from '../../src/store/pg/follower.ts';
import { Publication, publishRendered, RenderLock, type SharedDoc } from '../../src/store/pg/rendered.ts';
import { freshDatabase } from '../helpers/pg.ts';
import { until } from '../helpers/poll.ts';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function doc(text: string, modified = '2026-12-01T08:00:00Z'): SharedDoc {
  const body = Buffer.from(text);
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, contentType: 'application/atom+xml; charset=utf-8', lastModified: new Date(modified).toUTCString() };
}

async function setup(label: string) {
  const url = await freshDatabase(label);
  const store = await PgStore.open({ url, pool: 2 });
  closers.push(() => store.close());
  return { url, pool: store.pool };
}

async function follower(url: string, options: { checkEveryMs?: number; reconnectMs?: number } = {}) {
  const changes: string[][] = [];
  const f = await RenderedFollower.open({ url, checkEveryMs: options.checkEveryMs ?? 3_600_000, reconnectMs: options.reconnectMs ?? 100, onChange: (names) => changes.push(names) });
  closers.push(() => f.close());
  return { f, changes };
}

describe('rendered documents in PostgreSQL', () => {
  it('a publish reaches every follower by NOTIFY, with the same bytes and ETags, changed and removed documents only', async () => {
    const { url, pool } = await setup('rendered_notify');
    const first = new Map([['latest.atom', doc('<feed>一</feed>')], ['tags/科技.atom', doc('<feed>科技</feed>')], ['sources/a.rss', doc('<rss/>')]]);
    await publishRendered(pool, { changed: first });
    // Followers started after the publish load everything at open.
    const a = await follower(url);
    const b = await follower(url);
    for (const { f } of [a, b]) {
      expect(f.names().sort()).toEqual([...first.keys()].sort());
      expect(f.get('tags/科技.atom')!.body.equals(first.get('tags/科技.atom')!.body)).toBe(true);
      expect(f.get('latest.atom')!.etag).toBe(first.get('latest.atom')!.etag);
      expect(f.get('latest.atom')!.lastModified).toBe('Tue, 01 Dec 2026 08:00:00 GMT');
    }
    a.changes.length = 0;

    // The periodic check is an hour away: only the notification can bring this change in time.
    const next = doc('<feed>二</feed>', '2026-12-02T08:00:00Z');
    const revision = await publishRendered(pool, { changed: new Map([['latest.atom', next], ['tags/科技.atom', first.get('tags/科技.atom')!]]), removed: ['sources/a.rss'] });
    for (const { f } of [a, b]) {
      await until('the follower', () => f.revision >= revision, 5_000);
      expect(f.get('latest.atom')!.etag).toBe(next.etag);
      expect(f.get('latest.atom')!.body.toString()).toBe('<feed>二</feed>');
      expect(f.get('sources/a.rss')).toBeUndefined();
      expect(f.size).toBe(2);
    }
    // The unchanged document was not read again: only what changed or went is reported.
    expect(a.changes.flat().sort()).toEqual(['latest.atom', 'sources/a.rss']);
  });

  it('a follower holds each document gzip-compressed only, and makes the published body again from it', async () => {
    const { url, pool } = await setup('rendered_gzipped');
    // Feed-like bodies: the repeated markup of 200 items, each with a text of its own.
    const published = new Map<string, SharedDoc>();
    for (let n = 0; n < 12; n++) {
      const items = Array.from({ length: 200 }, (_, i) => `<entry><id>urn:${n}:${i}</id><title>Item ${i} of feed ${n}</title><content type="html">&lt;p&gt;${createHash('sha256').update(`${n}/${i}`).digest('hex')}&lt;/p&gt;</content></entry>`);
      published.set(`sources/s${n}.atom`, doc(`<feed xmlns="http://www.w3.org/2005/Atom">${items.join('')}</feed>`));
    }
    await publishRendered(pool, { changed: published });
    const { f } = await follower(url);
    const bodies = [...published.values()].reduce((sum, d) => sum + d.body.length, 0);
    const { held, bodies: heldBodies } = f.heldBytes();
    expect(heldBodies).toBe(bodies);
    expect(held).toBeLessThan(bodies / 4);
    for (const [name, sent] of published) {
      const got = f.get(name)!;
      // No body among what the follower holds: its one buffer is the gzip form.
      const buffers = Object.entries(Object.getOwnPropertyDescriptors(got)).filter(([, d]) => Buffer.isBuffer(d.value)).map(([key]) => key);
      expect(buffers).toEqual(['gzip']);
      expect(got.bytes).toBe(sent.body.length);
      expect(got.body.equals(sent.body)).toBe(true);
      expect(gunzipSync(got.gzip).equals(sent.body)).toBe(true);
      expect(got.etag).toBe(sent.etag);
    }
  });

  it('a follower holds the gzip bytes the renderer published, without compressing them again', async () => {
    const { url, pool } = await setup('rendered_published_gzip');
    const sent = doc('<feed>' + 'fast, not small; '.repeat(400) + '</feed>');
    // Compressed at another level than a follower's own: only the published bytes themselves can match these.
    const gzip = gzipSync(sent.body, { level: 1 });
    expect(gzip.equals(gzipSync(sent.body))).toBe(false);
    const publication = await Publication.begin(pool);
    expect(await publication.write('latest.atom', { etag: sent.etag, contentType: sent.contentType, lastModified: sent.lastModified, gzip, bytes: sent.body.length })).toBe(true);
    await publication.commit();
    const { f } = await follower(url);
    expect(f.get('latest.atom')!.gzip.equals(gzip)).toBe(true);
    expect(f.get('latest.atom')!.bytes).toBe(sent.body.length);
    expect(f.get('latest.atom')!.body.equals(sent.body)).toBe(true);
  });

  it('after its LISTEN connection is cut, a follower connects again and catches up with what it missed', async () => {
    const { url, pool } = await setup('rendered_reconnect');
    await publishRendered(pool, { changed: new Map([['latest.atom', doc('one')]]) });
    const { f } = await follower(url, { reconnectMs: 200 });
    expect(f.listening).toBe(true);
    await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tributary listener' AND datname = current_database()`);
    await until('the follower', () => !f.listening, 5_000);
    // Published while nobody listens: no notification reaches the follower.
    const missed = doc('two');
    await publishRendered(pool, { changed: new Map([['latest.atom', missed]]) });
    await until('the follower', () => f.get('latest.atom')?.etag === missed.etag, 10_000);
    await until('the follower', () => f.listening, 10_000);
    // And it listens again: the next publish arrives by notification.
    const after = doc('three');
    await publishRendered(pool, { changed: new Map([['latest.atom', after]]) });
    await until('the follower', () => f.get('latest.atom')?.etag === after.etag, 5_000);
  });

  it('the periodic check brings changes a follower was never notified of', async () => {
    const { url, pool } = await setup('rendered_check');
    const { f } = await follower(url, { checkEveryMs: 200 });
    // Written without NOTIFY (as if the notification were lost): only the check can find it.
    await pool.query(`INSERT INTO tributary_rendered (name, etag, content_type, last_modified, body, revision) VALUES ('index', '"x"', 'text/html', now(), $1, 7)`, [Buffer.from('<html>')]);
    await until('the follower', () => f.get('index') !== undefined, 5_000);
    expect(f.revision).toBe(7);
  });

  it('a follower holds the documents its own renderer hands it as published, without reading them back', async () => {
    const { url, pool } = await setup('rendered_offered');
    const { f, changes } = await follower(url);
    const publication = await Publication.begin(pool);
    const written = doc('<feed>written</feed>', '2026-12-03T08:00:00.750Z');
    expect(await publication.write('latest.atom', written)).toBe(true);
    // Handed with the written ETag but other bytes: which of the two the follower ends up holding shows whether it
    // took the handed document or read the row back.
    await f.offer('latest.atom', { ...written, body: Buffer.from('<feed>handed</feed>') }, publication.revision);
    const revision = await publication.commit();
    await until('the follower', () => f.revision >= revision, 5_000);
    expect(f.get('latest.atom')!.body.toString()).toBe('<feed>handed</feed>');
    expect(f.get('latest.atom')!.etag).toBe(written.etag);
    // As a read gives it, to the second: every instance sends the same Last-Modified.
    expect(f.get('latest.atom')!.lastModified).toBe('Thu, 03 Dec 2026 08:00:00 GMT');
    expect(changes.flat()).toEqual(['latest.atom']);
  });

  it('a follower never serves what was handed to it for a publication that was abandoned, or published otherwise', async () => {
    const { url, pool } = await setup('rendered_withdrawn');
    const { f } = await follower(url);
    const published = doc('<feed>published</feed>');
    // Abandoned: the next publication takes the same revision number, with the same ETag but other bytes here.
    const abandoned = await Publication.begin(pool);
    await abandoned.write('latest.atom', published);
    await f.offer('latest.atom', { ...published, body: Buffer.from('<feed>abandoned</feed>') }, abandoned.revision);
    await abandoned.abandon();
    f.withdraw(abandoned.revision);
    // Handed for a revision that another renderer publishes with other bytes: the ETag differs, the row is read.
    await f.offer('index', doc('<html>handed</html>'), abandoned.revision);
    const revision = await publishRendered(pool, { changed: new Map([['latest.atom', published], ['index', doc('<html>theirs</html>')]]) });
    expect(revision).toBe(abandoned.revision);
    await until('the follower', () => f.revision >= revision, 5_000);
    expect(f.get('latest.atom')!.body.toString()).toBe('<feed>published</feed>');
    expect(f.get('index')!.body.toString()).toBe('<html>theirs</html>');
  });

  it('one renderer at a time: the lock passes to another instance when its holder goes away', async () => {
    const { url } = await setup('rendered_lock');
    const one = new RenderLock(url);
    const two = new RenderLock(url);
    closers.push(() => one.release(), () => two.release());
    expect(await one.tryAcquire()).toBe(true);
    expect(await two.tryAcquire()).toBe(false);
    expect(await one.tryAcquire()).toBe(true);
    // The holder's connection killed (as when its process is killed): the server frees the lock.
    const admin = new pg.Client(url);
    await admin.connect();
    closers.push(() => admin.end());
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tributary renderer' AND datname = current_database()`);
    await until('the follower', () => !one.held, 5_000);
    await until('the follower', () => two.tryAcquire(), 5_000);
    expect(two.held).toBe(true);
    expect(await one.tryAcquire()).toBe(false);
  });
});
