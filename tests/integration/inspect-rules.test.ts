import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { configText, fixture, RULES, serveFixtures } from '../helpers/vertical-fixtures.ts';

describe('tributary inspect --rules', () => {
  const fx = new FixtureServer();
  let config: string;

  beforeAll(async () => {
    await fx.start();
    serveFixtures(fx);
    config = join(mkdtempSync(join(tmpdir(), 'tributary-inspect-')), 'sources.yaml');
    writeFileSync(config, configText(fx));
  });

  afterAll(async () => {
    await fx.stop();
  });

  it('prints, for each item of a URL, the tags it would get, which rule and which word gave each, and what took one back', async () => {
    const result = await runCli(['inspect', '--rules', fx.url('/portal.xml'), '--config', config]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.title)).toHaveLength(7);
    const byTitle = (start: string) => lines.find((l) => l.title.startsWith(start));
    expect(byTitle('[广告]')).toMatchObject({ tags: [], filter: { kept: false, reason: 'excluded', excludedBy: { field: 'title', pattern: '/^\\[广告\\]/', matched: '[广告]' } } });
    expect(byTitle('ＤｅｅｐＳｅｅｋ')).toMatchObject({
      tags: ['新闻', 'china', 'ai'],
      why: [{ tag: '新闻', source: 'portal' }, { tag: 'china', source: 'portal' }, { tag: 'ai', rule: 'rules.0', field: 'title', pattern: 'DeepSeek', matched: 'DeepSeek' }],
    });
    expect(byTitle('国产大模型')).toMatchObject({
      tags: ['新闻', 'china', 'ai', '科技'],
      why: expect.arrayContaining([{ tag: '科技', rule: 'rules.1', field: 'category', pattern: 'category 科技', matched: '科技' }]),
    });
    expect(byTitle('人工智能训练营')).toMatchObject({
      tags: ['新闻', 'china'],
      notTagged: [{ tag: 'ai', rule: 'rules.0', hit: { field: 'title', matched: '人工智能' }, excludedBy: { field: 'summary', pattern: '广告', matched: '广告' } }],
    });
  });

  it('reads a file standing for a configured source, and says when a rule does not cover the source', async () => {
    const file = join(tmpdir(), `dev-blog-${process.pid}.atom.xml`);
    writeFileSync(file, fixture('dev-blog.atom.xml'));
    const result = await runCli(['inspect', '--rules', file, '--config', config, '--source', 'blog']);
    expect(result.code).toBe(0);
    const [line] = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(line).toMatchObject({
      title: 'Notes on LLM tooling',
      tags: ['dev', '科技'],
      notTagged: [{ tag: 'ai', rule: 'rules.0', hit: { pattern: '/\\bLLMs?\\b/i', matched: 'LLM' }, onlyFor: ['portal', 'wire'] }],
    });
    expect(line).not.toHaveProperty('filter');
  });

  it('exits 1 with the reason for an unreachable URL and for an unknown --source', async () => {
    const missing = await runCli(['inspect', '--rules', fx.url('/missing.xml'), '--config', config]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('HTTP 404');
    const unknown = await runCli(['inspect', '--rules', fx.url('/wire.xml'), '--config', config, '--source', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no source has the id "nope"');
  });

  it('tributary check rejects a rule regex that needs backtracking, naming file and line', async () => {
    writeFileSync(config, configText(fx, RULES.replace('"/^(a+)+$/"', '"/(\\\\w+)\\\\s\\\\1/"')));
    const result = await runCli(['check', '--config', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${config}:14: rules.3.match.0: regex /(\\w+)\\s\\1/:`);
    expect(result.stderr).toContain('backreferences');
  });
});
