import type { RawEnclosure } from './types.ts';
import { attrOf, childrenOf } from './xml-node.ts';

// Media RSS thumbnails carry no type; readers and RSS <enclosure> want one, and the extension names it.
const IMAGE_TYPES: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif',
};

/** Collects enclosures without duplicates (podcasts list the same file in <enclosure> and <media:content>). */
export class EnclosureList {
  readonly items: RawEnclosure[] = [];
  // A Set, not items.some(): a hostile item may carry 100,000 enclosures.
  readonly #urls = new Set<string>();

  add(url: string | undefined, type: string | undefined, length: string | number | undefined): void {
    const href = url?.trim();
    if (!href || this.#urls.has(href)) return;
    this.#urls.add(href);
    const enclosure: RawEnclosure = { url: href };
    const mime = type?.trim().toLowerCase();
    if (mime && /^[a-z]+\/[a-z0-9.+*-]+$/.test(mime)) enclosure.type = mime;
    const size = typeof length === 'number' ? length : Number(length?.trim());
    if (Number.isSafeInteger(size) && size > 0) enclosure.length = size;
    this.items.push(enclosure);
  }
}

/**
 * RSS <enclosure> (several, in practice), and the Media RSS module: media:content, media:content inside
 * media:group (YouTube, podcast hosts), and media:thumbnail.
 */
export function mediaEnclosures(item: unknown, list = new EnclosureList()): EnclosureList {
  for (const node of childrenOf(item, 'enclosure')) list.add(attrOf(node, 'url'), attrOf(node, 'type'), attrOf(node, 'length'));
  const contents = [...childrenOf(item, 'media:content'), ...childrenOf(item, 'media:group').flatMap((g) => childrenOf(g, 'media:content'))];
  for (const node of contents) {
    const medium = attrOf(node, 'medium');
    const url = attrOf(node, 'url');
    list.add(url, attrOf(node, 'type') ?? (medium === 'image' ? imageType(url) : undefined), attrOf(node, 'fileSize'));
  }
  const thumbnails = [...childrenOf(item, 'media:thumbnail'), ...childrenOf(item, 'media:group').flatMap((g) => childrenOf(g, 'media:thumbnail'))];
  for (const node of thumbnails) {
    const url = attrOf(node, 'url');
    list.add(url, imageType(url), undefined);
  }
  return list;
}

function imageType(url: string | undefined): string | undefined {
  const ext = url?.match(/\.([a-z0-9]{3,4})(?:[?#]|$)/i)?.[1]?.toLowerCase();
  return ext ? IMAGE_TYPES[ext] : undefined;
}
