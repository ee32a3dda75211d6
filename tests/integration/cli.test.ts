import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

describe('tributary check', () => {
  it('accepts the shipped default config', async () => {
    const result = await runCli(['check', '--config', 'feeds/sources.yaml']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ok, \d+ sources/);
  });

  it('lists every problem as FILE:LINE: key: message and exits non-zero', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-check-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, [
      'title: Bad',                       // 1
      'sources:',                         // 2
      '  - id: one',                      // 3
      '    url: https://a.example/feed',  // 4
      '    shedule: "*/5 * * * *"',       // 5  misspelt key
      '  - id: two',                      // 6
      '    url: ftp://b.example/feed',    // 7  not http(s)
      '    schedule: "every minute"',     // 8  not cron
      '  - id: one',                      // 9  duplicate id
      '    url: https://c.example/feed',  // 10
      '',
    ].join('\n'));
    const result = await runCli(['check', '--config', file]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toContain(`${file}:5: sources.0.shedule: unknown key "shedule" under sources.0 (check its spelling against the list of keys in docs/configuration.md)`);
    expect(lines.some((l) => l.startsWith(`${file}:7: sources.1.url: `))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${file}:8: sources.1.schedule: `) && l.includes('cron'))).toBe(true);
    expect(lines.filter((l) => l.startsWith(`${file}:9: sources.2.id: duplicate source id "one"`))).toHaveLength(1);
  });

  it('fetch --once exits non-zero on an invalid config and names the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-check-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'title: [unclosed\n');
    const result = await runCli(['fetch', '--once', '--config', file, '--data', join(dir, 'data')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${file}:`);
  });
});
