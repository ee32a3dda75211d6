// What every HTML page of the site shares: the Content-Security-Policy the server sends with it, the inline
// stylesheet, and the one inline script of the feed views (its hash is what the policy allows, nothing else runs).
import { createHash } from 'node:crypto';

/**
 * Refreshes the relative times ("3 minutes ago") of a page a cache kept, every minute, with the words the page
 * carries on <body data-rel-*>, and runs the copy buttons: navigator.clipboard where the page is a secure context,
 * else selecting the field and execCommand('copy'), else leaving it selected for the reader to copy.
 */
export const VIEW_SCRIPT = `(function(){var d=document.body.dataset;
function word(s){var u=s<3600?[60,'Minute']:s<86400?[3600,'Hour']:[86400,'Day'],n=Math.floor(s/u[0]);
return (n===1?d['rel'+u[1]+'One']:d['rel'+u[1]]).replace('{n}',n)}
function tick(){var now=Date.now();document.querySelectorAll('time[data-ts]').forEach(function(t){
var s=(now-Date.parse(t.dateTime))/1000;t.textContent=s<60?d.relNow:s<604800?word(s):t.getAttribute('data-abs')})}
tick();setInterval(tick,60000);
document.addEventListener('click',function(e){var b=e.target.closest&&e.target.closest('button[data-copy]');if(!b)return;
var f=document.getElementById('feed-url-'+b.getAttribute('data-copy'));
function done(ok){b.textContent=ok?d.copied:d.copyFailed;b.setAttribute('data-copied',ok?'yes':'no')}
function fallback(){f.focus();f.select();var ok=false;try{ok=document.execCommand('copy')}catch(x){}done(ok)}
if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(f.value).then(function(){done(true)},fallback)}else fallback()})})();`;

const SCRIPT_HASH = createHash('sha256').update(VIEW_SCRIPT).digest('base64');

/**
 * The policy of every HTML page: no script but the one above, styles inline only, images and media of the
 * sources' summaries from anywhere on the web, no forms, no framing, no <base>.
 */
export const PAGE_CSP = `default-src 'none'; script-src 'sha256-${SCRIPT_HASH}'; style-src 'unsafe-inline'; img-src http: https: data:; `
  + "media-src http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Readable at 1280 px and at 390 px without horizontal scrolling: every long word and wide element may break. */
export const PAGE_STYLE = `*{box-sizing:border-box}
body{font:16px/1.55 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
max-width:48rem;margin:0 auto;padding:1rem;color:#1f2328;background:#fff;overflow-wrap:anywhere}
a{color:#0b57d0}h1{font-size:1.5rem;line-height:1.3;margin:.5rem 0}h2{font-size:1.05rem;margin:0}
img,video,iframe{max-width:100%;height:auto}pre{white-space:pre-wrap}table{display:block;max-width:100%;overflow-x:auto}
nav.top{font-size:.9rem}.desc{color:#59636e;margin:.25rem 0 1rem}
#subscribe{border:1px solid #d0d7de;border-radius:8px;padding:.75rem;margin:1rem 0;background:#f6f8fa}
#subscribe h2{margin-bottom:.5rem}#subscribe .row{display:flex;gap:.4rem;align-items:center;margin:.3rem 0}
#subscribe label{flex:0 0 5.5rem;font-size:.9rem}#subscribe input{flex:1;min-width:0;font:.85rem ui-monospace,monospace;padding:.3rem}
#subscribe button{flex:0 0 auto;font:inherit;font-size:.85rem;padding:.3rem .7rem;cursor:pointer}
ol.items{list-style:none;padding:0;margin:0}ol.items>li{border-top:1px solid #d8dee4;padding:.8rem 0}
.meta{font-size:.85rem;color:#59636e;margin:.2rem 0}.tags a{display:inline-block;margin-right:.5rem}
.summary{margin:.4rem 0}details>summary{cursor:pointer;color:#59636e}
nav.pages{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}`;
