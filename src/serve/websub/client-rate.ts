// How often one client may call the hub: a token bucket per client address. The hub's requests are rare by
// nature (a subscriber asks once per topic and lease), so a bucket of a minute's worth lets a reader subscribe
// to its feeds in one go while one anonymous client can no longer register thousands of callbacks in seconds.
import ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';

interface Bucket {
  tokens: number;
  /** ms, when `tokens` was counted */
  at: number;
}

/** Clients remembered at once; see the ttl below for why forgetting one is harmless. */
const MAX_CLIENTS = 10_000;

export class ClientRateLimit {
  readonly #perMinute: number;
  readonly #now: () => number;
  readonly #buckets: LRUCache<string, Bucket>;

  constructor(perMinute: number, now: () => number = Date.now) {
    this.#perMinute = perMinute;
    this.#now = now;
    // A bucket left alone for a minute is full again: dropping it then, or evicting it, changes nothing
    // a client could gain from, and the map stays bounded whatever the number of clients.
    this.#buckets = new LRUCache({ max: MAX_CLIENTS, ttl: 60_000 });
  }

  /** Takes one request's token: undefined when the client may go on, else the whole seconds until it may. */
  take(client: string): number | undefined {
    const key = clientKey(client);
    const now = this.#now();
    const bucket = this.#buckets.get(key);
    const tokens = bucket ? Math.min(this.#perMinute, bucket.tokens + ((now - bucket.at) * this.#perMinute) / 60_000) : this.#perMinute;
    if (tokens >= 1) {
      this.#buckets.set(key, { tokens: tokens - 1, at: now });
      return undefined;
    }
    this.#buckets.set(key, { tokens, at: now });
    return Math.max(1, Math.ceil(((1 - tokens) * 60) / this.#perMinute));
  }
}

/**
 * The unit one client is counted by: its IPv4 address, or the /64 of its IPv6 address, since one machine
 * commonly holds a whole /64 and could otherwise take a fresh bucket per address.
 */
export function clientKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return `${v6.parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`;
}
