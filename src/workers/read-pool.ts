// A pool of worker threads that parse and normalize fetched documents, so that reading a 12,000-item feed never
// holds the thread that serves the feeds. node:worker_threads directly, not piscina: the pool needs only a queue,
// per-document limits and replacement of a killed worker — about what piscina's options would take to configure —
// and piscina would be a new dependency (no new ones without need, BRIEF) with its own worker bootstrapping, which
// the .ts-under-tsx case below needs anyway.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { PageSelectors } from '../config/selector.ts';
import { FullTextError } from '../fulltext/errors.ts';
import type { ExtractRule, Extraction } from '../fulltext/extract.ts';
import type { DocumentContext } from '../ingest.ts';
import type { Item } from '../model.ts';
import { ReadLimitError } from './read-errors.ts';
import { defaultNiceness } from './priority.ts';
import { startWorker } from './start-worker.ts';
import { threadCpuMs } from './thread-time.ts';
import { uncrossError, type DocumentRead, type ReadReply, type ReadRequest, type WorkerRequest } from './read-task.ts';

export interface ReadPoolOptions {
  /** worker threads at most (default: one less than the cores Node may use, at least 1, at most 4) */
  size?: number;
  /**
   * a document whose worker has spent this much CPU time on it is dropped and its worker replaced (default 10 s); or
   * once WALL_FACTOR times as much wall time went by, for a worker starved of CPU. Wall time alone where threads' CPU
   * times cannot be read (not Linux).
   */
  timeLimitMs?: number;
  /** old-generation heap of each worker; a document that needs more is dropped, its worker replaced (default 256 MB) */
  memoryLimitMb?: number;
  /** an idle worker is stopped after this long, so its heap goes back between cycles (default 30 s) */
  idleMs?: number;
  /**
   * nice value of each worker thread (Linux: per thread; 0 to 19), so that on a busy machine the serving thread
   * gets the CPU first and reading takes the time left (default 19, or TRIBUTARY_WORKER_NICENESS: priority.ts)
   */
  niceness?: number;
  /** reads a worker thread's CPU time in ms (default: threadCpuMs, from /proc); a test's to replace */
  cpuTimeOf?: (tid: number) => number | undefined;
}

/**
 * One core stays with the serving thread (HTTP, fetch I/O, dedupe, store, render); the others read. 4 at most:
 * each worker may grow to its memory limit, and a cycle is bound by the network long before 4 readers are busy.
 */
export function defaultPoolSize(): number {
  return Math.max(1, Math.min(availableParallelism() - 1, 4));
}

const DEFAULTS = { timeLimitMs: 10_000, memoryLimitMb: 256, idleMs: 30_000 };

/**
 * A document is dropped after timeLimitMs of its worker's CPU time, or this many times timeLimitMs of wall time,
 * whichever comes first: at nice 19 beside busy processes a worker may get a few percent of a core, and a document
 * must still end some time.
 */
export const WALL_FACTOR = 6;

/** Shortest wait before the CPU time of a worker is read again. */
const MIN_RECHECK_MS = 50;

/** The worker's last message about a task that went well. */
type Finished = Extract<ReadReply, { type: 'done' | 'extracted' }>;

interface Task {
  request: WorkerRequest;
  items: Item[];
  finish: (message: Finished, items: Item[]) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** the worker's thread id, when its CPU time can be read */
  tid?: number;
  task?: Task;
  /** the task's start: wall time, and the worker's CPU time (ms) */
  startedAt?: number;
  cpuAtStart?: number;
  timer?: NodeJS.Timeout;
  idle?: NodeJS.Timeout;
}

/** Reads documents on worker threads, one document per worker at a time, in the order asked. */
export class ReadPool {
  readonly #size: number;
  readonly #limits: typeof DEFAULTS & { niceness: number };
  readonly #slots = new Set<Slot>();
  readonly #queue: Task[] = [];
  readonly #cpuTimeOf: (tid: number) => number | undefined;
  #closed = false;

