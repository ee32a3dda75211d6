// A source on a public host that redirects into the private network (issue 14, point 5), and a source URL
// with user:pass@ (point 6), through the real CLI. Tests have only loopback: the "public" source listens on
// 127.0.0.2, which TRIBUTARY_PUBLIC_ADDRESSES makes count as public; the "internal" server on 127.0.0.1 is
// what an attacker would reach.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startService, type CliResult } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { getJson, until } from '../helpers/poll.ts';
import { rssFeed } from '../helpers/test-app.ts';

const PUBLIC_ENV = { TRIBUTARY_PUBLIC_ADDRESSES: '127.0.0.2/32' };
const publicHost = new FixtureServer();
const internal = new FixtureServer();
let dir: string;

const rss = { headers: { 'content-type': 'application/rss+xml' }, body: rssFeed('Internal') };

beforeAll(async () => {
  await publicHost.start('127.0.0.2');
  await internal.start();
  dir = mkdtempSync(join(tmpdir(), 'tributary-redirects-'));
  internal.routes.set('/secret.xml', rss);
  // A private source's redirect lands on a path of its own: /secret.xml is asked for only by what leaked.
  internal.routes.set('/local.xml', { status: 302, headers: { location: '/local-feed.xml' } });
  internal.routes.set('/local-feed.xml', rss);
  const port = new URL(internal.base).port;
  publicHost.routes.set('/to-literal.xml', { status: 302, headers: { location: internal.url('/secret.xml') } });
  publicHost.routes.set('/to-decimal.xml', { status: 301, headers: { location: `http://2130706433:${port}/secret.xml` } });
  publicHost.routes.set('/to-mapped.xml', { status: 307, headers: { location: `http://[::ffff:7f00:1]:${port}/secret.xml` } });
  // A name, not an address: refused only when the socket connects (what DNS rebinding would exploit).
  publicHost.routes.set('/to-name.xml', { status: 302, headers: { location: `http://localhost:${port}/secret.xml` } });
  publicHost.routes.set('/hop.xml', { status: 302, headers: { location: publicHost.url('/to-literal.xml') } });
});

afterAll(async () => {
  await publicHost.stop();
  await internal.stop();
});

beforeEach(() => {
  internal.requests.length = 0;
});

function writeConfig(name: string, body: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, body);
  return path;
}

const REDIRECTING = ['to-literal', 'to-decimal', 'to-mapped', 'to-name', 'hop'];
const CREDENTIALS = `Basic ${Buffer.from('editor:s3cr3t').toString('base64')}`;

/** the log line of a source fetched with its three items */
const fetched = (id: string) => new RegExp(`"source":"${id}"[^\n]*"status":"ok"[^\n]*"new":3`);

interface DefaultRun {
  result: CliResult;
  /** what the internal server was asked for during the run (beforeEach empties its own list) */
  internalRequests: typeof internal.requests;
  /** the Authorization header of each request for the public landing page */
  landing: (string | undefined)[];
}
let defaultRun: Promise<DefaultRun> | undefined;

/**
 * One `fetch --once` with the default fetch settings (no allow-list) of every source the tests read that way: the
 * five redirects into the private network, a private source redirecting within it, and a source with credentials
 * redirecting to another origin. Each test checks its own sources' lines; a CLI run costs about a CPU-second, and
 * these three cases differ only in their sources.
 */
function fetchWithDefaults(): Promise<DefaultRun> {
  defaultRun ??= (async () => {
    const landing: (string | undefined)[] = [];
    internal.routes.set('/elsewhere.xml', { status: 302, headers: { location: publicHost.url('/landing.xml') } });
    publicHost.routes.set('/landing.xml', (req) => {
      landing.push(req.headers.authorization);
      // items of its own: the same items as the private source's would be stored once, for that source
      return { headers: rss.headers, body: rssFeed('Landing') };
    });
    const sources = [
      ...REDIRECTING.map((id) => ({ id, url: publicHost.url(`/${id}.xml`) })),
      { id: 'local', url: internal.url('/local.xml') },
      { id: 'moved', url: internal.url('/elsewhere.xml').replace('http://', 'http://editor:s3cr3t@') },
    ];
    const config = writeConfig('defaults', `sources:\n${sources.map(({ id, url }) => `  - id: ${id}\n    url: ${url}\n`).join('')}`);
    const before = internal.requests.length;
    const result = await runCli(['fetch', '--once', '--config', config, '--data', join(dir, 'defaults-data')], PUBLIC_ENV);
    return { result, internalRequests: internal.requests.slice(before), landing };
  })();
  return defaultRun;
}

