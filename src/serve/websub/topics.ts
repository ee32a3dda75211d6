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
