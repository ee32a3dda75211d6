// RSS documents of any size, for tests that need many items or a feed that grows between fetches.

const BASE = Date.UTC(2025, 2, 1, 8, 0, 0);

export interface GeneratedItem {
  guid: string;
  title: string;
}

/** Items 0..count-1 of `sourceId`, newest first, one minute apart from 2025-03-01, each ~600 bytes. */
export function generatedRss(sourceId: string, count: number, firstIndex = 0): string {
  const items: string[] = [];
  for (let i = firstIndex + count - 1; i >= firstIndex; i--) {
    items.push(`    <item>
      <title>${sourceId} story ${i}</title>
      <link>https://${sourceId}.example.com/story/${i}</link>
      <guid>https://${sourceId}.example.com/story/${i}</guid>
      <pubDate>${new Date(BASE + i * 60_000).toUTCString()}</pubDate>
      <description>Story ${i} of ${sourceId}. ${'A paragraph that makes the store file big enough for a write to take a moment. '.repeat(6)}</description>
    </item>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>${sourceId} wire</title>
    <link>https://${sourceId}.example.com/</link>
    <description>generated</description>
${items.join('\n')}
  </channel>
</rss>
`;
}

/** The dedupe key Tributary stores for item `i` of `sourceId` in a generated feed. */
export function generatedKey(sourceId: string, i: number): string {
  return `g:https://${sourceId}.example.com/story/${i}`;
}
