import { describe, expect, it } from 'vitest';
import { ClientRateLimit, clientKey } from '../../../src/serve/websub/client-rate.ts';

describe('ClientRateLimit', () => {
  it('lets a minute\'s worth through at once, then one per 60/perMinute seconds, and says how long to wait', () => {
    let now = 1_000_000;
    const rate = new ClientRateLimit(60, () => now);
    for (let i = 0; i < 60; i++) expect(rate.take('203.0.113.9')).toBeUndefined();
    expect(rate.take('203.0.113.9')).toBe(1);
    now += 500;
    expect(rate.take('203.0.113.9')).toBe(1);
    now += 600; // 1.1 s since the bucket ran dry: one token back
    expect(rate.take('203.0.113.9')).toBeUndefined();
    expect(rate.take('203.0.113.9')).toBe(1);
    // another client has its own bucket
    expect(rate.take('198.51.100.7')).toBeUndefined();
  });

  it('asks a client of a slow limit to wait the whole time to its next token', () => {
    let now = 0;
    const rate = new ClientRateLimit(2, () => now);
    expect(rate.take('203.0.113.9')).toBeUndefined();
    expect(rate.take('203.0.113.9')).toBeUndefined();
    expect(rate.take('203.0.113.9')).toBe(30);
    now += 30_000;
    expect(rate.take('203.0.113.9')).toBeUndefined();
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped one as the IPv4 address', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe(clientKey('2001:db8:1:2:ffff::9'));
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
    expect(clientKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    const rate = new ClientRateLimit(1, () => 0);
    expect(rate.take('2001:db8:1:2::1')).toBeUndefined();
    expect(rate.take('2001:db8:1:2::2')).toBe(60);
  });
});
