// The default of dedupe.trackingParams, apart from the schema (schema.ts re-exports it): normalize/urls.ts matches
// links against it on the read workers, and importing it from schema.ts made every read worker load zod, node-cron
// and re2js and build the whole config schema before reading its first document.

/**
 * Query parameters that only track readers, removed before links are compared across sources. A trailing "*"
 * matches a prefix. Chinese portals and WeChat add spm, from, scene, isappinstalled, wfr, …
 */
export const DEFAULT_TRACKING_PARAMS: readonly string[] = [
  'utm_*', 'spm', 'from', 'fbclid', 'gclid', 'dclid', 'msclkid', 'mc_cid', 'mc_eid', '_hsenc', '_hsmi', 'igshid',
  'yclid', 'srsltid', 'mkt_tok', '_ga', 'share_token', 'share_from', 'scene', 'wfr', 'isappinstalled', 'clicktime',
  'enterid', 'ref', 'ref_src', 'cmpid', 'ocid', 'ncid', 'xtor', 'wt.mc_id',
];
