import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJsonFile } from '../../../src/store/durable-file.ts';
import { StoreCorruptError } from '../../../src/store/errors.ts';
import { itemLines, readItemLines } from '../../../src/store/item-lines.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-item-lines-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Strings that could fool a reader that splits lines or looks for the end by text. */
const TRICKY = [
  '国产大飞机 C919 首航：新闻联播',
  'two\nlines\r\nand a CR',
  'line\u2028separator\u2029paragraph',
  'a "quoted" word and a \\ backslash, \\n not a newline',
  ']}',
  '\n]}\n',
  'ends with a comma,',
  '"items":[',
  '😀 astral, \u0000 NUL, \u001f',
];

function item(n: number, extra: Record<string, unknown> = {}) {
  return {
    id: `tag:tributary.example,2025:s/${n}`,
    sourceId: 's',
    title: TRICKY[n % TRICKY.length],
    summary: TRICKY.join(' | '),
    categories: ['新闻', ']}', ','],
    alsoIn: [],
    ...extra,
  };
}

function store(items: unknown[]) {
  return { version: 2, generation: 7, items, savedAt: '2025-03-09T12:00:00.000Z' };
}

async function fileOf(text: string): Promise<string> {
  const file = join(dir, 'store.json');
  await writeFile(file, text);
  return file;
}

describe('itemLines', () => {
  it('writes one JSON document: the members first, then each item on a line of its own', () => {
    const data = store(Array.from({ length: 250 }, (_, n) => item(n)));
    const text = [...itemLines(data)].join('');
    expect(JSON.parse(text)).toEqual(data);
    const lines = text.split('\n');
    expect(lines[0]).toBe('{"version":2,"generation":7,"savedAt":"2025-03-09T12:00:00.000Z","items":[');
    expect(lines.slice(1, -2).map((line) => JSON.parse(line.replace(/,$/, '')))).toEqual(data.items);
    expect(lines.slice(-2)).toEqual([']}', '']);
  });

  it('writes an empty store as a header and the end', () => {
    const text = [...itemLines({ version: 2, generation: 0, items: [] })].join('');
    expect(text).toBe('{"version":2,"generation":0,"items":[\n]}\n');
    expect(JSON.parse(text)).toEqual({ version: 2, generation: 0, items: [] });
  });

  it('writes a value without an items array as JSON.stringify does', () => {
    expect([...itemLines({ version: 2, sources: {} })].join('')).toBe('{"version":2,"sources":{}}');
  });
});

