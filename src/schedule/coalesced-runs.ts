// A task run one at a time, where asking while it runs means "run once more after it": however many callers ask
// meanwhile, one more run follows, which sees everything they asked for. Used by the PostgreSQL store's renderer
// (shared-app.ts) and its followers of the published documents (store/pg/rendered.ts).

export class CoalescedRuns {
  readonly #task: () => Promise<void>;
  readonly #stopped: () => boolean;
  #running: Promise<void> | undefined;
  #again = false;

  /** `stopped`: once true, no further run is started after the current one */
  constructor(task: () => Promise<void>, stopped: () => boolean) {
    this.#task = task;
    this.#stopped = stopped;
  }

  /** Starts a run, or asks for one more after the current one; resolves when the current (or started) run ends. */
  run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#task().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped()) {
        this.#again = false;
        void this.run();
      }
    });
    return this.#running;
  }

  /** the run in progress, if any (to wait for it at shutdown) */
  get running(): Promise<void> | undefined {
    return this.#running;
  }
}
