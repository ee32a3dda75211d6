// The item a failing source with `errorItems: true` shows in its own feed, so that an editor who only reads
// feeds sees the outage. Built at render time from the source's state, never stored: it disappears with the
// failure. Its id (and date) change at most once a day: a reader shows one item per day of outage, not one
// per failed fetch.
import type { Item, PlainText, SourceState } from '../model.ts';
import { toPlainText } from '../normalize/plain-text.ts';

export interface ErrorItemContext {
  /** authority of tag: ids (the service's host name) */
  idAuthority: string;
  /** the source's title as the feeds show it */
  title: PlainText;
  /** the source's configured URL */
  url: string;
}

/** The outage items of the failing enabled sources with errorItems: true, by source id. */
export function errorItemsOf(
  sources: readonly { id: string; url: string; enabled: boolean; errorItems?: boolean }[],
  states: Readonly<Record<string, SourceState>>,
  titles: Readonly<Record<string, PlainText>>,
  idAuthority: string,
): Map<string, Item> {
  const items = new Map<string, Item>();
  for (const s of sources) {
    const state = states[s.id];
    const item = s.errorItems && s.enabled && state ? errorItem(state, { idAuthority, title: titles[s.id] ?? toPlainText(s.id, 'plain'), url: s.url }) : undefined;
    if (item) items.set(s.id, item);
  }
  return items;
}

/** The outage item of a failing source, or undefined while it is healthy. */
export function errorItem(state: SourceState, ctx: ErrorItemContext): Item | undefined {
  if (state.consecutiveFailures === 0 || !state.lastError || !state.lastFetch) return undefined;
  const day = state.lastFetch.slice(0, 10);
  const since = state.failingSince ?? state.lastFetch;
  // On the first day the outage is dated when it began; on later days at the day's start, so it stays on top.
  const published = since.slice(0, 10) === day ? since : `${day}T00:00:00.000Z`;
  // The message names the source and URL for the log; the feed's title names the source already.
  const reason = state.lastError.replace(/^source \S+ \([^)]*\): /, '');
  const text = `源 ${ctx.title} 抓取失败: ${reason}`;
  const detail = `${text}（自 ${since} 起，连续 ${state.consecutiveFailures} 次；${ctx.url}）`;
  return {
    id: `tag:${ctx.idAuthority},${day}:${state.id}/fetch-error`,
    sourceId: state.id,
    key: `error:${day}`,
    // The error message may quote the source's answer: it is text like any title.
    title: toPlainText(text, 'plain', 200),
    link: state.feedLink ?? ctx.url,
    published,
    updated: published,
    firstSeen: published,
    summary: `<p>${escapeHtml(detail)}</p>`,
    categories: [],
    enclosures: [],
    alsoIn: [],
    hash: '',
  };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
