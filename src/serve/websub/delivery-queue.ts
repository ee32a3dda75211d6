/**
 * Outbound WebSub requests (pings to a hub, content to subscribers) run in the background with retries, so a
 * slow hub or subscriber never holds up a fetch cycle. settled() lets a caller (shutdown, a test) wait for
 * all of them; close() drops the retries still waiting and waits for the requests in flight.
 */
export class DeliveryQueue {
  readonly #delays: readonly number[];
  readonly #maxInFlight: number;
  readonly #running = new Set<Promise<void>>();
  readonly #sleeping = new Map<NodeJS.Timeout, () => void>();
  readonly #waitingForSlot: (() => void)[] = [];
  #inFlight = 0;
  #closed = false;

  /**
   * `delaysMs[i]` is the wait before attempt i + 2; one attempt more than there are delays. At most
   * `maxInFlight` requests run at once: a render that changed forty feeds does not hit a hub with 120 at once.
   */
  constructor(delaysMs: readonly number[], maxInFlight = 4) {
    this.#delays = delaysMs;
    this.#maxInFlight = maxInFlight;
  }

  /** Runs `attempt` until it returns true or the attempts run out; then `onGiveUp`. */
  add(attempt: (attemptNo: number) => Promise<boolean>, onGiveUp: () => void): void {
    if (this.#closed) return;
    const task = this.#run(attempt, onGiveUp).finally(() => this.#running.delete(task));
    this.#running.add(task);
  }

  async #run(attempt: (attemptNo: number) => Promise<boolean>, onGiveUp: () => void): Promise<void> {
    for (let i = 0; ; i++) {
      if (await this.#withSlot(() => attempt(i + 1))) return;
      const delay = this.#delays[i];
      if (delay === undefined || this.#closed) break;
      await this.#sleep(delay);
      if (this.#closed) break;
    }
    onGiveUp();
  }

  /** A finished request hands its slot straight to the next waiting one, so the count never overshoots. */
  async #withSlot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#inFlight < this.#maxInFlight) this.#inFlight++;
    else await new Promise<void>((resolve) => this.#waitingForSlot.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.#waitingForSlot.shift();
      if (next) next();
      else this.#inFlight--;
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#sleeping.delete(timer);
        resolve();
      }, ms);
      // A retry waiting must not keep a finished process alive.
      timer.unref();
      this.#sleeping.set(timer, resolve);
    });
  }

  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const [timer, wake] of this.#sleeping) {
      clearTimeout(timer);
      wake();
    }
    this.#sleeping.clear();
    await this.settled();
  }
}
