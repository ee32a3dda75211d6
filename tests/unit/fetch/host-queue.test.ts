import { describe, expect, it } from 'vitest';
import { HostQueue, hostOf } from '../../../src/fetch/host-queue.ts';

/** A task the test finishes by hand, recording what ran at once. */
function harness(queue: HostQueue) {
  const running = new Map<string, number>();
  let peak = 0;
  const peakByHost = new Map<string, number>();
  const finishers: (() => void)[] = [];
  const started: string[] = [];
  const submit = (host: string, name: string) => queue.run(host, () => new Promise<string>((resolve) => {
    started.push(name);
    running.set(host, (running.get(host) ?? 0) + 1);
    const total = [...running.values()].reduce((a, b) => a + b, 0);
    peak = Math.max(peak, total);
    peakByHost.set(host, Math.max(peakByHost.get(host) ?? 0, running.get(host)!));
    finishers.push(() => {
      running.set(host, running.get(host)! - 1);
      resolve(name);
    });
  }));
  const finishAll = async () => {
    while (finishers.length) {
      finishers.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { submit, finishAll, started, peak: () => peak, peakByHost };
}

describe('HostQueue', () => {
  it('runs at most perHost tasks per host and at most concurrency in all', async () => {
    const queue = new HostQueue({ concurrency: 3, perHost: 2 });
    const h = harness(queue);
    const done = ['a', 'a', 'a', 'a', 'b', 'b', 'c', 'c'].map((host, i) => h.submit(host, `${host}${i}`));
    expect(h.started).toEqual(['a0', 'a1', 'b4']);
    expect(queue.pending).toBe(5);
    await h.finishAll();
    expect(await Promise.all(done)).toEqual(['a0', 'a1', 'a2', 'a3', 'b4', 'b5', 'c6', 'c7']);
    expect(h.peak()).toBe(3);
    expect(Math.max(...h.peakByHost.values())).toBe(2);
  });

  it('gives a freed slot to a waiting task of another host rather than idling behind a busy one', async () => {
    const queue = new HostQueue({ concurrency: 4, perHost: 2 });
    const h = harness(queue);
    for (let i = 0; i < 6; i++) void h.submit('busy.example', `busy${i}`);
    void h.submit('other.example', 'other');
    expect(h.started).toEqual(['busy0', 'busy1', 'other']);
    await h.finishAll();
    expect(h.started).toHaveLength(7);
  });

  it('passes a task\'s rejection through and frees its slot', async () => {
    const queue = new HostQueue({ concurrency: 1, perHost: 1 });
    await expect(queue.run('h', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(queue.run('h', async () => 'next')).resolves.toBe('next');
  });
});

describe('hostOf', () => {
  it('is the lower-case host name without port', () => {
    expect(hostOf('http://127.0.0.1:8080/feed.xml')).toBe('127.0.0.1');
    expect(hostOf('https://News.Example.COM/rss')).toBe('news.example.com');
  });
});
