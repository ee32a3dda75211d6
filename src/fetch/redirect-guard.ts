// The redirect guard of fetch.allowPrivateRedirects as a cycle needs it: one guarded connection pool, made
// again only when the setting changes (a hot reload), so keep-alive connections live across cycles.
import { AddressPolicy, type PrivateAllowance } from './address-policy.ts';
import { createGuardedAgent } from './guarded-agent.ts';
import type { RedirectGuard } from './fetch-source.ts';

export const REDIRECT_SETTING = 'fetch.allowPrivateRedirects';

export class RedirectGuards {
  readonly #connectTimeoutMs: number;
  readonly #treatAsPublic: readonly string[];
  #key: string | undefined;
  #guard: RedirectGuard | undefined;

  constructor(connectTimeoutMs: number, treatAsPublic: readonly string[] = []) {
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#treatAsPublic = treatAsPublic;
  }

  /** The guard for this setting; undefined when it allows every address (true). */
  for(allow: PrivateAllowance): RedirectGuard | undefined {
    if (allow === true) return undefined;
    const key = JSON.stringify(allow);
    if (key !== this.#key) {
      void this.#guard?.dispatcher.close();
      const policy = new AddressPolicy({ allow, setting: REDIRECT_SETTING, treatAsPublic: this.#treatAsPublic });
      this.#guard = { policy, dispatcher: createGuardedAgent(policy, this.#connectTimeoutMs) };
      this.#key = key;
    }
    return this.#guard;
  }

  async close(): Promise<void> {
    await this.#guard?.dispatcher.close();
    this.#guard = undefined;
    this.#key = undefined;
  }
}
