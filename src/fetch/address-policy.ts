// Which network addresses an outgoing request made on a stranger's word may reach: a WebSub callback, or a
// redirect a public source sends us on. Loopback, private, link-local, CGNAT, multicast, unspecified and
// reserved ranges are the private network of the machine and its neighbours (an admin port, a cloud metadata
// endpoint); a request there chosen by an outsider is server-side request forgery.
//
// Two checks, because a URL names a host but a socket connects to an address: the URL's host when it is an
// address literal (the WHATWG parser has already turned 2130706433, 0x7f.1 and 0177.0.0.1 into 127.0.0.1),
// and, for names, every address DNS gives at the moment of connecting (guardedLookup), so a name that
// resolves to a public address when checked and to 127.0.0.1 when used (DNS rebinding) is still refused.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

// No HTTP client here: the config schema checks CIDR ranges with this module, and `tributary check` should not load
// one. The connection pool that uses guardedLookup is made in guarded-agent.ts.

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** What the operator allows on top of the public internet: everything, or these CIDR ranges. */
export type PrivateAllowance = boolean | readonly string[];

/** A request refused because its address is in the private network; the message says which setting allows it. */
export class PrivateAddressError extends Error {
  readonly code = 'ERR_PRIVATE_ADDRESS';
  readonly address: string;
  readonly range: string;
  constructor(address: string, range: string, setting: string) {
    super(`${address} is a ${rangeWords(range)} address (allow it with ${setting})`);
    this.name = 'PrivateAddressError';
    this.address = address;
    this.range = range;
  }
}

export interface AddressPolicyOptions {
  /** the private addresses the operator allows */
  allow: PrivateAllowance;
  /** the config key named in refusals, e.g. "websub.allowPrivateCallbacks" */
  setting: string;
  /**
   * Ranges that count as public although they are not: only for tests, which have nothing but loopback to
   * play the public internet (TRIBUTARY_PUBLIC_ADDRESSES).
   */
  treatAsPublic?: readonly string[];
}

export class AddressPolicy {
  readonly setting: string;
  readonly #allowAll: boolean;
  readonly #allowed: [Address, number][];
  readonly #public: [Address, number][];

  constructor(options: AddressPolicyOptions) {
    this.setting = options.setting;
    this.#allowAll = options.allow === true;
    this.#allowed = Array.isArray(options.allow) ? options.allow.map(parseCidr) : [];
    this.#public = (options.treatAsPublic ?? []).map(parseCidr);
  }

  /** Whether the policy lets every address through (nothing to check). */
  get isOpen(): boolean {
    return this.#allowAll;
  }

  /** The range name when `ip` is private (see rangeOf), else undefined; ignores what the operator allows. */
  privateRange(ip: string): string | undefined {
    const address = unwrap(ipaddr.parse(ip));
    if (this.#public.some((cidr) => matches(address, cidr))) return undefined;
    const range = address.range();
    return range === 'unicast' ? undefined : range;
  }

  /** The refusal for a request to `ip`, or undefined when it may go there. */
  refusal(ip: string): PrivateAddressError | undefined {
    if (this.#allowAll) return undefined;
    const range = this.privateRange(ip);
    if (range === undefined) return undefined;
    const address = unwrap(ipaddr.parse(ip));
    if (this.#allowed.some((cidr) => matches(address, cidr))) return undefined;
    return new PrivateAddressError(ip, range, this.setting);
  }

  /** The refusal for a URL whose host is an address literal; names are checked at connect time. */
  refusalForUrl(url: URL): PrivateAddressError | undefined {
    const host = literalHost(url);
    return host === undefined ? undefined : this.refusal(host);
  }

  /** Whether a host (literal or name) is in the private network, by what DNS says now. */
  async isPrivateHost(url: URL): Promise<boolean> {
    const literal = literalHost(url);
    if (literal !== undefined) return this.privateRange(literal) !== undefined;
    try {
      const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
        dnsLookup(url.hostname, { all: true }, (err, found) => (err ? reject(err) : resolve(found))));
      return addresses.some((a) => this.privateRange(a.address) !== undefined);
    } catch {
      return false;
    }
  }
}

/** The host of a URL when it is an IP address, without IPv6 brackets. */
export function literalHost(url: URL): string | undefined {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : undefined;
}

/**
 * A `lookup` for net.connect that resolves as usual and keeps only the addresses the policy allows, failing
 * with PrivateAddressError when none is left: the check happens on the very addresses the socket will use.
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  const guarded = (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err);
      let refusal: PrivateAddressError | undefined;
      const kept = addresses.filter((a) => {
        const refused = policy.refusal(a.address);
        refusal ??= refused;
        return refused === undefined;
      });
      if (kept.length === 0) return callback(refusal ?? Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }));
      if ((options as LookupAllOptions).all) return callback(null, kept);
      return callback(null, kept[0]!.address, kept[0]!.family);
    });
  };
  return guarded as unknown as LookupFunction;
}

/** The PrivateAddressError somewhere in an error's cause chain (undici wraps connect errors). */
export function privateAddressCause(err: unknown): PrivateAddressError | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof PrivateAddressError) return e;
  }
  return undefined;
}

/** Addresses tests treat as public, from TRIBUTARY_PUBLIC_ADDRESSES (comma-separated CIDRs). */
export function publicAddressesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.TRIBUTARY_PUBLIC_ADDRESSES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** The problem with a CIDR range as written in the config, or undefined when it reads. */
export function cidrProblem(text: string): string | undefined {
  try {
    parseCidr(text);
    return undefined;
  } catch {
    return `"${text}" is not a CIDR range (e.g. 10.0.0.0/8, 192.168.1.5/32, fd00::/8)`;
  }
}

function parseCidr(text: string): [Address, number] {
  const [address, bits] = text.includes('/') ? ipaddr.parseCIDR(text) : [ipaddr.parse(text), -1];
  const unwrapped = unwrap(address);
  const prefix = bits === -1 ? (unwrapped.kind() === 'ipv4' ? 32 : 128) : unwrapped !== address ? bits - 96 : bits;
  return [unwrapped, prefix];
}

/** IPv4-mapped IPv6 (::ffff:127.0.0.1) is the IPv4 address it carries: check it as such. */
function unwrap(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

function matches(address: Address, [range, bits]: [Address, number]): boolean {
  return address.kind() === range.kind() && address.match(range as never, bits);
}

const RANGE_WORDS: Record<string, string> = {
  loopback: 'loopback',
  private: 'private-network',
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT',
  multicast: 'multicast',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  uniqueLocal: 'unique-local (private)',
  reserved: 'reserved',
};

function rangeWords(range: string): string {
  return RANGE_WORDS[range] ?? `non-public (${range})`;
}
