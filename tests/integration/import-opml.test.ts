import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError } from '../../src/config/errors.ts';
import { loadConfig } from '../../src/config/load.ts';
import { importOpml } from '../../src/cli/import-opml.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';

const EXPORT = fileURLToPath(new URL('../fixtures/opml/inoreader-export.opml', import.meta.url));

const EXISTING = `title: Mine
sources:
  - id: bbc-chinese
    url: https://feeds.bbci.co.uk/zhongwen/simp/rss.xml
    tags: [新闻]
  - id: solidot
    url: https://www.solidot.org/index.rss
  - id: hacker-news          # the id an import would derive, for another feed
    url: https://hnrss.org/frontpage
`;

describe('tributary import-opml', () => {
  let feeds: string;
  let first: CliResult;

  beforeAll(async () => {
    feeds = mkdtempSync(join(tmpdir(), 'tributary-import-'));
    writeFileSync(join(feeds, 'sources.yaml'), EXISTING);
    first = await runCli(['import-opml', EXPORT, '--config', feeds]);
  });

  it('writes every new feed of the export to feeds/imported.yaml, folders as tags, ids from titles or URLs', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const imported = parse(readFileSync(join(feeds, 'imported.yaml'), 'utf8'));
    expect(Object.keys(imported)).toEqual(['sources']);
    expect(imported.sources).toEqual([
      { id: 'zaobao-com-sg-realtime-china', url: 'https://www.zaobao.com.sg/rss/realtime/china', title: '联合早报 - 中港台', tags: ['新闻'] },
      { id: 'dw-com-rdf-rss-chi-all', url: 'https://rss.dw.com/rdf/rss-chi-all', title: '德国之声 中文', tags: ['新闻', '国际'] },
      { id: 'reuters-world-news', url: 'https://www.reutersagency.com/feed/?best-topics=world&post_type=best', title: 'Reuters: World News', tags: ['新闻', '国际'] },
      { id: 'sspai-com', url: 'https://sspai.com/feed', title: '少数派', tags: ['科技'] },
      { id: '36kr-com', url: 'https://36kr.com/feed', title: '36氪', tags: ['科技'] },
      { id: 'ruanyifeng-com-blog', url: 'http://www.ruanyifeng.com/blog/atom.xml', title: '阮一峰的网络日志', tags: ['科技'] },
      // In two folders of the export: one source with both; its natural id was taken.
      { id: 'hacker-news-2', url: 'https://news.ycombinator.com/rss', title: 'Hacker News', tags: ['科技', 'Programming'] },
      { id: 'the-go-blog', url: 'https://go.dev/blog/feed.atom', title: 'The Go Blog', tags: ['科技', 'Programming'] },
      { id: 'julia-evans', url: 'https://jvns.ca/atom.xml', title: 'Julia Evans', tags: ['科技', 'Programming'] },
      { id: 'quanta-magazine', url: 'https://www.quantamagazine.org/feed/', title: 'Quanta Magazine', tags: ['Science & Nature'] },
      { id: 'nature', url: 'http://feeds.nature.com/nature/rss/current', title: 'Nature', tags: ['Science & Nature'] },
    ]);
  });

  it('reports each skipped outline with its line and why', () => {
    const skipped = first.stdout.split('\n').filter((line) => line.startsWith('= '));
    expect(skipped).toEqual([
      `= ${EXPORT}:11: BBC 中文: already configured as "bbc-chinese"`,
      `= ${EXPORT}:24: Hacker News: listed again in the export; its folders were added as tags of "hacker-news-2"`,
      `= ${EXPORT}:33: Solidot: already configured as "solidot"`,
      `= ${EXPORT}:34: Solidot 奇客: already configured as "solidot"`,
      `= ${EXPORT}:35: Old Safari bookmark: url: must be an absolute http:// or https:// URL`,
    ]);
    expect(first.stdout).toContain(`imported 11 sources into ${join(feeds, 'imported.yaml')}; 5 outlines skipped`);
  });

  it('leaves a directory that loads as one valid config', async () => {
    const config = await loadConfig(feeds);
    expect(config.sources).toHaveLength(14);
    expect(config.sources.find((s) => s.id === 'sspai-com')?.schedule).toBe('*/15 * * * *');
    const check = await runCli(['check', '--config', feeds]);
    expect(check.code).toBe(0);
    expect(check.stdout).toBe(`${feeds}: ok, 14 sources (14 enabled) from 2 files\n`);
  });

  // The CLI's own output is covered above; the rest calls the same function in this process.
  it('is stable: importing the same export again adds nothing and changes no byte', async () => {
    const before = readFileSync(join(feeds, 'imported.yaml'), 'utf8');
    const again = await importOpml(EXPORT, feeds);
    expect(again.added).toEqual([]);
    expect(again.skipped).toHaveLength(16);
    expect(readFileSync(join(feeds, 'imported.yaml'), 'utf8')).toBe(before);
  });

  it('appends to an existing imported.yaml, keeping what the operator wrote there', async () => {
    const edited = readFileSync(join(feeds, 'imported.yaml'), 'utf8').replace('sources:', '# my notes stay\nsources:');
    writeFileSync(join(feeds, 'imported.yaml'), edited);
    const other = join(feeds, '..', `second-${Date.now()}.opml`);
    writeFileSync(other, '<opml version="2.0"><body><outline text="Lobsters" xmlUrl="https://lobste.rs/rss" category="/Tech/Links"/></body></opml>');
    const result = await importOpml(other, feeds);
    expect(result.added.map((s) => s.id)).toEqual(['lobsters']);
    const text = readFileSync(join(feeds, 'imported.yaml'), 'utf8');
    expect(text.startsWith(edited.trimEnd().split('\n').slice(0, 3).join('\n'))).toBe(true);
    expect(text).toContain('# my notes stay');
    expect(parse(text).sources.at(-1)).toEqual({ id: 'lobsters', url: 'https://lobste.rs/rss', title: 'Lobsters', tags: ['Tech', 'Links'] });
  });

  it('refuses an export that is not well-formed, naming the line', async () => {
    const broken = join(feeds, '..', `broken-${Date.now()}.opml`);
    writeFileSync(broken, '<opml version="2.0">\n<body>\n<outline text="x">\n</body>\n</opml>\n');
    const error = await importOpml(broken, feeds).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`${broken}:4: OPML is not well-formed XML: Unexpected close tag`);
  });
});
