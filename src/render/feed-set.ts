import { createHash } from 'node:crypto';
import type { FeedSpec } from './feed-specs.ts';
import { renderFeed, type FeedFormat, type RenderContext, type RenderedFeed } from './render-feed.ts';

interface Entry {
  signature: string;
  spec: FeedSpec;
  formats: Record<FeedFormat, RenderedFeed>;
}

/**
 * The rendered output feeds, kept ready for serving. update() re-renders only the feeds whose content
 * signature changed, and swaps each one in whole, so a request never sees half a render.
 */
export class FeedSet {
  #entries = new Map<string, Entry>();

  get(path: string, format: FeedFormat): RenderedFeed | undefined {
    return this.#entries.get(path)?.formats[format];
  }

  specs(): FeedSpec[] {
    return [...this.#entries.values()].map((e) => e.spec);
  }

  /** Renders what changed; returns the paths re-rendered. */
  update(specs: FeedSpec[], ctx: RenderContext): string[] {
    const changed: string[] = [];
    const next = new Map<string, Entry>();
    const contextSig = contextSignature(ctx);
    for (const spec of specs) {
      const signature = specSignature(spec, contextSig, ctx);
      const old = this.#entries.get(spec.path);
      if (old && old.signature === signature) {
        next.set(spec.path, { ...old, spec });
        continue;
      }
      next.set(spec.path, { signature, spec, formats: renderFeed(spec, ctx) });
      changed.push(spec.path);
    }
    this.#entries = next;
    return changed;
  }
}

/** What a feed's bytes depend on; equal signatures give equal bytes. Also used for composed tag feeds. */
export function specSignature(spec: FeedSpec, contextSig: string, ctx: RenderContext): string {
  const hash = createHash('sha1').update(contextSig).update(spec.title).update('\0').update(spec.description);
  for (const item of spec.items) hash.update(`\0${item.id}|${item.hash}|${item.updated}|${item.alsoIn.join(',')}`);
  // Rule tags are categories of the entry: a rule change re-renders exactly the feeds holding re-tagged items.
  if (ctx.ruleTags) for (const item of spec.items) hash.update(`\0${ctx.ruleTags(item).join(',')}`);
  return hash.digest('base64');
}

export function contextSignature(ctx: RenderContext): string {
  return JSON.stringify([ctx.baseUrl, [...ctx.sources], [...ctx.tagsOf]]);
}
