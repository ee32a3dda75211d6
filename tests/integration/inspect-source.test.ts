// `tributary inspect --source ID`: what the service would store from a configured source's document at that moment
// — under the source's stored dedupe key, without the keys retention pruned, after its filter, merged with the stored
// items. Checked against what the next `fetch --once` really stores, and that inspect writes nothing.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../src/model.ts';
import { ItemStore } from '../../src/store/store.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';

const item = (title: string, link: string, date: string, guid?: string, extra = '') => `<item><title>${title}</title><link>${link}</link>`
  + `<pubDate>${date}</pubDate>${guid ? `<guid isPermaLink="false">${guid}</guid>` : ''}${extra}</item>`;
const rss = (items: string[], head = '<?xml version="1.0" encoding="utf-8"?>') => `${head}<rss version="2.0"><channel><title>Wire</title>`
  + `<link>https://wire.example.org/</link>${items.join('')}</channel></rss>`;
// One clock for every document of the file: the same entry must carry the same date in each.
const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const day = (n: number) => new Date(NOW - n * 86_400_000).toUTCString();

const fx = new FixtureServer();
let dir: string;
let config: string;
let data: string;

function serve(path: string, body: string | Buffer, contentType = 'application/rss+xml'): void {
  fx.routes.set(path, { headers: { 'content-type': contentType }, body });
}

