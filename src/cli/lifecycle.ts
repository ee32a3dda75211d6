// `tributary serve` from start to exit: open, serve stored feeds at once, fetch, follow config edits, and
// stop cleanly on SIGTERM/SIGINT.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { App, ConfigStatus } from '../app.ts';
import { diffSources, isSameConfig, refuseEmptying } from '../config/diff.ts';
import { ConfigError } from '../config/errors.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { watchConfig } from '../config/watch.ts';
import type { Logger } from '../log.ts';
import { RenderedDocs, renderKey, storeStamp } from '../render/rendered-docs.ts';
import { createFeedServer } from '../serve/server.ts';
import { startingSite } from '../starting-site.ts';
import type { OpenReport } from '../store/store.ts';
import { lockDataDir, type WriterLock } from '../store/writer-lock.ts';
import { StoreTooLargeError, watchHeapLimit, type HeapUse } from './heap-limit.ts';
import { followListenAddress } from './listen-address.ts';
import { ListenError } from './start-error.ts';

export interface ServeOptions {
  /** a config file or directory */
  configPath: string;
  dataDir: string;
  port: number;
  host: string;
  recover: boolean;
  purge: boolean;
  /**
   * how long in-flight fetches and WebSub requests may take to finish after SIGTERM before they are aborted
   * (queued WebSub requests do not start; they are kept in websub.json for the next start)
   */
  shutdownGraceMs: number;
  logger: Logger;
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

/** Runs the service until a signal; resolves with the exit code. Throws what it cannot report itself. */
export async function runService(options: ServeOptions, config: Config): Promise<number> {
  // Listening from the start, so a signal during startup also ends in a clean stop rather than a kill.
  const stopRequested = firstSignal();
  const lock = await lockDataDir(options.dataDir, 'serve');
  const loading = { abandoned: false };
  try {
    return await serveWith(options, config, stopRequested, lock, loading);
  } finally {
    lock.release();
    // A load given up on a stop signal goes on in the background: reading cannot be cancelled, and
    // nothing it did needs saving. Ending the process is what stops it, once the exit code is set.
    if (loading.abandoned) setImmediate(() => process.exit());
  }
}

async function serveWith(options: ServeOptions, config: Config, stopRequested: Promise<NodeJS.Signals>, lock: WriterLock, loading: { abandoned: boolean }): Promise<number> {
  const { logger } = options;
  if (!lock.held) logger.warn({ file: lock.file }, `could not create ${lock.file} (the data directory is not writable): another process may write the store meanwhile`);
  const opened = await listenFirst(options, config, stopRequested, loading);
  if ('stoppedBy' in opened) {
    logger.info({ signal: opened.stoppedBy }, 'stopped while the store was loading (nothing was written)');
    return 0;
  }
  const { app, address } = opened;
  // Before "serving on", which scripts wait for: whoever reads up to that line has read the warning.
  warnOfBaseUrlPort(app.config.baseUrl, address.port, logger);
  logger.info({ host: address.address, port: address.port, items: app.store.size }, `serving on http://${options.host}:${address.port}/`);
  app.startSchedule();
  app.runCycle().catch((err) => logger.error({ err }, 'first cycle failed'));

  const reload = serialized(() => reloadConfig(app, options.configPath, logger, (next) => followListenAddress(next, options.host, address.port)), (err) => logger.error({ err }, 'config reload failed'));
  const watcher = await watchConfig(options.configPath, reload, (err) => logger.error({ err }, `watching ${options.configPath} failed; config edits need a restart`));

  const signal = await stopRequested;
  // A second signal means "now": the store file is only ever replaced by rename, so exiting mid-write
  // leaves the previous file (and a temp file the next start removes).
  const hurry = (second: NodeJS.Signals) => {
    logger.warn({ signal: second }, 'second signal: exiting at once');
    process.exit(128 + SIGNAL_NUMBERS[second as keyof typeof SIGNAL_NUMBERS]);
  };
  process.once('SIGINT', hurry);
  process.once('SIGTERM', hurry);
  logger.info({ signal, graceMs: options.shutdownGraceMs }, 'shutting down');
  watcher.close();
  const aborted = await app.stopCycles(options.shutdownGraceMs);
  await app.close();
  logger.info({ aborted, items: app.store.size, savedAt: app.store.savedAt }, 'stopped');
  return 0;
}

/**
 * Listens before the store is loaded, answering from the documents the last run kept in data/rendered/ (when they
 * match the config and the store files as they are now), then loads and renders the store and hands the server
 * over to the app. Logs "listening" once requests are answered and "store loaded" once the store answers them.
 * A stop signal while the store loads ends the start at once (a 1M-item load takes minutes, and a restart would
 * wait for it); a store the heap cannot hold ends it with StoreTooLargeError before V8 aborts the process.
 */
async function listenFirst(options: ServeOptions, config: Config, stopRequested: Promise<NodeJS.Signals>, loading: { abandoned: boolean }):
  Promise<{ app: App; address: { address: string; port: number } } | { stoppedBy: NodeJS.Signals }> {
  const { logger, dataDir } = options;
  const since = new Date();
  const started = performance.now();
  const warn = (message: string, err?: unknown) => logger.warn(err === undefined ? {} : { err }, message);
  const storeFile = join(dataDir, 'store.json');
  // With no baseUrl the links name the address listened on. A port given is known now; port 0 (any free one) only
  // after listening, so documents kept from another run (another port) are not served meanwhile (a key never met).
  const known = options.port !== 0;
  if (known) config = followListenAddress(config, options.host, options.port);
  const key = known || !config.baseUrlFollowsListen ? renderKey(config) : `unknown port ${randomUUID()}`;
  // Stamped before the store is opened: what the documents must have been rendered from is the files as found.
  const docs = await RenderedDocs.open(join(dataDir, 'rendered'), {
    key, stamp: storeStamp([storeFile, join(dataDir, 'sources.json')]), warn,
  });
  const loadedAt = since.toISOString();
  const server = createFeedServer(startingSite({ config, docs, storeFile, since, configStatus: () => ({ files: config.files, loadedAt }) }));
  const address = await listen(server, options.port, options.host);
  logger.info({ host: address.address, port: address.port, renderedDocs: docs.count, ...(docs.refused ? { notServed: docs.refused } : {}), cpuMs: cpuMs() },
    `listening on http://${options.host}:${address.port}/ while the store loads: ${docs.count} rendered document(s) served from ${docs.dir}`);
  if (!known) config = followListenAddress(config, options.host, address.port);
  const heapWatch = watchHeapLimit((heap) => storeTooLarge(storeFile, heap));
  // The pipeline (fetch, parse, store, render: most of the modules and packages) is imported only now, while
  // the kept documents are already being served: importing it first held the port closed for a second.
  const opening = import('../app.ts').then(({ App }) => App.open({
    config, dataDir, logger, recover: options.recover, purge: options.purge, renderedDocs: docs, loadCheckpoint: heapWatch.check,
  }));
  let app: App;
  try {
    const outcome = await Promise.race([opening.then((opened) => ({ app: opened })), stopRequested.then((signal) => ({ signal }))]);
    if ('signal' in outcome) {
      loading.abandoned = true;
      opening.catch(() => {});
      await closeServer(server);
      return { stoppedBy: outcome.signal };
    }
    app = outcome.app;
  } catch (err) {
    await closeServer(server);
    throw err;
  } finally {
    heapWatch.stop();
  }
  logOpened(logger, app.store.file, app.store.opened);
  app.adopt(server);
  logger.info({ items: app.store.size, ms: Math.round(performance.now() - started), cpuMs: cpuMs() }, 'store loaded');
  return { app, address };
}

/**
 * Ends the process with StoreTooLargeError's message, at once: V8 aborts it soon after the heap fills, too soon for
 * an orderly stop, and the load has written nothing. The data directory's lock is released on exit.
 */
function storeTooLarge(storeFile: string, heap: HeapUse): never {
  let bytes = 0;
  try {
    bytes = statSync(storeFile).size;
  } catch {
    // the size is only told
  }
  process.stderr.write(`${new StoreTooLargeError(storeFile, bytes, heap).message}\n`);
  process.exit(1);
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
}

/**
 * CPU time (user + system, every thread) the process has used so far, in ms: on a busy machine the wall time of a
 * start says more about the neighbours than about the start; this says what the start itself cost.
 */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return Math.round((user + system) / 1000);
}

