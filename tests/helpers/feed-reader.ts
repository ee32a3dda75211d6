// A subscriber as a feed reader is one: it polls with the validators of its last fetch, reads whatever
// format it gets with a real feed-reading library (feedsmith), and remembers the entries it has seen.
import { parseFeed } from 'feedsmith';

export interface ReadEntry {
  id: string;
  title: string;
  link?: string;
}

export interface ReadFeed {
  format: 'atom' | 'rss' | 'json';
  entries: ReadEntry[];
  /** rel → href of the feed-level links (self, next, hub, …); JSON Feed: feed_url as self, next_url as next */
  links: Record<string, string>;
  hubs: string[];
  language?: string;
}

type Loose = Record<string, any>;

/** The entries and links of a feed document, as a reader library sees them. */
export function readFeed(body: string): ReadFeed {
  const { format, feed } = parseFeed(body) as { format: string; feed: Loose };
  if (format === 'atom') {
    const links = linkMap(feed.links);
    return {
      format, links, hubs: linksOf(feed.links, 'hub'), ...(feed.xml?.lang ? { language: feed.xml.lang } : {}),
      entries: (feed.entries ?? []).map((e: Loose) => ({
        id: e.id, title: e.title?.value ?? e.title, link: (e.links ?? []).find((l: Loose) => !l.rel || l.rel === 'alternate')?.href,
      })),
    };
  }
  if (format === 'rss') {
    return {
      format, links: linkMap(feed.atom?.links), hubs: linksOf(feed.atom?.links, 'hub'), ...(feed.language ? { language: feed.language } : {}),
      entries: (feed.items ?? []).map((i: Loose) => ({ id: i.guid?.value ?? i.guid, title: i.title, link: i.link })),
    };
  }
  if (format === 'json') {
    const links: Record<string, string> = {};
    if (feed.feed_url) links.self = feed.feed_url;
    if (feed.next_url) links.next = feed.next_url;
    return {
      format, links, hubs: (feed.hubs ?? []).map((h: Loose) => h.url), ...(feed.language ? { language: feed.language } : {}),
      entries: (feed.items ?? []).map((i: Loose) => ({ id: i.id, title: i.title, link: i.url })),
    };
  }
  throw new Error(`unexpected feed format ${format}`);
}

function linkMap(links: Loose[] | undefined): Record<string, string> {
  return Object.fromEntries((links ?? []).filter((l) => l.rel && l.rel !== 'hub').map((l) => [l.rel, l.href]));
}

function linksOf(links: Loose[] | undefined, rel: string): string[] {
  return (links ?? []).filter((l) => l.rel === rel).map((l) => l.href);
}

export interface Poll {
  status: number;
  feed?: ReadFeed;
  headers: Headers;
}

/** One subscription: conditional polls of one URL, every entry id ever seen, and whether one came twice. */
export class Subscriber {
  readonly url: string;
  readonly seen = new Map<string, number>();
  #etag: string | undefined;
  #lastModified: string | undefined;

  constructor(url: string) {
    this.url = url;
  }

  async poll(): Promise<Poll> {
    const headers: Record<string, string> = {
      accept: 'application/atom+xml, application/rss+xml, application/feed+json;q=0.9, */*;q=0.1',
      'accept-encoding': 'br, gzip',
    };
    if (this.#etag) headers['if-none-match'] = this.#etag;
    if (this.#lastModified) headers['if-modified-since'] = this.#lastModified;
    const res = await fetch(this.url, { headers });
    if (res.status !== 200) return { status: res.status, headers: res.headers };
    this.#etag = res.headers.get('etag') ?? undefined;
    this.#lastModified = res.headers.get('last-modified') ?? undefined;
    const feed = readFeed(await res.text());
    // A reader shows an entry once per id, however many polls carried it.
    for (const entry of feed.entries) if (!this.seen.has(entry.id)) this.seen.set(entry.id, this.seen.size);
    return { status: 200, feed, headers: res.headers };
  }
}
