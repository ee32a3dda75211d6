import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.ts';
import { parseConfig } from '../../../src/config/load.ts';

const FILE = 'feeds/sources.yaml';
const source = (lines: string[]) => ['sources:', '  - id: portal', '    url: https://www.example.com.cn/rss/society.xml', ...lines.map((l) => `    ${l}`)];
const settingsOf = (text: string[]) => parseConfig([...text, ''].join('\n'), FILE).sources.map((s) => s.fullText);

describe('fullText in the config', () => {
  const rows: { why: string; text: string[]; expected: unknown[] }[] = [
    { why: 'off unless asked for', text: source([]), expected: [undefined] },
    { why: 'true: Readability, 20 pages per cycle, once per link', text: source(['fullText: true']), expected: [{ remove: [], maxPerCycle: 20, refresh: false }] },
    {
      why: 'a selector with elements to remove, as the issue writes it',
      text: source(['fullText: { select: "div.left_zw", remove: [".share", "script"] }']),
      expected: [{ select: 'div.left_zw', remove: ['.share', 'script'], maxPerCycle: 20, refresh: false }],
    },
    {
      why: 'defaults.fullText applies to every source that does not set its own, key by key under its own',
      text: ['defaults:', '  fullText: { maxPerCycle: 5, remove: [".ad"] }', ...source(['fullText: { select: article, refresh: true }']),
        '  - id: quiet', '    url: https://quiet.example/feed', '  - id: off', '    url: https://off.example/feed', '    fullText: false'],
      expected: [{ select: 'article', remove: ['.ad'], maxPerCycle: 5, refresh: true }, { remove: ['.ad'], maxPerCycle: 5, refresh: false }, undefined],
    },
  ];
  for (const row of rows) it(row.why, () => expect(settingsOf(row.text)).toEqual(row.expected));

  const errors: [string[], string][] = [
    [source(['fullText: { select: "div[" }']), `${FILE}:4: sources.0.fullText.select: is not a valid CSS selector`],
    [source(['fullText:', '  remove: [".ok", "p:nth-child("]']), `${FILE}:5: sources.0.fullText.remove.1: is not a valid CSS selector`],
    [source(['fullText:', '  maxPerCycle: 0']), `${FILE}:5: sources.0.fullText.maxPerCycle: Too small`],
    [source(['fullText: yes']), `${FILE}:4: sources.0.fullText: must be true, false or a map of select (CSS), remove (a list of CSS), maxPerCycle (a number) and refresh (true or false)`],
    [source(['fullText:', '  selector: div.left_zw']), `${FILE}:5: sources.0.fullText.selector: unknown key "selector"`],
    [['defaults:', '  fullText: { refresh: sometimes }'], `${FILE}:2: defaults.fullText: must be true, false or a map of`],
  ];
  for (const [text, message] of errors) {
    it(`refuses ${text.at(-1)!.trim()} with its line`, () => {
      let error: unknown;
      try {
        parseConfig([...text, ''].join('\n'), FILE);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(message);
    });
  }
});
