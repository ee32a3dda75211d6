// Issue 19, private sources: a source behind a cookie, a bearer token or Basic auth, with the secrets read from the
// environment, through the real CLI; the secrets reach the source and nothing the service shows.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSource } from '../../src/fetch/fetch-source.ts';
import { runCli, startService } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { getJson, until } from '../helpers/poll.ts';
import { rssFeed } from '../helpers/test-app.ts';

const SECRETS = { FEED_COOKIE: 'c00kie-s3cret-value', FEED_TOKEN: 't0ken-s3cret-value', FEED_PASS: 'pa55-s3cret-value' };
const BASIC = `Basic ${Buffer.from(`editor:${SECRETS.FEED_PASS}`).toString('base64')}`;
const source = new FixtureServer();
const elsewhere = new FixtureServer();
let dir: string;

const rss = (prefix: string) => ({ headers: { 'content-type': 'application/rss+xml', etag: '"v1"' }, body: rssFeed(prefix) });
const refused = { status: 401, headers: { 'www-authenticate': 'Basic realm="members"' }, body: 'log in first' };

beforeAll(async () => {
  await source.start();
  await elsewhere.start('127.0.0.2');
  dir = mkdtempSync(join(tmpdir(), 'tributary-private-'));
  source.routes.set('/cookie.xml', (req) => (req.headers.cookie === `session=${SECRETS.FEED_COOKIE}; lang=en` ? rss('Cookie') : refused));
  source.routes.set('/bearer.xml', (req) => (req.headers.authorization === `Bearer ${SECRETS.FEED_TOKEN}` ? rss('Bearer') : refused));
  source.routes.set('/basic.xml', (req) => (req.headers.authorization === BASIC ? rss('Basic') : refused));
  source.routes.set('/moved.xml', (req) => (req.headers.cookie ? { status: 302, headers: { location: elsewhere.url('/landing.xml') } } : refused));
  elsewhere.routes.set('/landing.xml', rss('Landing'));
});

afterAll(async () => {
  await source.stop();
  await elsewhere.stop();
});

describe('a source behind a cookie, a token or Basic auth', () => {
  it('is fetched with the secrets from the environment, which appear nowhere the service shows', async () => {
    const config = join(dir, 'sources.yaml');
    writeFileSync(config, [
      'sources:',
      '  - id: cookie',
      `    url: ${source.url('/cookie.xml')}`,
      '    headers:',
      '      Cookie: "session=${FEED_COOKIE}; lang=en"',
      '  - id: bearer',
      `    url: ${source.url('/bearer.xml')}`,
      '    headers: { Authorization: "Bearer ${FEED_TOKEN}" }',
      '  - id: basic',
      // auth: wins over the stale pair in the URL
      `    url: ${source.url('/basic.xml').replace('http://', 'http://editor:old-password@')}`,
      '    auth:',
      '      username: editor',
      '      password: ${FEED_PASS}',
      '  - id: moved',
      `    url: ${source.url('/moved.xml')}`,
      '    headers: { Cookie: "${FEED_COOKIE}" }',
      '    auth: { username: editor, password: "${FEED_PASS}" }',
      '',
    ].join('\n'));
    const service = await startService(['--config', config, '--data', join(dir, 'data')], SECRETS);
    try {
      const status = await until('every source to be fetched', async () => {
        const s = await getJson(`${service.base}/status`);
        return s.sources.every((x: { lastSuccess: string | null; items: number }) => x.lastSuccess && x.items > 0) ? s : undefined;
      });
      for (const id of ['cookie', 'bearer', 'basic', 'moved']) {
        const title = `${id === 'moved' ? 'Landing' : id[0]!.toUpperCase() + id.slice(1)} 1`;
        // the feeds are rendered just after the cycle that stored the items
        await until(`the items of ${id}`, async () => (await (await fetch(`${service.base}/feeds/sources/${id}.atom`)).text()).includes(title));
      }
      // Neither the cookie nor the password followed the redirect to the other origin.
      const landing = elsewhere.requests.filter((r) => r.path === '/landing.xml');
      expect(landing.length).toBeGreaterThan(0);
      for (const r of landing) {
        expect(r.headers.cookie).toBeUndefined();
        expect(r.headers.authorization).toBeUndefined();
      }
      const shown = [
        JSON.stringify(status),
        await (await fetch(`${service.base}/`)).text(),
        await (await fetch(`${service.base}/feeds.opml`)).text(),
        await (await fetch(`${service.base}/metrics`)).text(),
        await (await fetch(`${service.base}/feeds/all.atom`)).text(),
        service.stderr(),
      ].join('\n');
      expect(shown).toContain(source.url('/basic.xml'));
      for (const secret of [...Object.values(SECRETS), BASIC.slice('Basic '.length), 'old-password']) expect(shown).not.toContain(secret);
    } finally {
      await service.stop();
    }
  });

  it('inspect --rules reads a private source with its credentials, as the cycle does', async () => {
    const config = join(dir, 'inspect.yaml');
    writeFileSync(config, `sources:\n  - id: basic\n    url: ${source.url('/basic.xml')}\n    auth: { username: editor, password: "\${FEED_PASS}" }\n`);
    const result = await runCli(['inspect', '--rules', source.url('/basic.xml'), '--config', config, '--source', 'basic'], SECRETS);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain('Basic 1');
    expect(result.stdout + result.stderr).not.toContain(SECRETS.FEED_PASS);
  });

  it('a missing variable stops the start with file:line and the name of the variable', async () => {
    const config = join(dir, 'missing.yaml');
    writeFileSync(config, `sources:\n  - id: cookie\n    url: ${source.url('/cookie.xml')}\n    headers:\n      Cookie: "session=\${FEED_COOKIE_UNSET}"\n`);
    const error = await startService(['--config', config, '--data', join(dir, 'missing-data')]).then(
      async (s) => { await s.stop(); return ''; },
      (err: Error) => err.message,
    );
    expect(error).toContain(`${config}:5: sources.0.headers.Cookie: the environment variable FEED_COOKIE_UNSET is not set`);
  });

  it('keeps the conditional GET validators beside the configured headers', async () => {
    const before = source.requests.length;
    await fetchSource({
      sourceId: 'cookie', url: source.url('/cookie.xml'), etag: '"v1"', lastModified: 'Mon, 10 Mar 2025 10:00:00 GMT',
      headers: { Cookie: `session=${SECRETS.FEED_COOKIE}; lang=en`, 'If-None-Match': '"forged"', 'User-Agent': 'members-reader/1' },
    }, { timeoutMs: 5000, maxBytes: 1_000_000, userAgent: 'tributary-test' });
    const seen = source.requests.slice(before)[0]!.headers;
    expect(seen).toMatchObject({ cookie: `session=${SECRETS.FEED_COOKIE}; lang=en`, 'if-none-match': '"v1"', 'if-modified-since': 'Mon, 10 Mar 2025 10:00:00 GMT', 'user-agent': 'members-reader/1' });
  });
});
