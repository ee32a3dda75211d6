import { describe, expect, it } from 'vitest';
import { ServiceMetrics } from '../../../src/serve/metrics.ts';

describe('feed request metrics', () => {
  it('exposes each feed and status with its exact count, growing between scrapes', async () => {
    const metrics = new ServiceMetrics(() => ({ total: 0, bySource: new Map() }));
    const series = (text: string) => text.split('\n').filter((line) => line.startsWith('tributary_feed_requests_total{')).sort();
    for (let i = 0; i < 3; i++) metrics.observeRequest('latest.atom', 200);
    metrics.observeRequest('latest.atom', 304);
    metrics.observeRequest('tags/科技.rss', 200);
    expect(series(await metrics.text())).toEqual([
      'tributary_feed_requests_total{feed="latest.atom",status="200"} 3',
      'tributary_feed_requests_total{feed="latest.atom",status="304"} 1',
      'tributary_feed_requests_total{feed="tags/科技.rss",status="200"} 1',
    ]);
    metrics.observeRequest('latest.atom', 304);
    metrics.observeRequest('not-found', 404);
    expect(series(await metrics.text())).toEqual([
      'tributary_feed_requests_total{feed="latest.atom",status="200"} 3',
      'tributary_feed_requests_total{feed="latest.atom",status="304"} 2',
      'tributary_feed_requests_total{feed="not-found",status="404"} 1',
      'tributary_feed_requests_total{feed="tags/科技.rss",status="200"} 1',
    ]);
  });
});
