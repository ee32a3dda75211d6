// Elements whose content is never text a reader should see, shared by the HTML cleaner (html.ts) and the plain
// text gate (plain-text.ts). Apart from html.ts so that reading a config's titles does not load sanitize-html.

/** Dropped with everything inside them: what runs, embeds, styles or asks for input. */
export const DROPPED_WITH_CONTENT = ['script', 'style', 'textarea', 'option', 'select', 'button', 'noscript', 'iframe', 'object',
  'embed', 'applet', 'svg', 'math', 'template', 'title', 'head', 'frameset', 'frame'];
