// Issue 19, proxies: fetch.proxy, a source's proxy: and HTTP_PROXY / NO_PROXY, through a real forward proxy of the
// test's own on 127.0.0.1 that counts what it was asked for. The sources listen on 127.0.0.2 and 127.0.0.3 so the
// proxy's log tells them apart.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { ForwardProxy } from '../helpers/forward-proxy.ts';
import { rssFeed } from '../helpers/test-app.ts';

/** no proxy from the environment of whoever runs the tests */
const NO_ENV_PROXY = { HTTP_PROXY: '', HTTPS_PROXY: '', http_proxy: '', https_proxy: '', NO_PROXY: '', no_proxy: '' };
const two = new FixtureServer();
const three = new FixtureServer();
const proxy = new ForwardProxy();
const other = new ForwardProxy();
let dir: string;

const rss = (prefix: string) => ({ headers: { 'content-type': 'application/rss+xml' }, body: rssFeed(prefix) });

beforeAll(async () => {
  await Promise.all([two.start('127.0.0.2'), three.start('127.0.0.3'), proxy.start(), other.start()]);
  two.routes.set('/a.xml', rss('A'));
  two.routes.set('/b.xml', rss('B'));
  three.routes.set('/c.xml', rss('C'));
  dir = mkdtempSync(join(tmpdir(), 'tributary-proxies-'));
});

afterAll(async () => {
  await Promise.all([two.stop(), three.stop(), proxy.stop(), other.stop()]);
});

beforeEach(() => {
  proxy.requests.length = 0;
  other.requests.length = 0;
  two.requests.length = 0;
  three.requests.length = 0;
});

function fetchOnce(name: string, yaml: string, env: Record<string, string> = {}) {
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, yaml);
  return runCli(['fetch', '--once', '--config', config, '--data', join(dir, `${name}-data`)], { ...NO_ENV_PROXY, ...env });
}

/** the log line of a source fetched with its three items */
const fetched = (id: string) => new RegExp(`"source":"${id}"[^\n]*"status":"ok"[^\n]*"new":3`);
const hostOf = (server: FixtureServer) => new URL(server.base).host;

interface ConfiguredRun {
  result: CliResult;
  /** what each server and proxy was asked for during the run (beforeEach empties their own lists) */
  proxy: string[];
  other: string[];
  two: string[];
  three: string[];
}
let configuredRun: Promise<ConfiguredRun> | undefined;

/**
 * One `fetch --once` with fetch.proxy set, and 127.0.0.2 alone counted as public, of the sources of two tests:
 * a and b (b with a proxy: of its own), and guarded, whose public host redirects to 127.0.0.3, a private address
 * then. Each test checks its own sources; a CLI run costs about a CPU-second.
 */
function fetchConfigured(): Promise<ConfiguredRun> {
  configuredRun ??= (async () => {
    three.routes.set('/internal.xml', rss('Internal'));
    two.routes.set('/to-internal.xml', { status: 302, headers: { location: three.url('/internal.xml') } });
    const seen = { proxy: proxy.requests.length, other: other.requests.length, two: two.requests.length, three: three.requests.length };
    const result = await fetchOnce('configured', [
      'fetch:',
      `  proxy: ${proxy.url}`,
      'sources:',
      `  - { id: a, url: "${two.url('/a.xml')}" }`,
      `  - { id: b, url: "${two.url('/b.xml')}", proxy: "${other.url}" }`,
      `  - { id: guarded, url: "${two.url('/to-internal.xml')}" }`,
      '',
    ].join('\n'), { TRIBUTARY_PUBLIC_ADDRESSES: '127.0.0.2/32' });
    return {
      result,
      proxy: proxy.requests.slice(seen.proxy),
      other: other.requests.slice(seen.other),
      two: two.requests.slice(seen.two).map((r) => r.path),
      three: three.requests.slice(seen.three).map((r) => r.path),
    };
  })();
  return configuredRun;
}

describe('forward proxies', () => {
  it('fetch.proxy carries every source, and a source\'s proxy: wins for it', async () => {
    const run = await fetchConfigured();
    expect(run.result.code, run.result.stderr).toBe(0);
    expect(run.result.stderr).toMatch(fetched('a'));
    expect(run.result.stderr).toMatch(fetched('b'));
    // undici tunnels even plain http through CONNECT; one tunnel per connection to the source's host
    expect(run.proxy.length).toBeGreaterThan(0);
    expect(run.other.length).toBeGreaterThan(0);
    for (const r of [...run.proxy, ...run.other]) expect(r).toMatch(new RegExp(`^(CONNECT ${hostOf(two)}|GET http://${hostOf(two)}/)`));
    // (/to-internal.xml is the guarded source's, of the test below)
    expect(run.two.sort()).toEqual(['/a.xml', '/b.xml', '/to-internal.xml']);
  });

  it('HTTP_PROXY carries the sources NO_PROXY does not name', async () => {
    const result = await fetchOnce('environment', [
      'sources:',
      `  - { id: a, url: "${two.url('/a.xml')}" }`,
      `  - { id: c, url: "${three.url('/c.xml')}" }`,
      '',
    ].join('\n'), { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.3' });
    expect(result.code, result.stderr).toBe(0);
    // every line of the log is the service's own: no bare warning of undici's in between
    expect(result.stderr).not.toContain('experimental');
    expect(result.stderr).toMatch(fetched('a'));
    expect(result.stderr).toMatch(fetched('c'));
    expect(proxy.requests.length).toBeGreaterThan(0);
    expect(proxy.requests.every((r) => r.includes(hostOf(two)))).toBe(true);
    expect(three.requests.map((r) => r.path)).toEqual(['/c.xml']);
  });

  it('check --discover goes through the proxy the sources would take', async () => {
    const config = join(dir, 'discover.yaml');
    writeFileSync(config, `fetch:\n  proxy: ${proxy.url}\nsources: []\n`);
    const result = await runCli(['check', '--discover', two.url('/a.xml'), '--config', config], NO_ENV_PROXY);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('is a feed');
    expect(proxy.requests.length).toBeGreaterThan(0);
  });

  it('without a proxy configured, the sources are reached directly', async () => {
    const result = await fetchOnce('direct', `sources:\n  - { id: a, url: "${two.url('/a.xml')}" }\n`);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(fetched('a'));
    expect(proxy.requests).toEqual([]);
  });

  it('a redirect is followed through the proxy too', async () => {
    two.routes.set('/to-three.xml', { status: 302, headers: { location: three.url('/c.xml') } });
    // both hosts count as public, so the redirect guard is on and must not take the redirect around the proxy
    const result = await fetchOnce('redirected', `fetch:\n  proxy: ${proxy.url}\nsources:\n  - { id: a, url: "${two.url('/to-three.xml')}" }\n`,
      { TRIBUTARY_PUBLIC_ADDRESSES: '127.0.0.2/31' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(fetched('a'));
    expect(proxy.requests.some((r) => r.includes(hostOf(three)))).toBe(true);
  });

  it('a redirect into the private network is still refused through a proxy', async () => {
    const run = await fetchConfigured();
    expect(run.result.stderr).toMatch(/^guarded: .*redirect into the private network refused/m);
    expect(run.three).toEqual([]);
    expect(run.proxy.every((r) => !r.includes(hostOf(three)))).toBe(true);
  });
});
