// What the store reads from disk goes through the same gate as what a fetch brings (normalize/plain-text.ts):
// JSON has no PlainText type, and a file written by an older release, a hand edit or a restored backup may hold
// titles with markup. Items pass as `plain`, which changes nothing that normalize made (their hashes stay, so no
// item looks edited after a restart) while dropping what text cannot hold; every renderer writes the result as
// text. A source's feedTitle was stored as the source wrote it before this gate existed, so it is read as a feed
// title is (`text`); a fetch that succeeds replaces it anyway.
import type { Item, SourceState } from '../model.ts';
import { toPlainText } from '../normalize/plain-text.ts';
import { eachInSlices } from './slices.ts';

/** Brings the text fields of items read from a store file to PlainText, in place (they were just parsed). */
export async function plainStoredItems(items: Item[]): Promise<void> {
  await eachInSlices(items, (item) => {
    if (typeof item.title === 'string') item.title = toPlainText(item.title, 'plain');
    if (typeof item.author?.name === 'string') {
      const name = toPlainText(item.author.name, 'plain');
      if (name) item.author.name = name;
      else delete item.author.name;
    }
    if (Array.isArray(item.categories)) {
      for (let i = 0; i < item.categories.length; i++) item.categories[i] = toPlainText(String(item.categories[i]), 'plain');
      if (item.categories.some((c) => !c)) item.categories = item.categories.filter(Boolean);
    }
  });
}

/** The same for the source states of sources.json (or of a version 1 store), in place. */
export function plainStoredStates(sources: Record<string, SourceState>): void {
  for (const state of Object.values(sources)) {
    if (typeof state?.feedTitle !== 'string') continue;
    const title = toPlainText(state.feedTitle, 'text');
    if (title) state.feedTitle = title;
    else delete state.feedTitle;
  }
}
