import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.ts';
import { parseConfig } from '../../../src/config/load.ts';
import { DEFAULT_TRACKING_PARAMS } from '../../../src/config/schema.ts';

describe('config dedupe keys', () => {
  it('defaults to the documented tracking parameters and a 48 hour title window', () => {
    const config = parseConfig('sources: []\n', 'sources.yaml');
    expect(config.dedupe).toEqual({ trackingParams: [...DEFAULT_TRACKING_PARAMS], titleWindowHours: 48 });
    expect(config.dedupe.trackingParams).toEqual(expect.arrayContaining(['utm_*', 'spm', 'from', 'fbclid', 'gclid']));
  });

  it('takes dedupe.trackingParams and dedupe.titleWindowHours from the file', () => {
    const config = parseConfig('dedupe:\n  trackingParams: [utm_*, spm, mkt_*]\n  titleWindowHours: 12\n', 'sources.yaml');
    expect(config.dedupe).toEqual({ trackingParams: ['utm_*', 'spm', 'mkt_*'], titleWindowHours: 12 });
  });

  it.each([
    ['a parameter with a space', 'dedupe:\n  trackingParams: ["utm source"]\n', 'dedupe.trackingParams.0', 2],
    ['a "*" inside a name', 'dedupe:\n  trackingParams:\n    - spm\n    - "a*b"\n', 'dedupe.trackingParams.1', 4],
    ['a window of zero hours', 'dedupe:\n  titleWindowHours: 0\n', 'dedupe.titleWindowHours', 2],
    ['an unknown dedupe key', 'dedupe:\n  titleWindow: 12\n', 'dedupe.titleWindow', 2],
  ])('reports %s with file, line and key', (_what, yaml, key, line) => {
    try {
      parseConfig(yaml, 'sources.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([expect.objectContaining({ file: 'sources.yaml', key, line })]);
    }
  });
});
