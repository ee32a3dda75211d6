// `tributary inspect` shows the warnings the service would record on the source for the same document: a document
// cut off at its end (its complete items printed), and dates in a zone nobody knows (read in the given zone).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-inspect-warnings-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const item = (n: number, date: string) => `<item><title>新闻 ${n}</title><link>https://news.example.cn/${n}.html</link><guid>https://news.example.cn/${n}.html</guid><pubDate>${date}</pubDate></item>`;

describe('tributary inspect prints the source warnings of a document on stderr', () => {
  it('a document cut off at its end: the complete items on stdout, the cut named on stderr', async () => {
    const file = join(dir, 'cut.xml');
    await writeFile(file, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Portal</title>${item(1, 'Sat, 05 Dec 2026 08:00:00 GMT')}${item(2, 'Sat, 05 Dec 2026 07:00:00 GMT')}<item><title>新闻 3</ti`);
    const result = await runCli(['inspect', file]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').map((line) => JSON.parse(line).title)).toEqual(['新闻 1', '新闻 2']);
    expect(result.stderr).toMatch(/cut\.xml: warning: the document is cut off before its end/);
  });

  it('a date in an unknown zone: read in the given zone, and said so', async () => {
    const file = join(dir, 'zone.xml');
    await writeFile(file, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Portal</title>${item(1, 'Sat, 05 Dec 2026 10:00:00 XYZ')}</channel></rss>`);
    const result = await runCli(['inspect', file, '--timezone', 'Asia/Shanghai']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim()).published).toBe('2026-12-05T02:00:00.000Z');
    expect(result.stderr).toMatch(/zone\.xml: warning: dates with the unknown zone "XYZ" are read in the source's timezone \(Asia\/Shanghai\)/);
  });
});
