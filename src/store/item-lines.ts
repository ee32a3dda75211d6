// The layout of data/store.json: one JSON document whose `items` array comes last, one item per line:
//
//   {"version":2,"generation":7,"savedAt":"…","items":[
//   {"id":"…",…},
//   {"id":"…",…}
//   ]}
//
// so that opening reads the file as a stream and parses one item at a time, never holding the whole text
// (100k items: ~90 MB of text beside ~120 MB of parsed items). A line ends at byte 0x0A only: JSON escapes
// a newline inside a string, and no UTF-8 multi-byte sequence contains 0x0A, so each line decodes on its own.
import { open } from 'node:fs/promises';
import { jsonChunks } from './json-chunks.ts';

/** Items serialised per piece written: ~100 KB, so each piece dies young (see json-chunks.ts). */
const ITEMS_PER_PIECE = 100;

/** The first line holds only the small members; a longer one is not this layout (an old one-line file). */
const MAX_HEADER_BYTES = 64 * 1024;

const READ_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * The text of `data` in the layout above, in pieces. A value without an `items` array is written as
 * jsonChunks writes it (one line).
 */
export function* itemLines(data: unknown): Generator<string> {
  const items = typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as { items?: unknown }).items : undefined;
  if (!Array.isArray(items) || typeof (data as { toJSON?: unknown }).toJSON === 'function') {
    yield* jsonChunks(data);
    return;
  }
  const { items: _items, ...members } = data as { items: unknown[] };
  const head = JSON.stringify(members);
  yield `${head.length > 2 ? `${head.slice(0, -1)},` : '{'}"items":[\n`;
  for (let i = 0; i < items.length; i += ITEMS_PER_PIECE) {
    const lines = items.slice(i, i + ITEMS_PER_PIECE).map((item) => JSON.stringify(item) ?? 'null');
    yield `${i === 0 ? '' : ',\n'}${lines.join(',\n')}`;
  }
  yield items.length > 0 ? '\n]}\n' : ']}\n';
}

/**
 * Reads `file` if it has exactly the layout itemLines writes, line by line; undefined when it does not (a
 * file written on one line by an older release, edited by hand, cut off or damaged), for the caller to read
 * it whole, which also gives the parse error of a damaged file. What it returns is what JSON.parse of the
 * whole file gives. Throws only what reading throws (ENOENT included). `eachItem` sees every item as it is parsed,
 * while it is still young: what it replaces then (a repeated string) is collected at once, not kept in the old
 * generation until the next full collection (at 100k items the store's open left ~80 MiB of such garbage).
 */
export async function readItemLines(file: string, eachItem?: (item: unknown) => void): Promise<Record<string, unknown> | undefined> {
  const handle = await open(file, 'r');
  try {
    const reader = new ItemLineReader(eachItem);
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    // The start of a line that continues in the next read, copied (the buffer is reused) and joined once whole.
    let carry: Buffer[] = [];
    let carried = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, null);
      if (bytesRead === 0) break;
      const bytes = buffer.subarray(0, bytesRead);
      let start = 0;
      for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
        const line = carried > 0 ? Buffer.concat([...carry, bytes.subarray(start, end)]) : bytes.subarray(start, end);
        carry = [];
        carried = 0;
        if (!reader.line(line.toString('utf8'))) return undefined;
        start = end + 1;
      }
      if (start < bytesRead) {
        carry.push(Buffer.from(bytes.subarray(start)));
        carried += bytesRead - start;
        if (reader.atHeader && carried > MAX_HEADER_BYTES) return undefined;
      }
    }
    if (carried > 0 && !reader.line(Buffer.concat(carry).toString('utf8'))) return undefined;
    return reader.result();
  } finally {
    await handle.close();
  }
}

/** The layout, line by line: each step either accepts a line or says the file is not of this layout. */
class ItemLineReader {
  #header: Record<string, unknown> | undefined;
  readonly #items: unknown[] = [];
  /** the last item line ended with a comma, so another item must follow */
  #open = false;
  #closed = false;
  readonly #eachItem: ((item: unknown) => void) | undefined;

  constructor(eachItem?: (item: unknown) => void) {
    this.#eachItem = eachItem;
  }

  get atHeader(): boolean {
    return this.#header === undefined;
  }

  line(text: string): boolean {
    // `]}` is the last line (the newline ending it ends the file): anything after it is not ours.
    if (this.#closed) return false;
    if (this.#header === undefined) return this.#readHeader(text);
    if (text === ']}') {
      if (this.#open) return false;
      this.#closed = true;
      return true;
    }
    if (this.#items.length > 0 && !this.#open) return false;
    this.#open = text.endsWith(',');
    const item = parse(this.#open ? text.slice(0, -1) : text);
    if (item === undefined) return false;
    this.#eachItem?.(item.value);
    this.#items.push(item.value);
    return true;
  }

  result(): Record<string, unknown> | undefined {
    if (!this.#closed || this.#header === undefined) return undefined;
    this.#header.items = this.#items;
    return this.#header;
  }

  #readHeader(text: string): boolean {
    // `{…,"items":[` closed by `]}` parses only if `"items"` is the last member of the top-level object.
    if (text.length > MAX_HEADER_BYTES || !text.startsWith('{') || !text.endsWith('"items":[')) return false;
    const header = parse(`${text}]}`)?.value;
    if (typeof header !== 'object' || header === null || Array.isArray(header)) return false;
    const items = (header as { items?: unknown }).items;
    if (!Array.isArray(items) || items.length > 0) return false;
    this.#header = header as Record<string, unknown>;
    return true;
  }
}

function parse(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}
