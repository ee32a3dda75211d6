// Serving on another port than a loopback baseUrl names (PORT=58080 with the default http://127.0.0.1:8080) leaves
// every link pointing at the wrong port: the service says so once at start. A public baseUrl (behind a proxy) does not.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../helpers/cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-base-url-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function serveWith(baseUrl: string, name: string) {
  const config = join(dir, `${name}.yaml`);
  await writeFile(config, `title: T\nbaseUrl: ${baseUrl}\nsources:\n  - id: a\n    url: http://127.0.0.1:9/feed.xml\n`);
  const service = await startService(['--config', config, '--data', join(dir, name)]);
  try {
    return service.stderr();
  } finally {
    await service.stop();
  }
}

describe('baseUrl and the port listened on', () => {
  it('warns when a loopback baseUrl names another port', async () => {
    const stderr = await serveWith('http://127.0.0.1:8080', 'loopback');
    const port = Number(stderr.match(/"port":(\d+)[^\n]*"msg":"serving on/)![1]);
    expect(port).not.toBe(8080);
    expect(stderr).toContain(`baseUrl http://127.0.0.1:8080 names port 8080, but the service listens on ${port}`);
  });

  it('says nothing for a public baseUrl', async () => {
    const stderr = await serveWith('https://feeds.example.org', 'public');
    expect(stderr).toContain('serving on');
    expect(stderr).not.toContain('names port');
  });
});
