// Issue 19, private sources: headers:, auth: and proxy: of a source, with ${NAME} read from the environment.
import { describe, expect, it } from 'vitest';
import { diffSources } from '../../../src/config/diff.ts';
import { ConfigError } from '../../../src/config/errors.ts';
import { parseConfig } from '../../../src/config/load.ts';

const FILE = 'private.yaml';

function problemsOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, FILE, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.file}:${p.line}: ${p.key}: ${p.message}`);
    throw err;
  }
  throw new Error('the config was accepted');
}

describe('headers: and auth: of a source', () => {
  it('expand ${NAME} from the environment, in these fields only', () => {
    const config = parseConfig([
      'title: Costs $${NOT_EXPANDED}',
      'sources:',
      '  - id: members',
      '    url: https://members.example.org/feed?x=${ALSO_NOT}',
      '    headers:',
      '      Cookie: "session=${FEED_SESSION}; lang=en"',
      '      X-Api-Key: plain',
      '    auth:',
      '      username: ${FEED_USER}',
      '      password: "${FEED_PASS}!"',
    ].join('\n'), FILE, { FEED_SESSION: 'abc123', FEED_USER: 'editor', FEED_PASS: 'p@ss' });
    const source = config.sources[0]!;
    expect(source.headers).toEqual({ Cookie: 'session=abc123; lang=en', 'X-Api-Key': 'plain' });
    expect(source.auth).toEqual({ username: 'editor', password: 'p@ss!' });
    expect(config.title).toBe('Costs $${NOT_EXPANDED}');
    expect(source.url).toBe('https://members.example.org/feed?x=${ALSO_NOT}');
  });

  it('auth: wins over user:pass@ in the URL, which is still taken out of the URL', () => {
    const config = parseConfig([
      'sources:',
      '  - id: a',
      '    url: https://old:guess@a.example.org/feed',
      '    auth: { username: new, password: right }',
      '  - id: b',
      '    url: https://only:url@b.example.org/feed',
    ].join('\n'), FILE, {});
    expect(config.sources[0]).toMatchObject({ url: 'https://a.example.org/feed', auth: { username: 'new', password: 'right' } });
    expect(config.sources[1]).toMatchObject({ url: 'https://b.example.org/feed', auth: { username: 'only', password: 'url' } });
  });

  it('a variable that is not set is an error naming file, line and variable, never a value', () => {
    const problems = problemsOf([
      'sources:',
      '  - id: members',
      '    url: https://members.example.org/feed',
      '    headers:',
      '      Authorization: Bearer ${FEED_TOKEN}',
      '    auth:',
      '      username: editor',
      '      password: ${FEED_PASS}',
    ].join('\n'), { FEED_PASS_OTHER: 'x' });
    expect(problems).toEqual([
      `${FILE}:5: sources.0.headers.Authorization: the environment variable FEED_TOKEN is not set`,
      `${FILE}:8: sources.0.auth.password: the environment variable FEED_PASS is not set`,
    ]);
  });

  it('a value from the environment that would break the request is refused without being shown', () => {
    const problems = problemsOf('sources:\n  - id: a\n    url: https://a.example.org/feed\n    headers:\n      Cookie: ${C}\n', { C: 'x\r\nInjected: topsecret' });
    expect(problems).toEqual([`${FILE}:5: sources.0.headers.Cookie: the value from the environment holds a line break or NUL`]);
    expect(problems.join('')).not.toContain('topsecret');
  });

  it('refuses Host, Content-Length and hop-by-hop headers, and a name given twice', () => {
    for (const name of ['Host', 'content-length', 'Connection', 'Transfer-Encoding', 'Keep-Alive', 'Upgrade', 'TE', 'Proxy-Authorization']) {
      const problems = problemsOf(`sources:\n  - id: a\n    url: https://a.example.org/feed\n    headers:\n      ${name}: x\n`);
      expect(problems, name).toEqual([`${FILE}:5: sources.0.headers.${name}: is set by the HTTP client itself and cannot be configured (Host, Content-Length and hop-by-hop headers)`]);
    }
    expect(problemsOf('sources:\n  - id: a\n    url: https://a.example.org/feed\n    headers:\n      Cookie: a\n      cookie: b\n')[0]).toMatch(/names the header cookie twice/);
  });

  it('proxy: per source and fetch.proxy are proxy addresses', () => {
    const config = parseConfig('fetch:\n  proxy: http://127.0.0.1:3128\nsources:\n  - id: a\n    url: https://a.example.org/feed\n    proxy: http://proxy.lan:8080\n', FILE, {});
    expect(config.fetch.proxy).toBe('http://127.0.0.1:3128');
    expect(config.sources[0]!.proxy).toBe('http://proxy.lan:8080');
    expect(problemsOf('fetch:\n  proxy: socks5://127.0.0.1:1080\n')[0]).toMatch(/^private\.yaml:2: fetch\.proxy: /);
  });

  it('a changed cookie or password fetches the source again at once', () => {
    const text = (cookie: string) => `sources:\n  - id: a\n    url: https://a.example.org/feed\n    headers:\n      Cookie: \${C}\n`.replace('${C}', cookie);
    const before = parseConfig(text('old'), FILE, {});
    expect(diffSources(before, parseConfig(text('old'), FILE, {})).fetchNow).toEqual([]);
    expect(diffSources(before, parseConfig(text('new'), FILE, {})).fetchNow).toEqual(['a']);
  });
});
