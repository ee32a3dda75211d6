// `tributary inspect --source ID [FILE|URL]`: what the service would store from a configured source's document at
// this moment. The document (the source's URL by default, or a saved FILE standing for it) goes through the cycle's
// own ingestSource() with the source's config (encoding, type, headers, auth, proxy, filter) and its stored state
// (dedupe key, keys retention pruned earlier), merged against the stored items and checked against retention: the
// items printed are the ones the next fetch of that document would add or update. Nothing is written: the embedded
// store is opened read-only (the service may be running on it), a PostgreSQL store only read.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Response } from 'undici';
import type { Config, SourceConfig } from '../config/types.ts';
import { NOTHING_STORED, type MergeResult } from '../dedupe/merge.ts';
import type { FetchFunction } from '../fetch/fetch-source.ts';
import { ProxyAgents } from '../fetch/proxy-agents.ts';
import { ingestSource, type IngestOutcome } from '../ingest.ts';
import type { Item, SourceState } from '../model.ts';
import { trackingParams } from '../normalize/urls.ts';
import { settleRetention } from '../store/retention-changes.ts';
import { admitNew, retentionPolicy, type RetentionPolicy } from '../store/retention.ts';
import type { StoreBackend } from '../store/store-api.ts';
import { UnknownSourceError } from '../config/errors.ts';
import { loadConfig } from '../config/load.ts';
import { USER_AGENT } from '../fetch/user-agent.ts';
import { EmbeddedBackend } from '../store/embedded-backend.ts';
import { ItemStore } from '../store/store.ts';
import type { CommonOptions } from './common-options.ts';
import { inspected, type InspectedItem } from './inspect-document.ts';
import { reportStartError } from './start-error.ts';
import { USAGE, usageError } from './usage.ts';

export interface InspectSourceRequest {
  config: Config;
  sourceId: string;
  /** a saved document standing for the source's next fetch, or another URL to fetch as the source; default its URL */
  target?: string;
  /** for a FILE: the Content-Type its server would send */
  contentType?: string;
  /** the store, opened for reading */
  store: StoreBackend;
  /** the embedded store's retention bookkeeping (a stricter rule waits a day); without it, the config's rules */
  retention?: (now: Date) => RetentionPolicy;
  userAgent: string;
  now?: Date;
  fetch?: FetchFunction;
}

export interface SourceInspection {
  source: SourceConfig;
  outcome: IngestOutcome;
  /** the items as they would be stored, new ones first, each marked new or updated */
  items: (InspectedItem & { change: 'new' | 'updated' })[];
  /** new items older than the source's retention allows: not stored (their keys are remembered as pruned) */
  pastRetention: number;
  /** the dedupe key the source had before this read */
  keyBefore: string;
}

export async function inspectSource(req: InspectSourceRequest): Promise<SourceInspection> {
  const { config } = req;
  const configured = config.sources.find((s) => s.id === req.sourceId);
  if (!configured) throw new UnknownSourceError(req.sourceId, config);
  const isUrl = req.target !== undefined && /^https?:\/\//i.test(req.target);
  // Another URL is fetched as the source; a FILE is served to the source's own fetch as if its URL had answered.
  const source = isUrl ? { ...configured, url: req.target! } : configured;
  const now = req.now ?? new Date();
  const stored = await req.store.sourceState(source.id);
  // A plain GET: the point is to see the document, not a 304. Everything else of the state is what the cycle reads.
  const { etag: _etag, lastModified: _modified, ...previous }: SourceState = stored;
  const policy = req.retention?.(now) ?? retentionPolicy(config.retention, config.sources, false);
  const counts = await req.store.countsBySource();
  let refused: Item[] = [];
  let changes: MergeResult | undefined;
  const proxies = new ProxyAgents(config.fetch.connectTimeoutMs);
  const fileFetch = req.target !== undefined && !isUrl ? await servedFile(req.target, req.contentType) : undefined;
  let outcome: IngestOutcome;
  try {
    outcome = await ingestSource(source, previous, {
      fetch: {
        timeoutMs: config.fetch.timeoutMs,
        connectTimeoutMs: config.fetch.connectTimeoutMs,
        maxBytes: config.fetch.maxBytes,
        userAgent: req.userAgent,
        ...(fileFetch ?? req.fetch ? { fetch: (fileFetch ?? req.fetch)! } : {}),
      },
      proxyFor: (s) => (fileFetch ? undefined : proxies.for(s.proxy ?? config.fetch.proxy)),
      store: NOTHING_STORED,
      storeFor: (sourceId, fresh) => req.store.candidates(sourceId, fresh),
      apply: (merged) => {
        changes = merged;
        refused = admitNew(merged.added, policy, { countOf: (id) => counts.get(id) ?? 0 }, now).refused;
        return refused;
      },
      now: () => now,
      idAuthority: new URL(config.baseUrl).hostname,
      dedupe: {
        trackingParams: trackingParams(config.dedupe.trackingParams),
        merge: { titleWindowMs: config.dedupe.titleWindowHours * 3600_000 },
      },
    });
  } finally {
    await proxies.close();
  }
  const notStored = new Set(refused.map((item) => item.id));
  const items = [
    ...(changes?.added ?? []).filter((item) => !notStored.has(item.id)).map((item) => ({ ...inspected(item), change: 'new' as const })),
    ...(changes?.updated ?? []).map((item) => ({ ...inspected(item), change: 'updated' as const })),
  ];
  return { source, outcome, items, pastRetention: notStored.size, keyBefore: stored.dedupeKey ?? 'guid' };
}

