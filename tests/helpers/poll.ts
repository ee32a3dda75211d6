/**
 * Re-checks `probe` until it returns something other than undefined, null or false, and returns that. It waits
 * for a condition (a log line, a /status field: /status gives null for "not yet", as `lastCycle` before the first
 * cycle ends); it never asserts how long anything took. The deadline only turns a hang into a readable failure.
 */
export async function until<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** GETs a JSON document from the service. */
export async function getJson(url: string): Promise<any> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}
