// Outbound WebSub requests (verifications and content to subscribers, pings to a hub) run in the background
// with retries, so a slow hub or subscriber never holds up a fetch cycle.
//
// Fair across hosts: each host has its own queue, and a freed slot goes to the next host in turn that has work
// and room (at most `perHost` requests to one host at once). One FIFO would let a subscriber whose callbacks
// never answer, queued first, hold every slot for hours while others wait; here it holds `perHost` slots and
// everyone else's requests go past it.

export interface DeliveryQueueOptions {
  /** `retryDelaysMs[i]` is the wait before attempt i + 2; one attempt more than there are delays */
  retryDelaysMs: readonly number[];
  /** requests in flight at once, all hosts together */
  maxInFlight: number;
  /** requests in flight at once to one host */
  perHost: number;
}

export interface DeliveryTask {
  /** the host the request goes to (lower-case name, no port): the queue it waits in */
  host: string;
  /** while a task with this key waits (queued, or its retry sleeping), another with the same key is not added */
  key?: string;
  /** one attempt: true when done, false to try again after the next delay; `signal` aborts it when shutdown runs out of patience */
  attempt(attemptNo: number, signal: AbortSignal): Promise<boolean>;
  /** the attempts ran out */
  onGiveUp?(): void;
  /** the number of the first attempt: a task carried over from the last run continues its count */
  firstAttempt?: number;
}

interface Entry {
  task: DeliveryTask;
  attemptNo: number;
}

interface HostState {
  queued: Entry[];
  active: number;
}

export class DeliveryQueue {
  readonly #o: DeliveryQueueOptions;
  /** hosts with queued or running work, in turn order: the host served last moves to the end */
  readonly #hosts = new Map<string, HostState>();
  readonly #waitingKeys = new Set<string>();
  readonly #sleeping = new Map<NodeJS.Timeout, Entry>();
  readonly #abort = new AbortController();
  #inFlight = 0;
  #queued = 0;
  /** tasks in flight at close that did not finish */
  #abandoned = 0;
  #closed = false;
  #closing: Promise<number> | undefined;
  #onChange: (() => void)[] = [];

  constructor(options: DeliveryQueueOptions) {
    this.#o = { ...options, maxInFlight: Math.max(1, options.maxInFlight), perHost: Math.max(1, options.perHost) };
  }

  /**
   * Queues a task; false when the queue is closed (the caller keeps the work for the next start). A task
   * whose key is already waiting is merged into that one (true): it will run once, with what is current then.
   */
  add(task: DeliveryTask): boolean {
    if (this.#closed) return false;
    if (task.key !== undefined) {
      if (this.#waitingKeys.has(task.key)) return true;
      this.#waitingKeys.add(task.key);
    }
    this.#enqueue({ task, attemptNo: task.firstAttempt ?? 1 });
    this.#pump();
    return true;
  }

  /** Requests queued or sleeping before a retry, and in flight. */
  get size(): { queued: number; sleeping: number; inFlight: number } {
    return { queued: this.#queued, sleeping: this.#sleeping.size, inFlight: this.#inFlight };
  }

  #enqueue(entry: Entry): void {
    const state = this.#hosts.get(entry.task.host) ?? { queued: [], active: 0 };
    if (!this.#hosts.has(entry.task.host)) this.#hosts.set(entry.task.host, state);
    state.queued.push(entry);
    this.#queued++;
  }

  /** Starts queued requests while there are free slots, one host after another. */
  #pump(): void {
    while (!this.#closed && this.#inFlight < this.#o.maxInFlight) {
      const next = this.#nextHost();
      if (next === undefined) break;
      const [host, state] = next;
      const entry = state.queued.shift()!;
      this.#queued--;
      // Served: to the back of the line.
      this.#hosts.delete(host);
      this.#hosts.set(host, state);
      this.#start(entry, state);
    }
    this.#changed();
  }

  /** The first host in turn with queued work and a free slot. At most maxInFlight hosts are full, so this is short. */
  #nextHost(): [string, HostState] | undefined {
    for (const entry of this.#hosts) {
      if (entry[1].queued.length > 0 && entry[1].active < this.#o.perHost) return entry;
    }
    return undefined;
  }

  #start(entry: Entry, state: HostState): void {
    const { task } = entry;
    // From now on a new task of the same key is new work (content changed after this request began).
    if (task.key !== undefined) this.#waitingKeys.delete(task.key);
    this.#inFlight++;
    state.active++;
    task.attempt(entry.attemptNo, this.#abort.signal).catch(() => false).then((done) => {
      this.#inFlight--;
      state.active--;
      if (state.active === 0 && state.queued.length === 0) this.#hosts.delete(task.host);
      // Closed: an unfinished task is the caller's to keep; it neither retries nor gives up.
      if (!done && this.#closed) this.#abandoned++;
      else if (!done) this.#retry(entry);
      this.#pump();
    });
  }

  #retry(entry: Entry): void {
    const delay = this.#o.retryDelaysMs[entry.attemptNo - 1];
    if (delay === undefined) {
      entry.task.onGiveUp?.();
      return;
    }
    const { key } = entry.task;
    // Newer work of the same key is already waiting: it sends what is current, so this retry is redundant.
    if (key !== undefined) {
      if (this.#waitingKeys.has(key)) return;
      this.#waitingKeys.add(key);
    }
    const timer = setTimeout(() => {
      this.#sleeping.delete(timer);
      this.#enqueue({ task: entry.task, attemptNo: entry.attemptNo + 1 });
      this.#pump();
    }, delay);
    // A retry waiting must not keep a finished process alive.
    timer.unref();
    this.#sleeping.set(timer, entry);
  }

  /** Resolves when nothing is queued, sleeping or in flight (once closed: when nothing is in flight). */
  settled(): Promise<void> {
    return this.#until(() => this.#inFlight === 0 && (this.#closed || (this.#queued === 0 && this.#sleeping.size === 0)));
  }

  /** Resolves when nothing is queued or in flight; retries sleeping do not count. */
  idle(): Promise<void> {
    return this.#until(() => this.#inFlight === 0 && (this.#closed || this.#queued === 0));
  }

  #until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        this.#onChange = this.#onChange.filter((c) => c !== check);
        resolve();
      };
      this.#onChange.push(check);
    });
  }

  #changed(): void {
    for (const check of [...this.#onChange]) check();
  }

  /**
   * Stops: no queued request starts any more and sleeping retries are dropped; requests in flight get `graceMs`
   * to finish, then are aborted. Resolves, once none is in flight, with the number of tasks left unfinished
   * (queued, sleeping, aborted): the callers keep what they want to carry over. Calling it again returns the same.
   */
  close(graceMs = Infinity): Promise<number> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<number> {
    this.#closed = true;
    const slept = this.#sleeping.size;
    for (const timer of this.#sleeping.keys()) clearTimeout(timer);
    this.#sleeping.clear();
    let timer: NodeJS.Timeout | undefined;
    if (Number.isFinite(graceMs)) timer = setTimeout(() => this.#abort.abort(new Error('shutting down')), graceMs);
    await this.settled();
    clearTimeout(timer);
    return this.#queued + slept + this.#abandoned;
  }
}
