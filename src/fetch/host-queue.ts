// Politeness: a global limit on fetches in flight and a smaller one per host. A plain limiter over a list
// would let a run of sources on one busy host occupy every worker while other hosts wait; here a freed slot
// goes to the first waiting task whose host has room.

export interface HostQueueOptions {
  /** fetches in flight at once, all hosts together */
  concurrency: number;
  /** fetches in flight at once to one host */
  perHost: number;
}

interface Waiting {
  host: string;
  start: () => void;
}

export class HostQueue {
  readonly #concurrency: number;
  readonly #perHost: number;
  readonly #active = new Map<string, number>();
  #running = 0;
  #waiting: Waiting[] = [];

  constructor(options: HostQueueOptions) {
    this.#concurrency = Math.max(1, options.concurrency);
    this.#perHost = Math.max(1, options.perHost);
  }

  /** Runs task once a global slot and a slot for host are free; settles as the task does. */
  run<T>(host: string, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.#running++;
        this.#active.set(host, (this.#active.get(host) ?? 0) + 1);
        task().then(resolve, reject).finally(() => this.#release(host));
      };
      if (this.#hasRoom(host)) start();
      else this.#waiting.push({ host, start });
    });
  }

  /** Tasks waiting for a slot. */
  get pending(): number {
    return this.#waiting.length;
  }

  #hasRoom(host: string): boolean {
    return this.#running < this.#concurrency && (this.#active.get(host) ?? 0) < this.#perHost;
  }

  #release(host: string): void {
    this.#running--;
    const left = (this.#active.get(host) ?? 1) - 1;
    if (left === 0) this.#active.delete(host);
    else this.#active.set(host, left);
    while (this.#running < this.#concurrency) {
      const index = this.#waiting.findIndex((w) => this.#hasRoom(w.host));
      if (index < 0) return;
      const [next] = this.#waiting.splice(index, 1);
      next!.start();
    }
  }
}

/** The host part used for politeness: host name without port, lower case. */
export function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return url;
  }
}
