import { describe, expect, it } from 'vitest';
import { HostPauses, isPrivateHost } from '../../../src/fetch/host-pauses.ts';

const HOSTS: [string, boolean][] = [
  ['127.0.0.1', true], ['127.8.9.10', true], ['localhost', true], ['feeds.localhost', true], ['::1', true], ['[::1]', true],
  ['10.1.2.3', true], ['172.16.0.1', true], ['172.31.255.255', true], ['192.168.1.1', true], ['169.254.1.1', true],
  ['fd12:3456::1', true], ['fe80::1', true], ['0.0.0.0', true],
  ['172.32.0.1', false], ['8.8.8.8', false], ['rsshub.example.org', false], ['www.chinanews.com.cn', false], ['2001:db8::1', false],
];

describe('isPrivateHost', () => {
  it.each(HOSTS)('%s -> %s', (host, expected) => {
    expect(isPrivateHost(host)).toBe(expected);
  });
});

describe('HostPauses', () => {
  const now = new Date('2025-03-10T12:00:00Z');
  it('pauses exactly the host that asked, not its siblings of the same domain', () => {
    const pauses = new HostPauses(() => ({}));
    expect(pauses.pause('a.example.org', new Date('2025-03-10T12:10:00Z'), now)).toBe(true);
    expect(pauses.pausedUntil('a.example.org', now)?.toISOString()).toBe('2025-03-10T12:10:00.000Z');
    expect(pauses.pausedUntil('b.example.org', now)).toBeUndefined();
    expect(pauses.pausedUntil('example.org', now)).toBeUndefined();
    expect(pauses.pausedUntil('a.example.org', new Date('2025-03-10T12:10:00Z'))).toBeUndefined();
  });

  it('never pauses a private host unless hosts.<host>.honorRetryAfter, and then does; honorRetryAfter: false opts a public host out', () => {
    const pauses = new HostPauses((host) => ({ '192.168.1.5': { honorRetryAfter: true }, 'api.example.org': { honorRetryAfter: false } })[host] ?? {});
    const until = new Date('2025-03-10T12:10:00Z');
    expect(pauses.pause('127.0.0.1', until, now)).toBe(false);
    expect(pauses.pausedUntil('127.0.0.1', now)).toBeUndefined();
    expect(pauses.pause('192.168.1.5', until, now)).toBe(true);
    expect(pauses.pause('api.example.org', until, now)).toBe(false);
  });

  it('keeps the later of two pauses', () => {
    const pauses = new HostPauses(() => ({}));
    pauses.pause('x.example', new Date('2025-03-10T12:30:00Z'), now);
    pauses.pause('x.example', new Date('2025-03-10T12:10:00Z'), now);
    expect(pauses.pausedUntil('x.example', now)?.toISOString()).toBe('2025-03-10T12:30:00.000Z');
  });
});
