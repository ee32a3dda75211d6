// Issue 18, item 4: the console of `serve` a person can read. Lines are pino-pretty's on a terminal or with
// LOG_FORMAT=pretty, JSON lines otherwise; every cycle logs a line when it starts and one summary when it ends.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { until } from '../helpers/poll.ts';

let dir: string;
const fixture = new FixtureServer();
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-console-'));
  await fixture.start();
  fixture.routes.set('/cn.xml', { headers: { 'content-type': 'application/rss+xml' },
    body: await readFile(new URL('../fixtures/feeds/chinese-portal.rss.xml', import.meta.url)) });
  fixture.routes.set('/broken.xml', { status: 500, body: 'down' });
});
afterAll(async () => {
  await fixture.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Serves two sources (one answering 500) until the first cycle's summary is logged; returns stderr. */
async function firstCycle(name: string, env: Record<string, string>): Promise<string> {
  const config = join(dir, `${name}.yaml`);
  await writeFile(config, `title: T\nsources:\n  - id: cn-news\n    url: ${fixture.url('/cn.xml')}\n`
    + `  - id: broken\n    url: ${fixture.url('/broken.xml')}\n`);
  const child = spawnCli(['serve', '--port', '0', '--config', config, '--data', join(dir, name)], env);
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  try {
    await until('the cycle summary', () => /cycle: 2 sources/.test(stderr));
    return stderr;
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => child.once('close', done));
  }
}

describe('the console of serve', () => {
  it('writes JSON lines when stderr is not a terminal, with a line at the start and the end of each cycle', async () => {
    const stderr = await firstCycle('json', { LOG_FORMAT: '' });
    const lines = stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const started = lines.find((l) => String(l.msg).startsWith('cycle started'));
    expect(started).toMatchObject({ level: 30, sources: 2 });
    const summary = lines.find((l) => String(l.msg).startsWith('cycle: '))!;
    expect(summary).toMatchObject({ level: 30, fetched: 2, failed: 1, added: 3, updated: 0 });
    expect(summary.msg).toMatch(/^cycle: 2 sources, 1 ok, 1 failed \(broken: HTTP 500[^)]*\), 3 new, 0 updated, \d+\.\d s$/);
    expect(lines.indexOf(started!)).toBeLessThan(lines.indexOf(summary));
  });

  it('writes one readable line per event with LOG_FORMAT=pretty', async () => {
    const stderr = await firstCycle('pretty', { LOG_FORMAT: 'pretty' });
    const lines = stderr.trim().split('\n');
    // no JSON, one line each, level and time in words, no colour codes when stderr is a pipe
    for (const line of lines) expect(line).toMatch(/^\[\d\d:\d\d:\d\d\] (INFO|WARN|ERROR|DEBUG):? /);
    expect(stderr).not.toContain('\u001b[');
    expect(stderr).not.toContain('"service"');
    expect(lines.some((l) => /INFO:? serving on/.test(l))).toBe(true);
    expect(lines.some((l) => /INFO:? cycle: 2 sources, 1 ok, 1 failed \(broken: HTTP 500[^)]*\), 3 new, 0 updated, \d+\.\d s/.test(l))).toBe(true);
  });

  it('writes JSON lines with LOG_FORMAT=json on a terminal too', async () => {
    const { logFormatOf } = await import('../../src/log.ts');
    expect(logFormatOf({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormatOf({ LOG_FORMAT: 'PRETTY' }, false)).toBe('pretty');
    expect(logFormatOf({}, true)).toBe('pretty');
    expect(logFormatOf({}, false)).toBe('json');
  });
});
