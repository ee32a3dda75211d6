import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.ts';
import { parseConfig } from '../../../src/config/load.ts';

/** The built-in hub's limits when the file sets none. */
const LIMITS = { allowPrivateCallbacks: false, maxSubscriptions: 10_000, maxSubscriptionsPerHost: 500, requestsPerMinute: 60, timeoutMs: 10_000 };

const SOURCES = 'sources:\n  - id: a\n    url: https://a.example/feed\n';

describe('config: websub keys', () => {
  it.each([
    ['', { builtin: false, ...LIMITS }],
    ['websub:\n  builtin: true\n', { builtin: true, ...LIMITS }],
    ['websub:\n  hub: https://pubsubhubbub.appspot.com/\n', { builtin: false, hub: 'https://pubsubhubbub.appspot.com/', ...LIMITS }],
    ['websub:\n  builtin: true\n  allowPrivateCallbacks: true\n', { builtin: true, ...LIMITS, allowPrivateCallbacks: true }],
    ['websub:\n  builtin: true\n  allowPrivateCallbacks: [10.0.0.0/8, "fd00::/8", 192.168.1.5]\n', { builtin: true, ...LIMITS, allowPrivateCallbacks: ['10.0.0.0/8', 'fd00::/8', '192.168.1.5'] }],
    [
      'websub:\n  builtin: true\n  maxSubscriptions: 200\n  maxSubscriptionsPerHost: 20\n  requestsPerMinute: 5\n  timeoutSeconds: 2.5\n',
      { builtin: true, ...LIMITS, maxSubscriptions: 200, maxSubscriptionsPerHost: 20, requestsPerMinute: 5, timeoutMs: 2500 },
    ],
  ])('reads %j', (yaml, websub) => {
    expect(parseConfig(`${yaml}${SOURCES}`, 'sources.yaml').websub).toEqual(websub);
  });

  it.each([
    ['websub:\n  hub: not a url\n', 'sources.yaml:2: websub.hub: must be an absolute http:// or https:// URL'],
    ['websub:\n  builtin: yes please\n', 'sources.yaml:2: websub.builtin'],
    ['websub:\n  hubs: [https://h.example/]\n', 'sources.yaml:2: websub.hubs: unknown key "hubs"'],
    ['websub:\n  builtin: true\n  allowPrivateCallbacks: yes\n', 'sources.yaml:3: websub.allowPrivateCallbacks: must be true, false or a list of CIDR ranges'],
    ['websub:\n  allowPrivateCallbacks:\n    - 10.0.0.0/8\n    - intranet\n', 'sources.yaml:4: websub.allowPrivateCallbacks.1: "intranet" is not a CIDR range'],
    ['websub:\n  allowPrivateCallbacks: [10.0.0.0/33]\n', 'sources.yaml:2: websub.allowPrivateCallbacks.0: "10.0.0.0/33" is not a CIDR range'],
    ['websub:\n  maxSubscriptionsPerHost: 0\n', 'sources.yaml:2: websub.maxSubscriptionsPerHost'],
    ['websub:\n  requestsPerMinute: 1.5\n', 'sources.yaml:2: websub.requestsPerMinute'],
    ['websub:\n  timeoutSeconds: 0\n', 'sources.yaml:2: websub.timeoutSeconds'],
  ])('names file, line and key for %j', (yaml, message) => {
    expect(() => parseConfig(`${yaml}${SOURCES}`, 'sources.yaml')).toThrow(ConfigError);
    expect(() => parseConfig(`${yaml}${SOURCES}`, 'sources.yaml')).toThrow(message);
  });
});
