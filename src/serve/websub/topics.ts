import { SYNDICATION_FORMATS, feedUrl, type FeedFormat, type RenderedFeed } from '../../render/render-feed.ts';

/** The feeds a topic URL can name, as the FeedSet holds them. */
export interface TopicFeeds {
  specs(): { path: string }[];
  get(path: string, format: FeedFormat): RenderedFeed | undefined;
}

/** The topic URLs of feed paths: each format is its own topic, as each is its own self link. */
export function topicUrls(baseUrl: string, paths: readonly string[]): string[] {
  return paths.flatMap((path) => SYNDICATION_FORMATS.map((format) => feedUrl(baseUrl, path, format)));
}

/** The current content of a topic URL, or undefined when it names no feed of ours (a query never does). */
export function topicContent(baseUrl: string, feeds: TopicFeeds, topic: string): RenderedFeed | undefined {
  for (const { path } of feeds.specs()) {
    for (const format of SYNDICATION_FORMATS) if (feedUrl(baseUrl, path, format) === topic) return feeds.get(path, format);
  }
  return undefined;
}

/**
 * The feed document a topic URL names, as `path.format` (the name the PostgreSQL store publishes it under), or
 * undefined when it names none: only the URL a feed gives as its own (feedUrl's spelling) is a topic.
 */
export function topicName(baseUrl: string, topic: string): string | undefined {
  const prefix = `${baseUrl}/feeds/`;
  if (!topic.startsWith(prefix)) return undefined;
  const rest = topic.slice(prefix.length);
  const dot = rest.lastIndexOf('.');
  const format = SYNDICATION_FORMATS.find((f) => f === rest.slice(dot + 1));
  if (dot <= 0 || !format) return undefined;
  let path: string;
  try {
    path = rest.slice(0, dot).split('/').map(decodeURIComponent).join('/');
  } catch {
    return undefined;
  }
  return feedUrl(baseUrl, path, format) === topic ? `${path}.${format}` : undefined;
}
