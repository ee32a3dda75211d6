// Instances of the PostgreSQL store's service in this process, each behind a real HTTP server on 127.0.0.1, for the
// built-in WebSub hub's tests: subscribe through one instance, publish through another.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { createLogger } from '../../src/log.ts';
import type { Item } from '../../src/model.ts';
import { RuleTagging } from '../../src/rules/tagger.ts';
import { createFeedServer } from '../../src/serve/server.ts';
import { SharedApp, type SharedAppOptions } from '../../src/shared-app.ts';
import { siteContext } from '../../src/site-context.ts';
import { plain } from './plain-text.ts';
import type { RecordedRequest } from './recording-server.ts';
import { sampleItem } from './sample-items.ts';

export const HUB_BASE = 'http://tributary.test';

/** Two sources (news, tech) that nobody fetches: the tests write their items, as a fetching instance would. */
export function hubConfig(websubLines: string[]): Config {
  return parseConfig(hubConfigText(websubLines), 'sources.yaml');
}

/** hubConfig's text. */
export function hubConfigText(websubLines: string[]): string {
  return `title: Hubbed
baseUrl: ${HUB_BASE}
websub:
  builtin: true
${websubLines.map((l) => `  ${l}\n`).join('')}sources:
  - id: a
    url: https://a.example.com/rss
    tags: [news]
  - id: b
    url: https://b.example.com/rss
    tags: [tech]
`;
}

export interface Instance {
  app: SharedApp;
  base: string;
  close(): Promise<void>;
}

/** Opens an instance (role serve: the tests write the items) and serves it on 127.0.0.1. */
export async function openInstance(config: Config, databaseUrl: string, instanceId: string, extra: Partial<SharedAppOptions> = {}): Promise<Instance> {
  const app = await SharedApp.open({ config, databaseUrl, role: 'serve', logger: createLogger('silent'), instanceId, websubRetryDelaysMs: [0, 0], ...extra });
  const server: Server = createFeedServer(app.site());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed = false;
  return {
    app, base,
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close(0);
    },
  };
}

/** Writes a story of source `sourceId` numbered `n` (newer for a higher n), with the tags its config gives. */
export async function writeStory(app: SharedApp, n: number, sourceId = 'a'): Promise<void> {
  const at = new Date(Date.UTC(2026, 11, 1) + n * 60_000).toISOString();
  const item: Item = sampleItem(n, {
    id: `tag:tributary.test,2026:${sourceId}/${n}`, sourceId, key: `k${n}`, published: at, updated: at, firstSeen: at, title: plain(`Story ${n}`),
  });
  const tags = siteContext(app.config, {}, [], new RuleTagging()).tags;
  await app.store.write({ sourceId, added: [item], updated: [], titleWindowMs: 0, tags });
}

export interface HubReply {
  status: number;
  text: string;
}

export async function hubPost(instance: Instance, fields: Record<string, string>): Promise<HubReply> {
  const res = await fetch(`${instance.base}/websub`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, text: await res.text() };
}

/** A subscriber that confirms every intent and accepts content. */
export const echo = (req: RecordedRequest) => (req.method === 'GET' ? { status: 200, body: req.url.searchParams.get('hub.challenge') ?? '' } : { status: 204 });

/** The built-in hub's subscriptions as an instance's /status shows them. */
export function subscriptionsOn(instance: Instance): number {
  const status = instance.app.site().status() as { websub: { builtin?: { subscriptions: number } } };
  expect(status.websub.builtin).toBeDefined();
  return status.websub.builtin!.subscriptions;
}

export interface InstanceProcess {
  child: ChildProcess;
  base: string;
  exited: Promise<unknown>;
}

/**
 * An instance (role serve, started) in a process of its own, for a test that kills it: the compiled service
 * (dist/, built by tests/setup/build-dist.ts) as the CLI runs it, with `options` the CLI has no flag for (a short
 * lease on the hub's deliveries, so that a killed instance's lease runs out within seconds rather than its 15 s
 * margin). Resolves once it listens.
 */
export function spawnInstance(configText: string, databaseUrl: string, instanceId: string, options: Partial<Pick<SharedAppOptions, 'websubLeaseMs' | 'websubEveryMs' | 'renderEveryMs'>>): Promise<InstanceProcess> {
  const dist = (path: string) => JSON.stringify(new URL(`../../dist/${path}`, import.meta.url).href);
  const script = `
    const { parseConfig } = await import(${dist('config/load.js')});
    const { createLogger } = await import(${dist('log.js')});
    const { createFeedServer } = await import(${dist('serve/server.js')});
    const { SharedApp } = await import(${dist('shared-app.js')});
    const given = JSON.parse(process.env.INSTANCE);
    const app = await SharedApp.open({ ...given.options, config: parseConfig(given.config, 'sources.yaml'), databaseUrl: given.databaseUrl, role: 'serve', logger: createLogger('silent'), instanceId: given.instanceId });
    const server = createFeedServer(app.site());
    server.listen(0, '127.0.0.1', () => { app.start(); process.stdout.write('port ' + server.address().port + '\\n'); });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, INSTANCE: JSON.stringify({ config: configText, databaseUrl, instanceId, options }) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((done) => child.once('close', done));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const port = /port (\d+)/.exec(out)?.[1];
      if (port) resolve({ child, base: `http://127.0.0.1:${port}`, exited });
    });
    child.once('close', (code) => reject(new Error(`instance ${instanceId} exited with ${code}:\n${err}`)));
  });
}
