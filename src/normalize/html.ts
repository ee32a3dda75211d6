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

/** Sanitizes item HTML and resolves its relative links and image sources against base. */
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
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'embed', 'svg', 'math', 'template', 'title', 'head'],
    transformTags: {
      a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, ...(attribs.href ? { href: resolve(attribs.href) } : {}) } }),
      img: (tagName, attribs) => {
        // Lazy-loading pages leave src empty and put the image in data-src.
        const src = attribs.src?.trim() || attribs['data-src'] || attribs['data-original'];
        const out = { ...attribs };
        if (src && /^data:/i.test(src.trim())) {
          if (!/^data:image\/(png|gif|jpeg|webp);/i.test(src.trim()) || src.length > MAX_DATA_IMAGE_CHARS) delete out.src;
        } else if (src) out.src = resolve(src);
        return { tagName, attribs: out };
      },
    },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  });
  return clean.trim() || undefined;
}

/** Plain text of an HTML fragment or of entity-laden text: tags dropped, entities decoded, spaces collapsed. */
export function htmlToText(html: string): string {
  // Block ends become spaces, so <p>a</p><p>b</p> reads "a b", not "ab".
  const spaced = html.replace(/<\/(?:p|div|li|h[1-6]|tr|td|th|blockquote|pre|figure|figcaption)>|<br\s*\/?>/gi, '$& ');
  const withoutTags = sanitizeHtml(spaced, { allowedTags: [], allowedAttributes: {}, nonTextTags: ['script', 'style', 'textarea', 'noscript', 'iframe', 'svg', 'math'] });
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

function collapse(text: string): string {
  return text.replace(/[\s\u00a0\u3000]+/g, ' ').trim();
}
