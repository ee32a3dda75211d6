// The vertical-feeds fixtures: a Chinese portal scroll feed with AI stories and inline ads, an English wire,
// a developer blog, and a config with the rules over them.
import { readFileSync } from 'node:fs';
import type { FixtureServer } from './fixture-server.ts';

const FIXTURES = new URL('../fixtures/feeds/', import.meta.url);
export const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

export function serveFixtures(fx: FixtureServer, portal = fixture('portal-scroll.rss.xml')): void {
  fx.routes.set('/portal.xml', { headers: { 'content-type': 'application/rss+xml; charset=utf-8' }, body: portal });
  fx.routes.set('/wire.xml', { headers: { 'content-type': 'application/rss+xml' }, body: fixture('wire-english.rss.xml') });
  fx.routes.set('/blog.atom', { headers: { 'content-type': 'application/atom+xml' }, body: fixture('dev-blog.atom.xml') });
}

export const RULES = `rules:
  - tag: ai
    match: ["大模型", "人工智能", "DeepSeek", "AI", "/\\\\bLLMs?\\\\b/i"]
    exclude: ["广告"]
    sources: [portal, wire]
  - tag: 科技
    categories: ["科技", "Technology"]
  - tag: finance
    match: ["/\\\\bmarkets?\\\\b/i", "货币政策"]
    categories: ["财经", "Business"]
  - tag: keyboard
    match: ["/^(a+)+$/"]
tags:
  ai: { title: "AI 要闻", description: "大模型、人工智能与 LLM" }
`;

export function configText(fx: FixtureServer, rules = RULES): string {
  return `title: Vertical Wire
baseUrl: http://127.0.0.1:8080
${rules}sources:
  - id: portal
    url: ${fx.url('/portal.xml')}
    tags: [新闻, china]
    timezone: Asia/Shanghai
    filter: { exclude: ["/^\\\\[广告\\\\]/"] }
  - id: wire
    url: ${fx.url('/wire.xml')}
    tags: [world]
  - id: blog
    url: ${fx.url('/blog.atom')}
    tags: [dev]
`;
}

