// The connection pool for requests made on a stranger's word (a WebSub callback, a redirect a source sends us on):
// its sockets connect only where an AddressPolicy allows. Apart from address-policy.ts, which the config schema
// loads (CIDR ranges) in processes that never make a request, so that they do not load undici for it. Here it is
// the same undici as fetch-source.ts's: when address-policy.ts required it by itself, the compiled service loaded
// a second copy from node_modules, file by file, at its first cycle (~0.13 CPU-s).
import { Agent } from 'undici';
import { guardedLookup, type AddressPolicy } from './address-policy.ts';

/** A connection pool whose sockets connect only where the policy allows (names checked at connect time). */
export function createGuardedAgent(policy: AddressPolicy, connectTimeoutMs: number): Agent {
  return new Agent({ connect: { timeout: connectTimeoutMs, lookup: guardedLookup(policy) }, keepAliveTimeout: 10_000 });
}
