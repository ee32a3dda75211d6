// Deliveries of a hub whose subscriptions several instances share (the PostgreSQL store): the content owed to each
// subscriber is a row queued with the publication itself, and an instance sends it only while it holds a lease on
// that row, so each change reaches each subscriber once across the instances. A killed instance's lease runs out
// and another instance takes the row; that retry is an attempt like any other (the subscriber may have received
// the killed one's request: WebSub content is the topic's current state, so a second copy is harmless).
//
// The rules are the embedded hub's: the current content is sent, signed with the subscription's secret; a failed
// attempt is tried again after a minute, ten minutes and an hour, then given up; a change during a send is sent
// again; the requests go through the same fair queue (delivery-queue.ts), guard and timeout.
import { hostOf } from '../../fetch/host-queue.ts';
import type { Logger } from '../../log.ts';
import { CoalescedRuns } from '../../schedule/coalesced-runs.ts';
import { sendContent, type ContentOptions, type TopicContent } from './content.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import type { HubDeliveries } from './hub.ts';
import type { OutboundOptions } from './request.ts';
import type { PendingDelivery } from './subscriptions.ts';

/** A row of content owed, as taken under a lease. */
export interface LeasedDelivery {
  topic: string;
  callback: string;
  /** the published document of the topic */
  name: string;
  /** this attempt's number: the attempts so far, this one included */
  attemptNo: number;
  /** publications queued for the row when it was taken: another since means its content changed during the send */
  changes: number;
  secret?: string;
  /** ISO 8601: the subscription's lease ends then */
  expires: string;
  /** the instance whose lease ran out, when this is a take-over */
  stolenFrom?: string;
}

/** The shared rows of content owed (store/pg/websub-deliveries.ts). */
export interface DeliveryLeases {
  /** up to `limit` rows due that nobody holds (or whose holder's lease ran out), counted as an attempt each */
  take(limit: number, leaseMs: number): Promise<LeasedDelivery[]>;
  /** the current bytes of published documents */
  content(names: readonly string[]): Promise<Map<string, TopicContent>>;
  /** renews the lease before a request; false when another instance holds the row now */
  hold(d: LeasedDelivery, leaseMs: number): Promise<boolean>;
  /** sent, given up or no longer owed: the row goes, unless a change came meanwhile (then it is due again, afresh) */
  finish(d: LeasedDelivery): Promise<void>;
  /** failed: due again in `delayMs` */
  retryIn(d: LeasedDelivery, delayMs: number): Promise<void>;
  /** not attempted (shutdown): due now for any instance, this attempt not counted */
  release(d: LeasedDelivery): Promise<void>;
}

export interface LeasedDeliveriesOptions {
  leases: DeliveryLeases;
  queue: DeliveryQueue;
  hubUrl: string;
  outbound: OutboundOptions;
  retryDelaysMs: readonly number[];
  now: () => Date;
  log: Logger;
  onDelivery?: (outcome: 'ok' | 'retry' | 'failed') => void;
  /**
   * a lease on a row (ms; default the request timeout and 15 s: renewed before each request, so it covers one
   * request and the writes after it, not the wait in the queue)
   */
  leaseMs?: number;
  /** the wait between two looks for rows due (ms; default 5 s): retries, and rows of a killed instance */
  everyMs?: number;
}

/** A lease's time beyond the request's timeout: for the writes after it, and a busy event loop. */
export const LEASE_MARGIN_MS = 15_000;
/** Rows one instance holds at once: a few rounds of the queue's eight requests in flight. */
const MAX_HELD = 16;

export class LeasedDeliveries implements HubDeliveries {
  readonly #o: LeasedDeliveriesOptions;
  readonly #content: ContentOptions;
  readonly #leaseMs: number;
  readonly #held = new Set<LeasedDelivery>();
  readonly #passes = new CoalescedRuns(() => this.#pass(), () => this.#closed);
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #steals = 0;

