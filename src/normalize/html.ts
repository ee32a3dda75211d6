import sanitizeHtml from 'sanitize-html';
import { decodeHTML } from 'entities';
import { resolveUrl } from './urls.ts';

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
// Dropped with everything inside them: what runs, embeds, styles or asks for input.
const DROPPED_WITH_CONTENT = ['script', 'style', 'textarea', 'option', 'select', 'button', 'noscript', 'iframe', 'object',
  'embed', 'applet', 'svg', 'math', 'template', 'title', 'head', 'frameset', 'frame'];

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

const BLOCK_EDGE = /<(?:br|hr|\/?(?:p|div|li|dt|dd|h[1-6]|tr|td|th|blockquote|pre|figcaption|section|article))\b[^<>]*>/gi;

/** Plain text of an HTML fragment or of entity-laden text: tags dropped, entities decoded, spaces collapsed. */
export function htmlToText(html: string): string {
  // Lines and blocks end words: "<p>a</p><p>b</p>" reads "a b", not "ab".
  const spaced = html.replace(BLOCK_EDGE, ' $&');
  const withoutTags = sanitizeHtml(spaced, { allowedTags: [], allowedAttributes: {}, nonTextTags: DROPPED_WITH_CONTENT });
  return collapse(decodeHTML(withoutTags));
}

/** Decodes entities (often doubly escaped in RSS titles) and, when tags are present, drops them. */
export function textTitle(title: string, isHtml: boolean): string {
  let text = title;
  if (isHtml || INLINE_HTML_TAG.test(text)) text = htmlToText(text);
  else text = collapse(decodeHTML(decodeHTML(text)));
  return text;
}

// RSS titles are text, but CMSs leak formatting tags into them; only real HTML tags count, so a title
// like "Why <T> matters" keeps its angle brackets.
const INLINE_HTML_TAG = /<\/?(?:a|b|i|u|s|em|strong|span|font|br|sup|sub|small|big|code|mark|del|ins|q|abbr|cite|p|div|img)\b[^<>]*>/i;

// Control characters (from JSON Feed, or entities decoded here) are not text a reader can show.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]/g;

function collapse(text: string): string {
  return text.replace(CONTROL, '').replace(/[\s\u00a0\u3000]+/g, ' ').trim();
}
