import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SubscriptionStore } from '../../../src/serve/websub/subscriptions.ts';

const sub = (callback: string, expires = '2030-01-01T00:00:00.000Z') => ({ topic: 'http://t.example/feeds/latest.atom', callback, expires });

describe('SubscriptionStore', () => {
  it('writes many changes as one file, owner-readable only, with the pending work the hub reports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'websub-store-'));
    const store = await SubscriptionStore.open(dir, { flushMs: 60_000 });
    store.pendingWork = () => ({ verifications: [], deliveries: [{ topic: 'http://t.example/feeds/latest.atom', callback: 'https://a.example/1', attempts: 2 }] });
    for (let i = 0; i < 100; i++) store.put(sub(`https://a.example/${i}`));
    store.remove('http://t.example/feeds/latest.atom', 'https://a.example/99');
    expect(() => statSync(join(dir, 'websub.json'))).toThrow(); // nothing written before the batch is due
    await store.flush();
    const file = join(dir, 'websub.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(written.subscriptions).toHaveLength(99);
    expect(written.pending.deliveries).toEqual([{ topic: 'http://t.example/feeds/latest.atom', callback: 'https://a.example/1', attempts: 2 }]);

    const reopened = await SubscriptionStore.open(dir);
    expect(reopened.size).toBe(99);
    expect(reopened.countForHost('a.example')).toBe(99);
    expect(reopened.pendingAtOpen.deliveries).toHaveLength(1);
  });

  it('drops ended leases from the counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'websub-store-'));
    const store = await SubscriptionStore.open(dir, { flushMs: 60_000 });
    store.put(sub('https://a.example/old', '2020-01-01T00:00:00.000Z'));
    store.put(sub('https://b.example/new'));
    expect(store.expire(new Date('2025-01-01T00:00:00Z'))).toBe(1);
    expect(store.size).toBe(1);
    expect(store.countForHost('a.example')).toBe(0);
    expect(store.active(new Date('2025-01-01T00:00:00Z')).map((s) => s.callback)).toEqual(['https://b.example/new']);
  });

  it('reads a file of the previous release (no pending work) as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'websub-store-'));
    writeFileSync(join(dir, 'websub.json'), JSON.stringify({ version: 1, subscriptions: [sub('https://a.example/1')] }));
    const store = await SubscriptionStore.open(dir);
    expect(store.find('http://t.example/feeds/latest.atom', 'https://a.example/1')).toBeDefined();
    expect(store.pendingAtOpen).toEqual({ verifications: [], deliveries: [] });
  });
});
