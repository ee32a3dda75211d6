// What surrounds an article on a news page and is never part of it, whichever extractor runs: code, styles,
// embedded frames and forms, and the share widgets every portal puts above and below the body ("分享到：微信 微博").

/** Removed with their content before extraction. */
export const NOISE_ELEMENTS = 'script, style, noscript, template, iframe, object, embed, form, button, select, textarea, svg, link, meta';

// A share widget is named by its class or id: "share", "bdsharebuttonbox" (Baidu Share), "jiathis_style" (JiaThis),
// "bshare-custom", "social-links", "fenxiang". Whole words only, so an article about "shareholders" stays.
const SHARE_NAME = /(?:^|[\s_-])(?:share|shares|sharing|sharebar|sharebox|bdshare|bdsharebuttonbox|bshare|jiathis|jiathis_style|social|sns|fenxiang)(?:$|[\s_-])/i;

/** Whether an element with this class and id attribute is a share widget. */
export function isShareWidget(className: string | undefined, id: string | undefined): boolean {
  return (className !== undefined && SHARE_NAME.test(className)) || (id !== undefined && SHARE_NAME.test(id));
}