  constructor(options: ReadPoolOptions = {}) {
    this.#size = Math.max(1, options.size ?? defaultPoolSize());
    this.#limits = {
      timeLimitMs: options.timeLimitMs ?? DEFAULTS.timeLimitMs,
      memoryLimitMb: options.memoryLimitMb ?? DEFAULTS.memoryLimitMb,
      idleMs: options.idleMs ?? DEFAULTS.idleMs,
      niceness: options.niceness ?? defaultNiceness(),
    };
    this.#cpuTimeOf = options.cpuTimeOf ?? threadCpuMs;
  }

  /** Worker threads running now (they start on demand and stop when idle). */
  get threads(): number {
    return this.#slots.size;
  }

  /**
   * Parses and normalizes one document on a worker; rejects as the in-thread reader would, or with ReadLimitError.
   * ctx.trackingParams is not sent (a function does not cross): the worker matches `trackingParams`, the names
   * it was built from (the default list when absent).
   */
  read(text: string, ctx: DocumentContext, select?: PageSelectors, trackingParams?: readonly string[]): Promise<DocumentRead> {
    if (this.#closed) return Promise.reject(new Error('the read pool is closed (shutdown)'));
    const { trackingParams: _matcher, ...plain } = ctx;
    const request: ReadRequest = { type: 'read', text, ctx: plain, ...(select ? { select } : {}), ...(trackingParams ? { trackingParams } : {}) };
    return new Promise<DocumentRead>((resolve, reject) => {
      const finish = (message: Finished, items: Item[]) => (message.type === 'done' ? resolve({ feed: message.feed, items }) : reject(new Error('a read worker answered a feed with an article')));
      this.#enqueue({ request, items: [], finish, reject });
    });
  }

  /**
   * Extracts the article of one item page (fullText) on a worker, under the same time and memory limits as a
   * document: rejects with FullTextError, as extractArticle does in-thread, also when the page passes a limit.
   */
  extract(text: string, pageUrl: string, rule: ExtractRule, sourceId: string): Promise<Extraction> {
    if (this.#closed) return Promise.reject(new Error('the read pool is closed (shutdown)'));
    const { select, remove } = rule;
    const request: WorkerRequest = { type: 'extract', sourceId, text, pageUrl, rule: { ...(select === undefined ? {} : { select }), ...(remove ? { remove } : {}) } };
    return new Promise<Extraction>((resolve, reject) => {
      const finish = (message: Finished) => (message.type === 'extracted' ? resolve(message.extraction) : reject(new Error('a read worker answered a page with a feed')));
      this.#enqueue({ request, items: [], finish, reject });
    });
  }

  #enqueue(task: Task): void {
    this.#queue.push(task);
    this.#dispatch();
  }

  /**
   * Stops the workers that have nothing to read now, instead of after idleMs: a fetch cycle calls it once every
   * document is read, so their heaps are not held beside the render that follows. Later reads start workers again.
   */
  async stopIdle(): Promise<void> {
    // Documents still waiting: the workers (started or starting) are about to take them.
    if (this.#queue.length > 0) return;
    const idle = [...this.#slots].filter((slot) => !slot.task);
    await Promise.all(idle.map((slot) => this.#retire(slot)));
  }

  /** Stops every worker; documents not yet read are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0)) task.reject(new Error('the read pool closed before this document was read (shutdown)'));
    await Promise.all([...this.#slots].map((slot) => this.#retire(slot, new Error('the read pool closed while this document was read (shutdown)'))));
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.ready && !slot.task) this.#start(slot, this.#queue.shift()!);
    }
    // A worker being started takes a waiting document once it says it is ready.
    let starting = [...this.#slots].filter((s) => !s.ready).length;
    while (starting < this.#queue.length && this.#slots.size < this.#size) {
      this.#spawn();
      starting++;
    }
  }

  #start(slot: Slot, task: Task): void {
    clearTimeout(slot.idle);
    slot.task = task;
    // A busy worker keeps the process alive (fetch --once waits for it); an idle one does not.
    slot.worker.ref();
    // The clock starts when the worker has the document: starting a worker (and, under tsx, transpiling) is not the document's.
    slot.startedAt = performance.now();
    slot.cpuAtStart = slot.tid === undefined ? undefined : this.#cpuTimeOf(slot.tid);
    slot.timer = setTimeout(() => this.#checkTime(slot, task), this.#limits.timeLimitMs);
    slot.worker.postMessage(task.request);
  }

  /** At each deadline: drop the document if its worker ran timeLimitMs of CPU on it (or the wall limit passed), else wait on. */
  #checkTime(slot: Slot, task: Task): void {
    if (slot.task !== task) return;
    const limit = this.#limits.timeLimitMs;
    const wall = performance.now() - slot.startedAt!;
    const cpuNow = slot.tid === undefined ? undefined : this.#cpuTimeOf(slot.tid);
    const cpu = cpuNow === undefined || slot.cpuAtStart === undefined ? wall : cpuNow - slot.cpuAtStart;
    if (cpu >= limit || wall >= limit * WALL_FACTOR) return this.#fail(slot, limitError(task.request, 'time', limit));
    const wait = Math.max(MIN_RECHECK_MS, Math.min(limit - cpu, limit * WALL_FACTOR - wall));
    slot.timer = setTimeout(() => this.#checkTime(slot, task), wait);
  }

  #spawn(): void {
    const worker = startWorker('read-worker', {
      resourceLimits: { maxOldGenerationSizeMb: this.#limits.memoryLimitMb }, niceness: this.#limits.niceness,
    });
    const slot: Slot = { worker, ready: false };
    this.#slots.add(slot);
    worker.on('message', (message: ReadReply) => this.#onMessage(slot, message));
    worker.on('error', (err: Error & { code?: string }) => {
      const task = slot.task;
      if (task && err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        this.#fail(slot, limitError(task.request, 'memory', this.#limits.memoryLimitMb));
      } else if (task) {
        this.#fail(slot, err);
      } else if (!slot.ready) {
        // A worker that cannot start would be replaced forever: the documents waiting get why instead.
        this.#slots.delete(slot);
        for (const waiting of this.#queue.splice(0)) waiting.reject(new Error(`a read worker could not start: ${err.message}`, { cause: err }));
      }
    });
    worker.on('exit', () => {
      const task = slot.task;
      this.#forget(slot);
      if (task) task.reject(stoppedError(task.request));
      if (!this.#closed) this.#dispatch();
    });
  }

  #onMessage(slot: Slot, message: ReadReply): void {
    // A worker stopped while it was starting (stopIdle) may still say it is ready: it takes nothing.
    if (!this.#slots.has(slot)) return;
    if (message.type === 'ready') {
      slot.ready = true;
      if (message.tid !== undefined) slot.tid = message.tid;
      this.#idle(slot);
      return;
    }
    const task = slot.task;
    if (!task) return;
    if (message.type === 'items') {
      for (const item of message.items) task.items.push(item);
      return;
    }
    this.#release(slot);
    if (message.type === 'failed') task.reject(uncrossError(message.error));
    else task.finish(message, task.items);
    this.#idle(slot);
  }

  /** The worker is done with its document; it takes the next one, or waits, unref'd, and stops after idleMs. */
  #idle(slot: Slot): void {
    if (this.#closed) return;
    const next = this.#queue.shift();
    if (next) return this.#start(slot, next);
    slot.worker.unref();
    slot.idle = setTimeout(() => void this.#retire(slot), this.#limits.idleMs).unref();
  }

  #release(slot: Slot): void {
    clearTimeout(slot.timer);
    delete slot.task;
  }

  /** The document failed in a way that may have left the worker unusable (limit, crash): it is replaced. */
  #fail(slot: Slot, err: Error): void {
    const task = slot.task;
    this.#release(slot);
    task?.reject(err);
    void this.#retire(slot);
  }

  async #retire(slot: Slot, reason?: Error): Promise<void> {
    const task = slot.task;
    this.#release(slot);
    if (task && reason) task.reject(reason);
    this.#forget(slot);
    await slot.worker.terminate();
    if (!this.#closed) this.#dispatch();
  }

  #forget(slot: Slot): void {
    clearTimeout(slot.timer);
    clearTimeout(slot.idle);
    this.#slots.delete(slot);
  }
}

/**
 * A document or page over a worker's limit. A page's failure is a FullTextError, so that its source's /status
 * shows the reason as for any page without an article; the limit itself is its cause.
 */
function limitError(request: WorkerRequest, limit: ReadLimitError['limit'], max: number): Error {
  if (request.type === 'read') return new ReadLimitError(request.ctx.sourceId, request.ctx.url, limit, max);
  const error = new ReadLimitError(request.sourceId, request.pageUrl, limit, max);
  const what = limit === 'time' ? `took longer than ${error.maxText}` : `ran out of its ${max} MB memory`;
  return new FullTextError(request.pageUrl, `extracting the article ${what}; the page was dropped and its read worker replaced`, { cause: error });
}

function stoppedError(request: WorkerRequest): Error {
  if (request.type === 'read') return new Error(`source ${request.ctx.sourceId} (${request.ctx.url}): the read worker stopped while reading this document`);
  return new FullTextError(request.pageUrl, 'the read worker stopped while extracting the article');
}
