// Where within a schedule's tick each source is fetched, so 500 sources on "*/15 * * * *" do not all hit
// the network (and their hosts) in the same second.

/**
 * A stable offset in [0, windowMs) for a source id: FNV-1a of the id, finished with MurmurHash3's fmix32
 * (FNV alone leaves the high bits of ids that differ only in their last characters, like "news-1" and "news-2",
 * close together), scaled. Stable rather than random so a
 * source is fetched at the same point of every period (its server sees a regular client), and evenly spread
 * because the hash is.
 */
export function spreadOffset(id: string, windowMs: number): number {
  if (windowMs <= 0) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return Math.floor(((hash >>> 0) / 0x1_0000_0000) * windowMs);
}

/** The spread window of a schedule: the configured spread, but at most half the interval so ticks never overlap. */
export function spreadWindow(spreadMs: number, intervalSeconds: number): number {
  return Math.max(0, Math.min(spreadMs, (intervalSeconds * 1000) / 2));
}
