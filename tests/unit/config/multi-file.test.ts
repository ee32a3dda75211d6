import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.ts';
import { loadConfig } from '../../../src/config/load.ts';

function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function problemsOf(dir: string): Promise<string[]> {
  try {
    await loadConfig(dir);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const MAIN = `title: Wire
defaults:
  schedule: "*/5 * * * *"
  timezone: Asia/Shanghai
retention:
  maxItemsPerSource: 100
  maxAgeDays: 30
sources:
  - id: world
    url: https://world.example.com/rss.xml
`;

describe('a config directory', () => {
  it('merges every *.yaml file, with the main file\'s defaults applied to all sources', async () => {
    const dir = configDir({
      'sources.yaml': MAIN,
      'tech.yaml': 'sources:\n  - id: tech\n    url: https://tech.example.com/atom\n    tags: [tech]\n    retention:\n      maxItemsPerSource: 20\n',
      'notes.txt': 'not config',
      '.sources.yaml.swp': 'editor swap file',
    });
    const config = await loadConfig(dir);
    expect(config.title).toBe('Wire');
    expect(config.files).toEqual([join(dir, 'sources.yaml'), join(dir, 'tech.yaml')]);
    expect(config.sources.map((s) => [s.id, s.schedule, s.timezone])).toEqual([
      ['world', '*/5 * * * *', 'Asia/Shanghai'],
      ['tech', '*/5 * * * *', 'Asia/Shanghai'],
    ]);
    expect(config.retention).toEqual({ maxItemsPerSource: 100, maxAgeDays: 30, minItemsPerSource: 20 });
    expect(config.sources[1]!.retention).toEqual({ maxItemsPerSource: 20 });
    expect(config.store).toEqual({ backups: 3, kind: 'lowdb', pool: 10, leaseSeconds: 300 });
  });

  it('names both files and lines when two files use one id', async () => {
    const dir = configDir({
      'sources.yaml': MAIN,
      'more.yaml': 'sources:\n  - id: other\n    url: https://o.example.com/\n  - id: world\n    url: https://w2.example.com/\n',
    });
    expect(await problemsOf(dir)).toEqual([
      `${join(dir, 'more.yaml')}:4: sources.1.id: duplicate source id "world" (first used at ${join(dir, 'sources.yaml')}:9); ids must be unique`,
    ]);
  });

  it('allows the global keys in the main file only, and says which file that is', async () => {
    const dir = configDir({ 'sources.yaml': MAIN, 'extra.yaml': 'sources: []\ntitle: Other\n' });
    expect(await problemsOf(dir)).toEqual([
      `${join(dir, 'extra.yaml')}:2: title: "title" may only be set in the main config file (${join(dir, 'sources.yaml')}); this file may hold only "sources:"`,
    ]);
  });

  it('takes the first YAML file by name as the main file when there is no sources.yaml', async () => {
    const dir = configDir({ 'b.yaml': 'sources: []\n', 'a.yaml': 'title: From A\nsources: []\n' });
    const config = await loadConfig(dir);
    expect(config.title).toBe('From A');
  });

  it('reports problems of every file, ordered by file then line', async () => {
    const dir = configDir({
      'sources.yaml': 'title: x\nsources:\n  - id: Bad Id\n    url: https://a.example.com/\n',
      'z.yaml': 'sources:\n  - id: z\n    url: not a url\n',
      'broken.opml': '<opml><body><outline text="x"></body></opml>',
    });
    const problems = await problemsOf(dir);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(new RegExp(`^${join(dir, 'sources.yaml')}:3: sources.0.id: `));
    expect(problems[1]).toMatch(new RegExp(`^${join(dir, 'z.yaml')}:3: sources.0.url: `));
    expect(problems[2]).toBe(`${join(dir, 'broken.opml')}:1: OPML is not well-formed XML: Unexpected close tag`);
  });

  it('turns feeds/*.opml outlines into sources, folders into tags, skipping URLs a YAML file lists', async () => {
    const dir = configDir({
      'sources.yaml': MAIN,
      'reader.opml': `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="新闻">
      <outline type="rss" text="World again" xmlUrl="http://world.example.com/rss.xml"/>
      <outline type="rss" text="联合早报" xmlUrl="https://www.zaobao.com.sg/rss/realtime/china"/>
    </outline>
    <outline text="Tech">
      <outline type="rss" title="Hacker News" text="HN" xmlUrl="https://news.ycombinator.com/rss" category="/Programming/Web"/>
      <outline type="rss" text="联合早报" xmlUrl="https://www.zaobao.com.sg/rss/realtime/china"/>
    </outline>
  </body>
</opml>
`,
    });
    const config = await loadConfig(dir);
    expect(config.sources.map((s) => ({ id: s.id, tags: s.tags, title: s.title }))).toEqual([
      { id: 'world', tags: [], title: undefined },
      { id: 'zaobao-com-sg-realtime-china', tags: ['新闻', 'Tech'], title: '联合早报' },
      { id: 'hacker-news', tags: ['Tech', 'Programming', 'Web'], title: 'Hacker News' },
    ]);
    expect(config.sources[1]!.schedule).toBe('*/5 * * * *');
  });

  it('points at the outline\'s line when an OPML feed URL is unusable', async () => {
    const dir = configDir({
      'sources.yaml': MAIN,
      'reader.opml': '<opml version="1.0">\n<body>\n<!-- <outline xmlUrl="https://commented.example/"/> -->\n<outline text="Local" xmlUrl="feed.xml"/>\n</body>\n</opml>\n',
    });
    const problems = await problemsOf(dir);
    expect(problems).toEqual([`${join(dir, 'reader.opml')}:4: outline.url: must be an absolute http:// or https:// URL (outline "Local")`]);
  });

  it('still reads one named file exactly as before', async () => {
    const dir = configDir({ 'sources.yaml': MAIN, 'other.yaml': 'sources:\n  - id: other\n    url: https://o.example.com/\n' });
    const config = await loadConfig(join(dir, 'sources.yaml'));
    expect(config.sources.map((s) => s.id)).toEqual(['world']);
    expect(config.files).toEqual([join(dir, 'sources.yaml')]);
  });

  it('says so when the directory holds no config file', async () => {
    const dir = configDir({ 'README.txt': 'nothing here' });
    expect(await problemsOf(dir)).toEqual([`${dir}:0: the directory holds no *.yaml or *.opml file`]);
  });
});
