// The RSS documents of the ingest benchmark: source n's feed of `items` items, the same bytes every time, so
// the fixture server and the rss-parser reference read identical documents.

/**
 * Source n's feed: `items` items with HTML summaries, two categories each, dates in +0800: items `first` to
 * `first + items - 1` (a feed that moved on by `first` stories since item 0 was new).
 */
export function fixtureFeed(n: number, items: number, first = 0): Buffer {
  const entries = Array.from({ length: items }, (_, k) => {
    const i = first + k;
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
  return Buffer.from(`<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Bench source ${n}</title><link>https://source${n}.example.org/</link>
<description>Fixture feed ${n}</description>
${entries}
</channel></rss>
`);
}
