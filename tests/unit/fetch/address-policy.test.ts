import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { AddressPolicy, cidrProblem, literalHost, privateAddressCause } from '../../../src/fetch/address-policy.ts';
import { createGuardedAgent } from '../../../src/fetch/guarded-agent.ts';

const strict = new AddressPolicy({ allow: false, setting: 'test.allow' });

describe('AddressPolicy', () => {
  // Every spelling a URL parser accepts for a private address, as the host of a URL: the parser normalises
  // decimal, octal and hex forms to dotted IPv4 before the policy sees them.
  it.each([
    ['http://127.0.0.1/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://10.0.0.8/', 'private'],
    ['http://172.16.5.4/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
    ['http://100.64.0.1/', 'carrierGradeNat'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://0/', 'unspecified'],
    ['http://[::1]/', 'loopback'],
    ['http://[::]/', 'unspecified'],
    ['http://[fe80::1]/', 'linkLocal'],
    ['http://[fd12:3456::1]/', 'uniqueLocal'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://[::ffff:7f00:1]/', 'loopback'],
    ['http://[::ffff:10.1.2.3]/', 'private'],
  ])('refuses %s (%s)', (url, range) => {
    const refusal = strict.refusalForUrl(new URL(url));
    expect(refusal?.range).toBe(range);
    expect(refusal?.message).toContain('test.allow');
  });

  it.each(['http://93.184.216.34/', 'http://[2606:4700::6810:85e5]/', 'http://example.com/'])('lets %s through (public, or a name checked at connect time)', (url) => {
    expect(strict.refusalForUrl(new URL(url))).toBeUndefined();
  });

  it('allows everything when the operator says true, and only the listed ranges for a CIDR list', () => {
    expect(new AddressPolicy({ allow: true, setting: 's' }).refusal('127.0.0.1')).toBeUndefined();
    const listed = new AddressPolicy({ allow: ['10.0.0.0/8', '::1'], setting: 's' });
    expect(listed.refusal('10.9.9.9')).toBeUndefined();
    expect(listed.refusal('::ffff:10.9.9.9')).toBeUndefined();
    expect(listed.refusal('::1')).toBeUndefined();
    expect(listed.refusal('127.0.0.1')?.range).toBe('loopback');
    expect(listed.refusal('192.168.0.1')?.range).toBe('private');
  });

  it('reads literal hosts without brackets and rejects CIDRs that do not parse', () => {
    expect(literalHost(new URL('http://[::1]:8080/'))).toBe('::1');
    expect(literalHost(new URL('http://localhost/'))).toBeUndefined();
    expect(cidrProblem('10.0.0.0/8')).toBeUndefined();
    expect(cidrProblem('10.0.0.0/99')).toMatch(/not a CIDR/);
    expect(cidrProblem('intranet')).toMatch(/not a CIDR/);
  });
});

describe('createGuardedAgent', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('secret'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses a name that resolves to loopback at connect time, and connects when the range is allowed', async () => {
    const guarded = createGuardedAgent(strict, 2000);
    const err = await request(`http://localhost:${port}/`, { dispatcher: guarded }).then(() => undefined, (e: unknown) => e);
    expect(privateAddressCause(err)?.address).toMatch(/^(127\.0\.0\.1|::1)$/);
    await guarded.close();

    const allowed = createGuardedAgent(new AddressPolicy({ allow: ['127.0.0.0/8', '::1/128'], setting: 's' }), 2000);
    const res = await request(`http://localhost:${port}/`, { dispatcher: allowed });
    expect(await res.body.text()).toBe('secret');
    await allowed.close();
  });

  it('treats the ranges tests name as public as public', async () => {
    const policy = new AddressPolicy({ allow: false, setting: 's', treatAsPublic: ['127.0.0.0/8', '::1/128'] });
    const agent = createGuardedAgent(policy, 2000);
    const res = await request(`http://localhost:${port}/`, { dispatcher: agent });
    expect(await res.body.text()).toBe('secret');
    await agent.close();
  });
});
