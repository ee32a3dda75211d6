// Forward proxies for source fetches: a source's proxy:, else fetch.proxy, else the HTTPS_PROXY / HTTP_PROXY /
// NO_PROXY environment variables (either case, as curl reads them). One undici agent per proxy address, kept
// across cycles so keep-alive connections to the proxy live on; closed with the cycle.
// The proxy itself is the operator's choice, so its address is never held to the private-address policy (a proxy
// on 127.0.0.1 is the usual case); redirect targets still are, by URL, before the proxy is asked for them.
import { EnvHttpProxyAgent, ProxyAgent, type Dispatcher } from 'undici';

export type ProxyEnvironment = Readonly<Record<string, string | undefined>>;

export class ProxyAgents {
  readonly #connectTimeoutMs: number;
  readonly #env: ProxyEnvironment;
  readonly #agents = new Map<string, Dispatcher>();
  #fromEnv: Dispatcher | undefined;

  constructor(connectTimeoutMs: number, env: ProxyEnvironment = process.env) {
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#env = env;
  }

  /** The dispatcher through this proxy (or the environment's); undefined: connect directly. */
  for(proxy: string | undefined): Dispatcher | undefined {
    if (proxy) {
      let agent = this.#agents.get(proxy);
      if (!agent) {
        const timeout = { timeout: this.#connectTimeoutMs };
        agent = new ProxyAgent({ uri: proxy, proxyTls: timeout, requestTls: timeout, keepAliveTimeout: 10_000 });
        this.#agents.set(proxy, agent);
      }
      return agent;
    }
    return this.#environmentAgent();
  }

  #environmentAgent(): Dispatcher | undefined {
    const env = this.#env;
    const httpProxy = env.http_proxy || env.HTTP_PROXY;
    const httpsProxy = env.https_proxy || env.HTTPS_PROXY;
    if (!httpProxy && !httpsProxy) return undefined;
    this.#fromEnv ??= withoutExperimentalWarning(() => new EnvHttpProxyAgent({
      ...(httpProxy ? { httpProxy } : {}),
      ...(httpsProxy ? { httpsProxy } : {}),
      noProxy: env.no_proxy || env.NO_PROXY || '',
      connect: { timeout: this.#connectTimeoutMs },
      keepAliveTimeout: 10_000,
    }));
    return this.#fromEnv;
  }

  async close(): Promise<void> {
    const agents = [...this.#agents.values(), ...(this.#fromEnv ? [this.#fromEnv] : [])];
    this.#agents.clear();
    this.#fromEnv = undefined;
    await Promise.all(agents.map((a) => a.close()));
  }
}

/**
 * undici 6 announces EnvHttpProxyAgent as experimental with a process warning, which Node prints as a bare line on
 * stderr among the service's JSON log lines. That one warning (code UNDICI-EHPA) is dropped while the agent is made;
 * every other warning passes.
 */
function withoutExperimentalWarning<T>(make: () => T): T {
  const emit = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const options = rest[0];
    if (typeof options === 'object' && options !== null && (options as { code?: string }).code === 'UNDICI-EHPA') return;
    return (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return make();
  } finally {
    process.emitWarning = emit;
  }
}
