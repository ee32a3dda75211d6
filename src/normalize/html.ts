import sanitizeHtml from 'sanitize-html';
import { DROPPED_WITH_CONTENT } from './dropped-elements.ts';
import { useSanitizer } from './plain-text.ts';
import { resolveUrl } from './urls.ts';

// The titles of this thread's items are made plain with the same copy (plain-text.ts loads one only when alone).
useSanitizer(sanitizeHtml);

// What readers need to show a news story; svg, math, style, iframe and textarea stay out on purpose
// (script vectors and layout breakers in readers that inline our HTML).
const ALLOWED_TAGS = [
  'p', 'br', 'hr', 'a', 'img', 'figure', 'figcaption', 'picture', 'blockquote', 'q', 'cite', 'pre', 'code', 'kbd',
  'samp', 'var', 'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'table', 'caption', 'colgroup', 'col', 'thead', 'tbody',
  'tfoot', 'tr', 'th', 'td', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'b', 'strong', 'i', 'em', 'u', 's', 'del', 'ins',
  'mark', 'small', 'sub', 'sup', 'abbr', 'time', 'span', 'div', 'section', 'article', 'details', 'summary', 'ruby',
  'rt', 'rp', 'wbr',
];

/** A data: image larger than this is dropped; small inline icons and charts are kept. */
const MAX_DATA_IMAGE_CHARS = 16 * 1024;
// Raster types only: an SVG data: image can carry script.
const DATA_IMAGE = /^data:image\/(png|gif|jpeg|webp|avif);base64,[a-z0-9+/=\s]*$/i;
// Lazy-loading pages (WeChat, most Chinese portals, WordPress plugins) keep the real image here and a 1x1
// placeholder in src; a reader runs no script to swap them.
const LAZY_SRC = ['data-src', 'data-original', 'data-lazy-src', 'data-actualsrc'];

/**
 * Sanitizes item HTML and resolves its relative links and image sources against base. Keeps the structure
 * readers show (paragraphs, links, images, lists, tables, figures, quotes, code, headings); drops script,
 * style, iframe, object, embed, form controls, meta, svg, math, every event handler and style attribute,
 * and URLs other than http(s), mailto and small raster data: images.
 */
export function cleanHtml(html: string | undefined, base: string | undefined): string | undefined {
  if (!html || !html.trim()) return undefined;
  const resolve = (value: string | undefined) => resolveUrl(value, base) ?? value ?? '';
  const clean = sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: {
      a: ['href', 'title'],
      img: ['src', 'alt', 'title', 'width', 'height'],
      td: ['colspan', 'rowspan'],
      th: ['colspan', 'rowspan', 'scope'],
      time: ['datetime'],
      abbr: ['title'],
      ol: ['start'],
      '*': ['lang', 'dir'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https', 'data'] },
    allowProtocolRelative: false,
    nonTextTags: DROPPED_WITH_CONTENT,
    transformTags: {
      a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, ...(attribs.href ? { href: resolve(attribs.href) } : {}) } }),
      img: (tagName, attribs) => {
        const lazy = LAZY_SRC.map((name) => attribs[name]?.trim()).find(Boolean);
        const src = (lazy ?? attribs.src)?.trim();
        const isData = src !== undefined && /^data:/i.test(src);
        const kept = isData ? (DATA_IMAGE.test(src) && src.length <= MAX_DATA_IMAGE_CHARS ? src : undefined) : src && resolve(src);
        const out = { ...attribs };
        if (kept) out.src = kept;
        else delete out.src;
        return { tagName, attribs: out };
      },
    },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  });
  return clean.trim() || undefined;
}