  constructor(options: LeasedDeliveriesOptions) {
    this.#o = options;
    this.#content = { hubUrl: options.hubUrl, outbound: options.outbound, log: options.log, ...(options.onDelivery ? { onDelivery: options.onDelivery } : {}) };
    this.#leaseMs = options.leaseMs ?? options.outbound.timeoutMs + LEASE_MARGIN_MS;
  }

  /** Looks for rows due every few seconds from now on. */
  start(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => void this.deliver(), this.#o.everyMs ?? 5_000).unref();
    void this.deliver();
  }

  /** Deliveries taken over from an instance whose lease ran out. */
  get steals(): number {
    return this.#steals;
  }

  /** The publication queued its rows in the database: send them now rather than at the next look. */
  distribute(): Promise<void> {
    return this.deliver();
  }

  /** Takes the rows due and queues their requests; resolves once they are queued, not sent. */
  deliver(): Promise<void> {
    return this.#passes.run();
  }

  /** Nothing to carry over in memory: what is not sent stays owed in the database. */
  resume(): void {}

  pending(): PendingDelivery[] {
    return [];
  }

  async #pass(): Promise<void> {
    const room = MAX_HELD - this.#held.size;
    if (room <= 0 || this.#closed) return;
    let taken: LeasedDelivery[];
    let contents: Map<string, TopicContent>;
    try {
      taken = await this.#o.leases.take(room, this.#leaseMs);
      if (taken.length === 0) return;
      contents = await this.#o.leases.content([...new Set(taken.map((d) => d.name))]);
    } catch (err) {
      this.#o.log.warn({ err }, `WebSub: could not take the deliveries due; the next look tries again: ${(err as Error).message}`);
      return;
    }
    for (const d of taken) {
      this.#held.add(d);
      if (d.stolenFrom) {
        this.#steals++;
        this.#o.log.info({ topic: d.topic, callback: d.callback, from: d.stolenFrom, attempt: d.attemptNo }, 'WebSub delivery taken over from an instance whose lease ran out');
      }
      // Closed meanwhile: the row stays held here, and close() hands it back.
      this.#o.queue.add({ host: hostOf(d.callback), attempt: (_n, signal) => this.#attempt(d, contents.get(d.name), signal) });
    }
  }

  async #attempt(d: LeasedDelivery, content: TopicContent | undefined, signal: AbortSignal): Promise<boolean> {
    const full = this.#held.size >= MAX_HELD;
    let outcome: 'done' | 'failed' | 'aborted' | 'lost' = 'lost';
    try {
      if (!(await this.#o.leases.hold(d, this.#leaseMs))) return true; // another instance has it now
      // The feed is gone, or the subscription's lease ended: nothing is owed.
      outcome = !content || d.expires <= this.#o.now().toISOString() ? 'done' : await sendContent(d, content, this.#content, d.attemptNo, signal);
      if (outcome === 'aborted') return false; // close() hands the row back
      if (outcome === 'done') {
        await this.#o.leases.finish(d);
      } else {
        const delay = this.#o.retryDelaysMs[d.attemptNo - 1];
        if (delay !== undefined) {
          await this.#o.leases.retryIn(d, delay);
        } else {
          this.#o.onDelivery?.('failed');
          this.#o.log.error({ topic: d.topic, callback: d.callback }, 'WebSub delivery given up');
          await this.#o.leases.finish(d);
        }
      }
    } catch (err) {
      // The lease runs out and the row is taken again (by this instance or another): an attempt like the others.
      this.#o.log.warn({ err, topic: d.topic, callback: d.callback }, `WebSub delivery not recorded; retried once its lease runs out: ${(err as Error).message}`);
    } finally {
      if (outcome !== 'aborted') this.#held.delete(d);
      if (full && !this.#closed) void this.deliver();
    }
    return true;
  }

  /** Stops looking; the rows taken and not attempted (the queue is closed by now) are handed back. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#passes.running;
    for (const d of [...this.#held]) {
      await this.#o.leases.release(d).catch(() => {}); // else its lease runs out
      this.#held.delete(d);
    }
  }
}
