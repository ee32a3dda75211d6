// `tributary inspect --full-text URL [--select CSS]` as an operator runs it to tune a selector: the real CLI against
// a real server on 127.0.0.1 serving a GBK portal article whose charset only its <meta> names.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';

const PORTAL = readFileSync(new URL('../fixtures/articles/portal-article.gbk.html', import.meta.url));
const SCRIPT_ONLY = readFileSync(new URL('../fixtures/articles/script-only.html', import.meta.url));
const ARTICLE = '/sh/2026/12-05/10000100.shtml';

describe('tributary inspect --full-text', () => {
  const fx = new FixtureServer();
  beforeAll(async () => {
    await fx.start();
    fx.routes.set(ARTICLE, { headers: { 'content-type': 'text/html' }, body: PORTAL });
    fx.routes.set('/app/1', { headers: { 'content-type': 'text/html; charset=utf-8' }, body: SCRIPT_ONLY });
  });
  afterAll(() => fx.stop());

  it('prints the article Readability finds, decoded from GBK, with absolute image and link URLs', async () => {
    const res = await runCli(['inspect', '--full-text', fx.url(ARTICLE)]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('(记者 李喆)进入十二月');
    expect(res.stdout).toContain(`<img src="${fx.base}/2026/12-05/U123P4T8D10001F24DT20261205143200.jpg"`);
    expect(res.stdout).not.toMatch(/最新|分享到|<script/);
    expect(res.stderr).toMatch(new RegExp(`^${fx.url(ARTICLE).replace(/[.?]/g, '\\$&')}: "江南水乡古镇迎来冬季旅游热潮-中新网": extracted by Readability: \\d+ characters of text, \\d+ paragraphs, 1 images, 1 links\\n$`));
  });

  it('--select takes the named element, --remove drops parts of it', async () => {
    const res = await runCli(['inspect', '--full-text', fx.url(ARTICLE), '--select', 'div.left_zw', '--remove', 'p[style]']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('合理安排行程。(完)');
    expect(res.stdout).not.toContain('李喆 摄');
    expect(res.stderr).toContain('extracted by fullText.select `div.left_zw`');
  });

  it('a selector that matches nothing, and a page only script fills, exit 1 with the reason', async () => {
    const none = await runCli(['inspect', '--full-text', fx.url(ARTICLE), '--select', '#content']);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('fullText.select `#content` matched nothing on the page');
    const script = await runCli(['inspect', '--full-text', fx.url('/app/1')]);
    expect(script.code).toBe(1);
    expect(script.stderr).toBe(`tributary inspect: ${fx.url('/app/1')}: the page's body has 0 characters of text without its 3 scripts: its article is loaded by JavaScript, which is not run\n`);
  });

  it('a bad selector or a missing URL is a usage error', async () => {
    expect((await runCli(['inspect', '--full-text', fx.url(ARTICLE), '--select', 'div[']))).toMatchObject({ code: 2, stderr: expect.stringContaining('--select is not a valid CSS selector') });
    expect((await runCli(['inspect', '--full-text', 'article.html']))).toMatchObject({ code: 2 });
    expect((await runCli(['inspect', fx.url(ARTICLE), '--select', 'div.left_zw']))).toMatchObject({ code: 2, stderr: expect.stringContaining('go with --full-text URL') });
  });
});
