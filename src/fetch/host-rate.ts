// hosts.<host>.perMinute: at most N requests started to one host in any rolling minute. A sibling of
// host-queue.ts, which bounds requests in flight; this bounds their rate, which is what public RSSHub instances
// and other shared bridges publish as their limit. The clock and the wait are passed in, so tests move time.

export interface HostRateOptions {
  /** the limit for a host, or undefined for none */
  perMinute: (host: string) => number | undefined;
  now: () => Date;
  /** waits ms (on the injected clock); may resolve early when the service stops */
  sleep: (ms: number) => Promise<void>;
}

const WINDOW_MS = 60_000;

export class HostRate {
  readonly #options: HostRateOptions;
  readonly #starts = new Map<string, number[]>();

  constructor(options: HostRateOptions) {
    this.#options = options;
  }

  /** Resolves once a request to host may start within its rate; records the start. */
  async acquire(host: string, signal?: AbortSignal): Promise<void> {
    const limit = this.#options.perMinute(host);
    if (!limit) return;
    for (;;) {
      const now = this.#options.now().getTime();
      const recent = (this.#starts.get(host) ?? []).filter((at) => at > now - WINDOW_MS);
      if (recent.length < limit || signal?.aborted) {
        recent.push(now);
        this.#starts.set(host, recent);
        return;
      }
      this.#starts.set(host, recent);
      await this.#options.sleep(recent[0]! + WINDOW_MS - now);
    }
  }
}
