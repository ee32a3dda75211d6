import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.ts';
import { parseConfig } from '../../../src/config/load.ts';

const SOURCES = 'sources:\n  - id: a\n    url: https://a.example/feed\n';

describe('config: websub keys', () => {
  it.each([
    ['', { builtin: false }],
    ['websub:\n  builtin: true\n', { builtin: true }],
    ['websub:\n  hub: https://pubsubhubbub.appspot.com/\n', { builtin: false, hub: 'https://pubsubhubbub.appspot.com/' }],
  ])('reads %j', (yaml, websub) => {
    expect(parseConfig(`${yaml}${SOURCES}`, 'sources.yaml').websub).toEqual(websub);
  });

  it.each([
    ['websub:\n  hub: not a url\n', 'sources.yaml:2: websub.hub: must be an absolute http:// or https:// URL'],
    ['websub:\n  builtin: yes please\n', 'sources.yaml:2: websub.builtin'],
    ['websub:\n  hubs: [https://h.example/]\n', 'sources.yaml:2: websub.hubs: unknown key "hubs"'],
  ])('names file, line and key for %j', (yaml, message) => {
    expect(() => parseConfig(`${yaml}${SOURCES}`, 'sources.yaml')).toThrow(ConfigError);
    expect(() => parseConfig(`${yaml}${SOURCES}`, 'sources.yaml')).toThrow(message);
  });
});