/**
 * Resolves with the address once `server` listens. app.ts has the same (listenOn), but importing it would load
 * the whole pipeline before the port opens.
 */
export async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' || err.code === 'EACCES' ? new ListenError(host, port, err.code) : err);
    });
    server.listen(port, host, () => resolve());
  });
  return server.address() as AddressInfo;
}

/** Validates the changed config; applies it if valid, else keeps the running one and says why. */
/** A running service as a config reload sees it: both stores' apps. */
export interface ReloadTarget {
  readonly config: Config;
  configStatus: ConfigStatus;
}

/**
 * Reads and validates the edited config for a running service. A refused edit is written to the target's config
 * status (the index shows it as a banner: `rerender` writes the pages again) and gives undefined; so does an edit
 * that changes nothing (a refusal it fixed is cleared). Otherwise the new config, which the caller applies after
 * setting the status.
 */
export async function readReloaded(target: ReloadTarget, path: string, logger: Logger, rerender: () => Promise<unknown>,
  asServed: (config: Config) => Config = (config) => config): Promise<Config | undefined> {
  let next;
  try {
    next = asServed(await loadConfig(path));
    refuseEmptying(target.config, next, path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    target.configStatus = { ...target.configStatus, error: err.message, errorAt: new Date().toISOString() };
    logger.error({ problems: err.problems }, `config change rejected, the previous config keeps running:\n${err.message}`);
    // the index shows the refusal as a banner until a valid file is loaded
    await rerender();
    return undefined;
  }
  if (isSameConfig(target.config, next)) {
    const hadError = target.configStatus.error !== undefined;
    target.configStatus = { files: next.files, loadedAt: target.configStatus.loadedAt };
    // the file was fixed back to what runs: the index's banner goes
    if (hadError) await rerender();
    return undefined;
  }
  // Before the render that applying the config does, so the index it writes has no banner of a refusal the new file fixed.
  target.configStatus = { files: next.files, loadedAt: new Date().toISOString() };
  return next;
}

async function reloadConfig(app: App, path: string, logger: Logger, asServed: (config: Config) => Config): Promise<void> {
  const next = await readReloaded(app, path, logger, () => app.renderBetweenCycles(), asServed);
  if (!next) return;
  const changes = diffSources(app.config, next);
  await app.useConfig(next);
  logger.info({ files: next.files, sources: next.sources.length, fetch: changes.fetchNow, removed: changes.removed }, 'config reloaded');
  for (const id of changes.reread) {
    const { etag: _etag, lastModified: _lastModified, ...state } = app.store.sourceState(id);
    app.store.setSourceState(state);
  }
  // A cycle even with nothing to fetch: it prunes by the rules now in force, writes down a stricter retention the edit
  // asked for (so its day of grace counts from now, across a restart too) and re-renders.
  // Forced: a nextFetch (a ttl, Cache-Control, a backoff) earned under the old config, often by another URL, must
  // not hold back what the README promises is fetched at once.
  await app.runCycle(changes.fetchNow, { force: true });
}

/** One run at a time; calls arriving meanwhile collapse into one more run afterwards. */
export function serialized(run: () => Promise<void>, onError: (err: unknown) => void): () => void {
  let running = false;
  let again = false;
  const loop = async () => {
    running = true;
    do {
      again = false;
      await run().catch(onError);
    } while (again);
    running = false;
  };
  return () => {
    if (running) again = true;
    else void loop();
  };
}

export function firstSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function logOpened(logger: Logger, file: string, opened: OpenReport): void {
  if (opened.staleTemps.length > 0) logger.warn({ file, removed: opened.staleTemps }, 'removed temp files of an interrupted write');
  if (opened.migratedFrom !== undefined) {
    logger.info({ file, from: opened.migratedFrom, copy: opened.preMigrationCopy }, `store migrated from schema version ${opened.migratedFrom}; the old file is kept at ${opened.preMigrationCopy}`);
  }
  if (opened.duplicatesDropped) {
    logger.warn({ file, duplicates: opened.duplicatesDropped }, `store held ${opened.duplicatesDropped} duplicate item(s) (same id, or same source and key): kept once each; the file is rewritten at the next write`);
  }
  const r = opened.recovery;
  if (r) {
    logger.warn({ file, movedTo: r.movedTo, restoredFrom: r.restoredFrom ?? null, skipped: r.skipped },
      r.restoredFrom ? `recovered: unreadable store moved to ${r.movedTo}; continuing from backup ${r.restoredFrom}`
        : `recovered: unreadable store moved to ${r.movedTo}; no readable backup, starting empty`);
  }
}

/**
 * A loopback baseUrl (the default is http://127.0.0.1:8080) naming another port than the one listened on: every link
 * of the feeds, the index and the OPML leads to a port where this service is not. Said once at start; a public
 * baseUrl is behind a proxy by design and says nothing of the port here.
 */
export function warnOfBaseUrlPort(baseUrl: string, port: number, logger: Logger): void {
  const url = new URL(baseUrl);
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\./.test(url.hostname);
  const named = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (!loopback || named === port) return;
  logger.warn({ baseUrl, port }, `baseUrl ${baseUrl} names port ${named}, but the service listens on ${port}: the links of every feed, the index and the OPML lead to port ${named}; set baseUrl to this service's address`);
}
