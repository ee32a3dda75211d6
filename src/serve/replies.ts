// The service's own answers that are not documents: JSON (/healthz, /status), plain text, and for a browser an error
// page linking the index, in the configured language.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { messages, pageLang } from '../render/messages.ts';
import { PAGE_CSP } from '../render/page-style.ts';
import { isBrowserNavigation } from './negotiate.ts';

export function sendJson(res: ServerResponse, req: IncomingMessage, status: number, value: unknown): void {
  const body = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * An answer in words: plain text, or for a browser navigating here (Accept: text/html) a page linking the index, in
 * the language `language()` names (asked only for that page).
 */
export function replyText(res: ServerResponse, status: number, text: string, language: () => string | undefined): void {
  if (status >= 400 && isBrowserNavigation(res.req?.headers.accept)) return sendErrorPage(res, status, text.trim(), language());
  const body = Buffer.from(text);
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, ...(status >= 400 ? { vary: 'Accept' } : {}) });
  res.end(body);
}

function sendErrorPage(res: ServerResponse, status: number, message: string, language: string | undefined): void {
  const words = messages(language);
  const title = words.status[status] ?? words.error;
  const body = Buffer.from(`<!DOCTYPE html>
<html lang="${escapeHtml(pageLang(language))}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>${status} ${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,"Noto Sans CJK SC",sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}
code{word-break:break-all}a{color:#0b57d0}</style></head>
<body><h1>${status} · ${escapeHtml(title)}</h1><p><code>${escapeHtml(message)}</code></p>
<p><a href="/">${escapeHtml(words.backToIndex)}</a></p></body></html>
`);
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length, vary: 'Accept', 'content-security-policy': PAGE_CSP });
  res.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
