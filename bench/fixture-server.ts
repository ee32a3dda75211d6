// A fixture server for the benchmarks, run in its own process so its work is not counted as ours:
// /feeds/<n>.xml is an RSS feed of ITEMS items, with an ETag; a matching If-None-Match gets a 304.
// Prints its port on stdout once listening.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 20);
const cache = new Map<number, { body: Buffer; etag: string }>();

function feed(n: number): { body: Buffer; etag: string } {
  const hit = cache.get(n);
  if (hit) return hit;
  const items = Array.from({ length: ITEMS }, (_, i) => {
    const hour = String(23 - (i % 24)).padStart(2, '0');
    return `<item>
<title>Source ${n} story ${i}: markets, weather &amp; the city council</title>
<link>https://source${n}.example.org/news/2025/03/${i}.html?utm_source=rss</link>
<guid isPermaLink="false">source-${n}-story-${i}</guid>
<pubDate>Sun, 09 Mar 2025 ${hour}:${String(i % 60).padStart(2, '0')}:00 +0800</pubDate>
<category>news</category><category>topic-${i % 5}</category>
<description><![CDATA[<p>Story ${i} of source ${n}. The council met on Sunday to discuss the <a href="/budget">budget</a>,
the weather was mild and markets closed higher.</p><p><img src="/img/${i}.jpg" alt="photo"> More text follows here,
as news items usually carry a paragraph or two of summary before the link to the full article.</p>]]></description>
</item>`;
  }).join('\n');
  const text = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Bench source ${n}</title><link>https://source${n}.example.org/</link>
<description>Fixture feed ${n}</description>
${items}
</channel></rss>
`;
  const body = Buffer.from(text);
  const entry = { body, etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"` };
  cache.set(n, entry);
  return entry;
}

const server = createServer((req, res) => {
  const match = req.url?.match(/^\/feeds\/(\d+)\.xml$/);
  if (!match) {
    res.writeHead(404).end();
    return;
  }
  const { body, etag } = feed(Number(match[1]));
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag }).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', 'content-length': body.length, etag });
  res.end(body);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