function lines(res: CliResult): (Record<string, unknown> & { change: string; title: string; id: string })[] {
  return res.stdout.trim() === '' ? [] : res.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

async function stored(): Promise<Item[]> {
  return [...(await ItemStore.open(data, { readOnly: true })).items()];
}

/** every file under the data directory with its size and mtime: inspect must change none of them */
function snapshot(): string {
  return readdirSync(data, { recursive: true }).map(String).sort()
    .map((name) => { const s = statSync(join(data, name)); return `${name} ${s.size} ${s.mtimeMs}`; }).join('\n');
}

beforeAll(async () => {
  await fx.start();
  dir = mkdtempSync(join(tmpdir(), 'tributary-inspect-source-'));
  data = join(dir, 'data');
  config = join(dir, 'sources.yaml');
  writeFileSync(config, `sources:
  - id: wire
    url: ${fx.url('/wire.xml')}
    filter:
      exclude: ["/^\\\\[广告\\\\]/"]
    retention: { maxItemsPerSource: 3 }
  - id: live
    url: ${fx.url('/live.xml')}
  - id: gbk
    url: ${fx.url('/gbk.xml')}
    encoding: gbk
`);
  serve('/wire.xml', rss([
    item('Minister resigns', 'https://wire.example.org/a', day(1), 'w-a'),
    item('Budget passes', 'https://wire.example.org/b', day(2), 'w-b'),
    item('Storm warning', 'https://wire.example.org/c', day(3), 'w-c'),
    item('Old feature', 'https://wire.example.org/d', day(30), 'w-d'),
  ]));
  // A live blog: one page, a new entry for each post, no guids — the service moves the source to link+date keys.
  serve('/live.xml', rss([
    item('Live: 10:00 polls open', 'https://wire.example.org/live', day(1)),
    item('Live: 09:00 turnout high', 'https://wire.example.org/live', day(1.1)),
  ]));
  serve('/gbk.xml', iconv.encode(rss([item('央行宣布降准', 'https://cn.example.org/1', day(1), 'g-1')], '<?xml version="1.0"?>'), 'gbk'), 'application/xml');
  const first = await runCli(['fetch', '--once', '--config', config, '--data', data]);
  expect(first.code, first.stderr).toBe(0);
});

afterAll(async () => {
  await fx.stop();
});

describe('tributary inspect --source', () => {
  it('prints what the next fetch stores: the update and the new item, not the filtered, pruned or unchanged ones', async () => {
    const before = await stored();
    // Retention kept 3 of wire's 4 items: the 30-day-old one was pruned and its key remembered.
    expect(before.filter((i) => i.sourceId === 'wire').map((i) => i.title).sort()).toEqual(['Budget passes', 'Minister resigns', 'Storm warning']);
    serve('/wire.xml', rss([
      item('Markets rally', 'https://wire.example.org/e', day(0.1), 'w-e'),
      item('[广告] Buy now', 'https://wire.example.org/ad', day(0.2), 'w-ad'),
      item('Minister resigns over budget', 'https://wire.example.org/a', day(1), 'w-a', '<description>Corrected.</description>'),
      item('Budget passes', 'https://wire.example.org/b', day(2), 'w-b'),
      item('Storm warning', 'https://wire.example.org/c', day(3), 'w-c'),
      item('Old feature', 'https://wire.example.org/d', day(30), 'w-d'),
    ]));
    const files = snapshot();
    const res = await runCli(['inspect', '--source', 'wire', '--config', config, '--data', data]);
    expect(res.code, res.stderr).toBe(0);
    const printed = lines(res);
    expect(printed.map((i) => [i.change, i.title])).toEqual([['new', 'Markets rally'], ['updated', 'Minister resigns over budget']]);
    expect(res.stderr).toContain('source wire: 6 items read from "Wire": 1 new, 1 updated, 2 unchanged, 1 pruned earlier by retention, 1 dropped by the source\'s filter');
    // The updated item keeps its stored id: subscribers see it as the same entry.
    expect(printed[1]!.id).toBe(before.find((i) => i.title === 'Minister resigns')!.id);
    expect(snapshot()).toBe(files);

    // The same document through the service: exactly what inspect printed was added and replaced.
    const next = await runCli(['fetch', '--once', '--config', config, '--data', data, '--source', 'wire']);
    expect(next.code, next.stderr).toBe(0);
    const after = await stored();
    const beforeById = new Map(before.map((i) => [i.id, i]));
    const changed = after.filter((i) => i.sourceId === 'wire' && JSON.stringify(i) !== JSON.stringify(beforeById.get(i.id)));
    expect(changed.map((i) => [beforeById.has(i.id) ? 'updated' : 'new', i.id, i.title]).sort())
      .toEqual(printed.map((i) => [i.change, i.id, i.title]).sort());

    // Asked again, nothing is left to store.
    const again = await runCli(['inspect', '--source', 'wire', '--config', config, '--data', data]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('0 new, 0 updated');
  });

  it('keys by the dedupe key stored for the source, where a plain inspect keys as for a new source', async () => {
    serve('/live.xml', rss([
      item('Live: 11:00 first results', 'https://wire.example.org/live', day(0.9)),
      item('Live: 10:00 polls open', 'https://wire.example.org/live', day(1)),
      item('Live: 09:00 turnout high', 'https://wire.example.org/live', day(1.1)),
    ]));
    const res = await runCli(['inspect', '--source', 'live', '--config', config, '--data', data]);
    expect(res.code, res.stderr).toBe(0);
    expect(lines(res).map((i) => [i.change, i.title])).toEqual([['new', 'Live: 11:00 first results']]);
    expect(res.stderr).toContain('source live: dedupe key link+date, as stored for the source since an earlier fetch');
    // Without --source the document is read as a new source's first fetch: all three are new.
    const plain = await runCli(['inspect', fx.url('/live.xml')]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('reads a saved FILE as the source\'s document, with its encoding, and answers unknown ids and bad flags clearly', async () => {
    const saved = join(dir, 'gbk-saved.xml');
    writeFileSync(saved, iconv.encode(rss([
      item('央行宣布降准', 'https://cn.example.org/1', day(1), 'g-1'),
      item('股市收涨', 'https://cn.example.org/2', day(0.5), 'g-2'),
    ], '<?xml version="1.0"?>'), 'gbk'));
    const res = await runCli(['inspect', '--source', 'gbk', saved, '--config', config, '--data', data]);
    expect(res.code, res.stderr).toBe(0);
    expect(lines(res).map((i) => [i.change, i.title, i.link])).toEqual([['new', '股市收涨', 'https://cn.example.org/2']]);
    expect(readFileSync(saved).includes(Buffer.from('股市', 'utf8'))).toBe(false);

    const unknown = await runCli(['inspect', '--source', 'nope', '--config', config, '--data', data]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`no source has the id "nope" in ${config} (sources: wire, live, gbk)`);
    const flags = await runCli(['inspect', '--source', 'gbk', '--timezone', 'UTC', '--config', config, '--data', data]);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('come from its config');
  });
});
