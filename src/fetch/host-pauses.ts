// A 429 or 503 with Retry-After speaks for the server that sent it: every source on that host waits, not only
// the one that asked (a site with twenty feeds would otherwise get nineteen more requests it just refused).
// Exactly that host name: news.example.org pausing says nothing of rss.example.org. Loopback and private
// addresses are exempt unless hosts.<host>.honorRetryAfter is true: there the "host" is usually a local proxy or
// RSSHub-like bridge in front of many unrelated sites, where one upstream's 429 must not stop the others.
import { isIP } from 'node:net';

export interface HostSettings {
  /** requests started per rolling minute, at most */
  perMinute?: number;
  /** whether a Retry-After from this host pauses all its sources (default: yes, except loopback/private hosts) */
  honorRetryAfter?: boolean;
}

export class HostPauses {
  readonly #settings: (host: string) => HostSettings;
  readonly #until = new Map<string, number>();

  constructor(settings: (host: string) => HostSettings) {
    this.#settings = settings;
  }

  /** Pauses host until `until`, if that host's pauses are honoured; returns whether it did. */
  pause(host: string, until: Date, now: Date): boolean {
    const honour = this.#settings(host).honorRetryAfter ?? !isPrivateHost(host);
    if (!honour || until.getTime() <= now.getTime()) return false;
    this.#until.set(host, Math.max(this.#until.get(host) ?? 0, until.getTime()));
    return true;
  }

  /** The end of host's pause, or undefined when it is not paused at `now`. */
  pausedUntil(host: string, now: Date): Date | undefined {
    const until = this.#until.get(host);
    if (until === undefined) return undefined;
    if (until <= now.getTime()) {
      this.#until.delete(host);
      return undefined;
    }
    return new Date(until);
  }
}

/** Loopback, private (RFC 1918, RFC 4193), link-local and unspecified addresses, and localhost names. */
export function isPrivateHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const family = isIP(name);
  if (family === 4) {
    const [a, b] = name.split('.').map(Number) as [number, number];
    return a === 127 || a === 10 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (family === 6) {
    return name === '::1' || name === '::' || /^f[cd][0-9a-f]{0,2}:/.test(name) || /^fe[89ab][0-9a-f]?:/.test(name)
      || /^::ffff:(127|10|192\.168)\./.test(name);
  }
  return false;
}