describe('readItemLines', () => {
  it.each([
    ['tricky strings', store(Array.from({ length: 30 }, (_, n) => item(n)))],
    ['no items', store([])],
    ['one item', store([item(1)])],
    ['only items', { items: [item(1), item(2)] }],
    ['items that are not objects', store([null, 1, 'x', [']}'], item(3)])],
  ])('reads back what itemLines wrote: %s', async (_name, data) => {
    const file = await fileOf([...itemLines(data)].join(''));
    expect(await readItemLines(file)).toEqual(JSON.parse([...itemLines(data)].join('')));
    expect(await readItemLines(file)).toEqual(data);
  });

  it('reads lines that span its reads: an item of several MB, and thousands of items', async () => {
    const big = item(0, { content: '长文'.repeat(1_500_000) });
    const data = store([item(1), big, ...Array.from({ length: 5000 }, (_, n) => item(n + 2))]);
    const file = await fileOf([...itemLines(data)].join(''));
    expect(await readItemLines(file)).toEqual(data);
  });

  it('hands each item to eachItem as it is parsed, in file order, and returns what it left', async () => {
    const data = store([item(1), null, 'x', item(2)]);
    const file = await fileOf([...itemLines(data)].join(''));
    const seen: unknown[] = [];
    const read = await readItemLines(file, (value) => {
      seen.push(structuredClone(value));
      if (typeof value === 'object' && value !== null) (value as { seen?: boolean }).seen = true;
    });
    expect(seen).toEqual(data.items);
    expect(read!.items).toEqual([{ ...item(1), seen: true }, null, 'x', { ...item(2), seen: true }]);
  });

  it('keeps the order of the file, the items last', async () => {
    const file = await fileOf([...itemLines(store([item(1)]))].join(''));
    expect(Object.keys((await readItemLines(file))!)).toEqual(['version', 'generation', 'savedAt', 'items']);
  });

  const written = [...itemLines(store([item(1), item(2), item(3)]))].join('');
  const lines = written.split('\n');
  const others: [string, string][] = [
    ['a file written on one line by an older release', JSON.stringify(store([item(1), item(2)]))],
    ['the same without the final newline', written.slice(0, -1)],
    ['a trailing garbage line', `${written}garbage\n`],
    ['a second document after the end', `${written}${written}`],
    ['an empty line after the end', `${written}\n`],
    ['CRLF line ends', written.replace(/\n/g, '\r\n')],
    ['a blank line between items', [...lines.slice(0, 2), '', ...lines.slice(2)].join('\n')],
    ['a missing comma between items', written.replace('},\n{', '}\n{')],
    ['a comma after the last item', written.replace('}\n]}', '},\n]}')],
    ['two items on one line', written.replace('},\n{', '},{')],
    ['items not last', `{"items":[\n${lines[1]!.slice(0, -1)}\n],"version":2}\n`],
    ['a header that only looks like one', `{"note":"\\"items\\":[\n${lines.slice(1).join('\n')}`],
    ['a nested items array', `{"a":{"items":[\n${lines.slice(1).join('\n')}`],
    ['a long header', `{"pad":"${'x'.repeat(100_000)}",${written.slice(1)}`],
    ['a byte order mark', `\ufeff${written}`],
    ['an empty store on one line', '{"version":2,"generation":1,"items":[]}\n'],
    ['the end on the last item line', written.replace('}\n]}', '}]}')],
    ['a file cut just after an item line', lines.slice(0, 3).join('\n') + '\n'],
    ['a member repeated in the header, an earlier items array included', `{"items":[1],"version":1,"version":2,${lines[0]!.slice(1)}\n${lines.slice(1).join('\n')}`],
    ['a key repeated inside an item', written.replace('{"id":', '{"id":"first","id":')],
    ['a __proto__ member', `{"__proto__":{"polluted":true},${written.slice(1)}`],
  ];

  it.each(others)('reads %s exactly as JSON.parse of the whole file does', async (_name, text) => {
    const file = await fileOf(text);
    const streamed = await readItemLines(file);
    let whole: unknown;
    try {
      whole = JSON.parse(text);
    } catch {
      whole = undefined;
    }
    // Either the layout is recognised and gives what JSON.parse gives, or it is left to the whole-file read.
    if (streamed !== undefined) expect(streamed).toEqual(whole);
    const read = await readJsonFile(file, { itemLines: true }).then((value) => value, (err: unknown) => err);
    if (whole === undefined) expect(read).toBeInstanceOf(StoreCorruptError);
    else expect(read).toEqual(whole);
  });

  it('leaves a file in the layout but cut off to the whole-file read, at every cut', async () => {
    for (let cut = 0; cut < written.length - 2; cut += 7) {
      const file = await fileOf(written.slice(0, cut));
      expect(await readItemLines(file), `cut at ${cut}`).toBeUndefined();
      const err = await readJsonFile(file, { itemLines: true }).then(() => undefined, (e: unknown) => e);
      expect(err, `cut at ${cut}`).toBeInstanceOf(StoreCorruptError);
      expect((err as StoreCorruptError).message).toContain(file);
    }
  });

  it('refuses a trailing garbage line instead of dropping it', async () => {
    const file = await fileOf(`${written}{"id":"lost"}\n`);
    await expect(readJsonFile(file, { itemLines: true })).rejects.toThrow(/store file .*store\.json is corrupt \(.*JSON/);
  });
});
