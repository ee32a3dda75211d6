// The worker thread that renders the feeds after a cycle (render-worker.ts), so that rendering 1,000 feeds in three
// formats and compressing them (seconds of CPU) is not done on the thread that answers requests. The serving
// thread only hands over each document's items and takes back the bytes; it yields between batches. Should the
// worker fail, the pass is rendered on the serving thread instead, yielding (render/yielding-render.ts).
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import type { FeedDocument, KeptFeed, RenderContext } from '../render/render-feed.ts';
import { renderFeedsYielding } from '../render/yielding-render.ts';
import { crossDoc, uncrossFeed, type CrossedFeed, type RenderReply, type RenderRequest } from './render-task.ts';
import { defaultNiceness } from './priority.ts';
import { startWorker } from './start-worker.ts';

export interface RenderThreadOptions {
  /**
   * nice value of the worker thread (Linux: per thread; 0 to 19): how readily it gives the CPU to the serving thread
   * and everything else on the machine (default 19, or TRIBUTARY_WORKER_NICENESS: priority.ts)
   */
  niceness?: number;
  /** an idle worker is stopped after this long, so its memory goes back between cycles (default 30 s) */
  idleMs?: number;
  /**
   * passes of fewer documents are rendered on the serving thread, yielding (default 32): a few feeds take a few
   * milliseconds each there, less than starting the worker costs
   */
  minDocs?: number;
  /** told when the worker failed and a render pass was made on the serving thread instead */
  onFallback?: (err: Error) => void;
}

/** Documents per message: small enough that handing one batch over (a structured clone) takes a millisecond or two. */
const BATCH_DOCS = 8;
/** Batches handed over and not yet back: keeps the worker busy while bounding the memory in flight. */
const IN_FLIGHT = 4;
const DEFAULTS = { idleMs: 30_000, minDocs: 32 };

interface Pending {
  resolve: (feeds: CrossedFeed[]) => void;
  reject: (err: Error) => void;
}

export class RenderThread {
  readonly #options: Required<Omit<RenderThreadOptions, 'onFallback'>> & Pick<RenderThreadOptions, 'onFallback'>;
  #worker: Worker | undefined;
  #ready: Promise<Worker> | undefined;
  #idle: NodeJS.Timeout | undefined;
  readonly #pending = new Map<number, Pending>();
  #pass = 0;
  #batch = 0;
  #closed = false;
  /** passes on the worker under way */
  #rendering = 0;

  constructor(options: RenderThreadOptions = {}) {
    this.#options = { ...DEFAULTS, niceness: defaultNiceness(), ...options };
  }

  /** Every document in the three formats, the bytes renderFeed() makes, in the order given. */
  async render(docs: readonly FeedDocument[], ctx: RenderContext): Promise<KeptFeed[]> {
    if (docs.length === 0) return [];
    if (this.#closed || docs.length < this.#options.minDocs) return renderFeedsYielding(docs, ctx);
    try {
      return await this.#renderOnWorker(docs, ctx);
    } catch (err) {
      this.#options.onFallback?.(err as Error);
      return renderFeedsYielding(docs, ctx);
    }
  }

  /** whether the worker thread is up (started, not stopped since) */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /**
   * Stops the worker now if it has nothing to render, rather than after idleMs: a fetch cycle about to read (and
   * start the read workers) would otherwise keep its heap meanwhile. The next render starts it again.
   */
  async stopIdle(): Promise<void> {
    const worker = this.#worker;
    if (!worker || this.#pending.size > 0 || this.#rendering > 0) return;
    clearTimeout(this.#idle);
    this.#worker = undefined;
    this.#ready = undefined;
    await worker.terminate();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idle);
    const worker = this.#worker;
    this.#worker = undefined;
    this.#ready = undefined;
    this.#failAll(new Error('the render thread closed (shutdown)'));
    await worker?.terminate();
  }

  async #renderOnWorker(docs: readonly FeedDocument[], ctx: RenderContext): Promise<KeptFeed[]> {
    this.#rendering++;
    try {
      return await this.#renderPass(docs, ctx);
    } finally {
      this.#rendering--;
    }
  }

  async #renderPass(docs: readonly FeedDocument[], ctx: RenderContext): Promise<KeptFeed[]> {
    const worker = await this.#start();
    clearTimeout(this.#idle);
    worker.ref();
    const pass = ++this.#pass;
    const { ruleTags, ...crossed } = ctx;
    this.#post(worker, { type: 'context', pass, ctx: crossed, hasRuleTags: ruleTags !== undefined });
    const batches: Promise<KeptFeed[]>[] = [];
    const inFlight = new Set<Promise<unknown>>();
    try {
      for (let i = 0; i < docs.length; i += BATCH_DOCS) {
        while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
        // Each hand-over is its own turn of the event loop: requests waiting meanwhile go between.
        await nextTurn();
        const batch = ++this.#batch;
        const done = new Promise<CrossedFeed[]>((resolve, reject) => this.#pending.set(batch, { resolve, reject }));
        const tracked = done.then(() => undefined, () => undefined).finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
        // Each batch's bytes are taken in as it comes back, not all 3,000 documents' at the end in one go.
        batches.push(done.then((feeds) => feeds.map(uncrossFeed)));
        this.#post(worker, { type: 'render', pass, batch, docs: docs.slice(i, i + BATCH_DOCS).map((doc) => crossDoc(doc, ruleTags)) });
      }
      return (await Promise.all(batches)).flat();
    } finally {
      // Whatever happened, no batch of this pass is waited for any more.
      await Promise.allSettled(batches);
      if (this.#worker === worker && this.#pending.size === 0) this.#rest(worker);
    }
  }

  #post(worker: Worker, request: RenderRequest): void {
    worker.postMessage(request);
  }

  #start(): Promise<Worker> {
    this.#ready ??= new Promise<Worker>((resolve, reject) => {
      const worker = startWorker('render-worker', { niceness: this.#options.niceness });
      this.#worker = worker;
      worker.on('message', (message: RenderReply) => {
        if (message.type === 'ready') return resolve(worker);
        const pending = this.#pending.get(message.batch);
        this.#pending.delete(message.batch);
        if (message.type === 'rendered') pending?.resolve(message.feeds);
        else pending?.reject(new Error(`the render worker failed: ${message.message}`));
      });
      worker.on('error', (err) => {
        reject(err);
        this.#forget(worker, err);
      });
      worker.on('exit', (code) => this.#forget(worker, new Error(`the render worker stopped (exit code ${code})`)));
    });
    return this.#ready;
  }

  /** Nothing to render: the worker does not keep the process alive, and stops after idleMs. */
  #rest(worker: Worker): void {
    worker.unref();
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      if (this.#worker !== worker || this.#pending.size > 0) return;
      this.#worker = undefined;
      this.#ready = undefined;
      void worker.terminate();
    }, this.#options.idleMs).unref();
  }

  /** The worker is gone: the next pass starts another; the batches it had fail (their pass falls back). */
  #forget(worker: Worker, err: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    this.#ready = undefined;
    this.#failAll(err);
  }

  #failAll(err: Error): void {
    for (const pending of this.#pending.values()) pending.reject(err);
    this.#pending.clear();
  }
}
