// With no baseUrl in the config, the links of the feeds, the index and the OPML name the address `serve` listens on:
// PORT=58080 gives http://127.0.0.1:58080, not a port where nothing answers.
import { isIPv6 } from 'node:net';
import type { Config } from '../config/types.ts';

/** The URL a client on this machine reaches host:port by; a wildcard address is reached on loopback. */
export function listenUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${isIPv6(reachable) ? `[${reachable}]` : reachable}:${port}`;
}

/** The config as served: baseUrl replaced by the listening address when the config set none. */
export function followListenAddress(config: Config, host: string, port: number): Config {
  return config.baseUrlFollowsListen ? { ...config, baseUrl: listenUrl(host, port) } : config;
}