describe('redirects from a public source into the private network', () => {
  it('are refused whatever the spelling of the address, and the internal server sees no request', async () => {
    const { result, internalRequests } = await fetchWithDefaults();
    expect(result.code).toBe(0);
    for (const id of REDIRECTING) {
      const line = result.stderr.split('\n').find((l) => l.startsWith(`${id}: `));
      expect(line, id).toMatch(/redirect into the private network refused: .*loopback address \(allow it with fetch\.allowPrivateRedirects\)/);
    }
    // the five refused, and the two sources of the other cases of the run fetched
    expect(result.stderr).toContain(`fetched ${REDIRECTING.length + 2} sources (${REDIRECTING.length} failed)`);
    // Refused before any byte went out: the literal forms before connecting, the name at connect time. (The run's
    // other requests to the internal server are the private source's and the credentialed one's, by their paths.)
    expect(internalRequests.filter((r) => !['/local.xml', '/local-feed.xml', '/elsewhere.xml'].includes(r.path))).toEqual([]);
  });

  it('are followed when the operator allows them, by true or by a CIDR list', async () => {
    for (const allow of ['true', '["127.0.0.0/8", "::1/128"]']) {
      const config = writeConfig('allowed', `fetch:\n  allowPrivateRedirects: ${allow}\nsources:\n${REDIRECTING.map((id) => `  - id: ${id}\n    url: ${publicHost.url(`/${id}.xml`)}\n`).join('')}`);
      const result = await runCli(['fetch', '--once', '--config', config, '--data', join(dir, `allowed-${allow.length}`)], PUBLIC_ENV);
      expect(result.stderr).toContain(`fetched ${REDIRECTING.length} sources (0 failed)`);
    }
    expect(internal.requests.filter((r) => r.path === '/secret.xml')).toHaveLength(2 * REDIRECTING.length);
  });

  it('a CIDR list that does not cover the target still refuses it', async () => {
    const config = writeConfig('other-range', `fetch:\n  allowPrivateRedirects: [10.0.0.0/8]\nsources:\n  - id: lit\n    url: ${publicHost.url('/to-literal.xml')}\n`);
    const result = await runCli(['fetch', '--once', '--config', config, '--data', join(dir, 'other-range-data')], PUBLIC_ENV);
    expect(result.stderr).toMatch(/lit: .*redirect into the private network refused/);
    expect(internal.requests).toEqual([]);
  });

  it('a source the operator put on a private host may still redirect within the private network', async () => {
    const { result, internalRequests } = await fetchWithDefaults();
    expect(result.stderr).toMatch(fetched('local'));
    expect(internalRequests.map((r) => r.path)).toEqual(expect.arrayContaining(['/local.xml', '/local-feed.xml']));
  });

  it('tributary check refuses a malformed allow-list with file and line', async () => {
    const config = writeConfig('bad', `fetch:\n  allowPrivateRedirects: [intranet]\nsources:\n  - id: a\n    url: http://example.com/feed\n`);
    const result = await runCli(['check', '--config', config]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/bad\.yaml:2: fetch\.allowPrivateRedirects(\.0)?: .*not a CIDR range/);
  });
});

describe('a source URL with user:pass@', () => {
  it('is fetched with Basic auth, and the password appears nowhere the service shows', async () => {
    const seen: (string | undefined)[] = [];
    internal.routes.set('/private.xml', (req) => {
      seen.push(req.headers.authorization);
      return req.headers.authorization === `Basic ${Buffer.from('editor:s3cr3t pass').toString('base64')}`
        ? rss
        : { status: 401, headers: { 'www-authenticate': 'Basic realm="feeds"' }, body: 'who are you' };
    });
    const url = internal.url('/private.xml').replace('http://', 'http://editor:s3cr3t%20pass@');
    const config = writeConfig('auth', `sources:\n  - id: private\n    url: ${url}\n`);
    const check = await runCli(['check', '--config', config]);
    expect(check.code).toBe(0);
    const service = await startService(['--config', config, '--data', join(dir, 'auth-data')]);
    try {
      const status = await until('the private source to be fetched', async () => {
        const s = await getJson(`${service.base}/status`);
        // "lastSuccess": null is listed before the first fetch ends: wait for a time
        return JSON.stringify(s).includes('"lastSuccess":"') ? s : undefined;
      });
      expect(seen.at(-1)).toBe(`Basic ${Buffer.from('editor:s3cr3t pass').toString('base64')}`);
      const shown = [
        JSON.stringify(status),
        await (await fetch(`${service.base}/`)).text(),
        await (await fetch(`${service.base}/feeds.opml`)).text(),
        await (await fetch(`${service.base}/metrics`)).text(),
        await (await fetch(`${service.base}/feeds/sources/private.atom`)).text(),
        service.stderr(),
      ].join('\n');
      expect(shown).toContain(internal.url('/private.xml'));
      expect(shown).not.toContain('s3cr3t');
    } finally {
      await service.stop();
    }
  });

  it('sends the credentials to their own origin only, never along a redirect to another one', async () => {
    const { result, internalRequests, landing } = await fetchWithDefaults();
    expect(result.stderr).toMatch(fetched('moved'));
    expect(landing).toEqual([undefined]);
    expect(internalRequests.find((r) => r.path === '/elsewhere.xml')?.headers.authorization).toBe(CREDENTIALS);
  });
});