/** The one-line account of an inspection, as the operator reads it on stderr. */
export function describeInspection(ins: SourceInspection): string[] {
  const { outcome, source } = ins;
  const lines: string[] = [];
  const changes = outcome.changes;
  const state = outcome.state;
  const parts = [
    `${ins.items.filter((i) => i.change === 'new').length} new`,
    `${changes?.updated.length ?? 0} updated`,
    `${changes?.unchanged ?? 0} unchanged`,
  ];
  if (changes && changes.crossSource > 0) parts.push(`${changes.crossSource} already stored from another source`);
  if (outcome.skipped?.pruned) parts.push(`${outcome.skipped.pruned} pruned earlier by retention`);
  if (outcome.skipped?.filtered) parts.push(`${outcome.skipped.filtered} dropped by the source's filter`);
  if (ins.pastRetention > 0) parts.push(`${ins.pastRetention} past retention, not stored`);
  lines.push(`source ${source.id}: ${state.itemsSeen ?? 0} items read${state.feedTitle ? ` from "${state.feedTitle}"` : ''}: ${parts.join(', ')}`);
  const key = state.dedupeKey ?? 'guid';
  if (outcome.keySwitch) {
    const { mode, switchedFrom } = outcome.keySwitch;
    lines.push(`source ${source.id}: dedupe key ${mode}, not ${switchedFrom.mode}: ${Math.round(switchedFrom.badShare * 100)}% of the items had a blank or repeated ${switchedFrom.mode}`);
  } else if (key !== 'guid') {
    lines.push(`source ${source.id}: dedupe key ${key}, as stored for the source since an earlier fetch`);
  }
  if (state.charsetGuess) {
    lines.push(`source ${source.id}: charset guessed as ${state.charsetGuess}: the document names none and is not UTF-8; set "encoding: ${state.charsetGuess}" on the source if that is right`);
  }
  for (const warning of state.warnings ?? []) lines.push(`source ${source.id}: warning: ${warning}`);
  return lines;
}

/** A fetch that answers the source's URL with a saved file's bytes, so the file goes through the source's own read. */
async function servedFile(file: string, contentType: string | undefined): Promise<FetchFunction> {
  const bytes = await readFile(resolve(file));
  return (async () => new Response(bytes, { status: 200, headers: contentType ? { 'content-type': contentType } : {} })) as unknown as FetchFunction;
}


export interface InspectSourceFlags {
  database?: string | undefined;
  'content-type'?: string | undefined;
}

/** The command: the items as JSON lines on stdout, the account on stderr; returns the exit code. */
export async function inspectSourceCommand(common: CommonOptions, sourceId: string, positionals: string[], flags: InspectSourceFlags): Promise<number> {
  if (positionals.length > 1) return usageError(`tributary inspect --source ID takes at most one FILE or URL\n${USAGE}`);
  const target = positionals[0];
  if (flags['content-type'] !== undefined && (target === undefined || /^https?:\/\//i.test(target))) {
    return usageError('--content-type applies to a FILE; a URL is decoded by the Content-Type its server sends');
  }
  let config: Config;
  let store: StoreBackend;
  let retention: ((now: Date) => RetentionPolicy) | undefined;
  try {
    config = await loadConfig(common.config);
    const database = flags.database ?? (process.env.TRIBUTARY_DATABASE_URL || undefined) ?? (config.store.kind === 'postgres' ? config.store.url : undefined);
    if (database) {
      store = await (await import('../store/pg/pg-store.ts')).PgStore.open({ url: database, pool: 1 });
    } else {
      const items = await ItemStore.open(common.data, { readOnly: true });
      store = new EmbeddedBackend(items);
      retention = (now) => settleRetention(items, config, false, now).policy;
    }
  } catch (err) {
    return reportStartError(err);
  }
  try {
    const inspection = await inspectSource({
      config, sourceId, store, userAgent: config.fetch.userAgent ?? USER_AGENT,
      ...(target !== undefined ? { target } : {}),
      ...(flags['content-type'] !== undefined ? { contentType: flags['content-type'] } : {}),
      ...(retention ? { retention } : {}),
    });
    const { outcome } = inspection;
    if (outcome.status === 'error') {
      process.stderr.write(`tributary inspect: ${outcome.error!.message}\n`);
      return 1;
    }
    process.stdout.write(inspection.items.map((item) => `${JSON.stringify(item)}\n`).join(''));
    process.stderr.write(describeInspection(inspection).map((line) => `${line}\n`).join(''));
    return 0;
  } catch (err) {
    if (err instanceof UnknownSourceError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`tributary inspect: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await store.close();
  }
}
