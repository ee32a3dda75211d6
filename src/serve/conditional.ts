/** RFC 9110 §13.1.2: If-None-Match uses weak comparison; "*" matches any current representation. */
export function isNotModified(
  headers: { 'if-none-match'?: string | undefined; 'if-modified-since'?: string | undefined },
  etag: string,
  lastModified: string,
): boolean {
  const inm = headers['if-none-match'];
  // A reader sends back the ETag it was given: that exact string needs no parsing.
  if (inm === etag) return true;
  if (inm !== undefined) {
    const ours = opaque(etag);
    return inm.split(',').some((candidate) => {
      const tag = candidate.trim();
      return tag === '*' || opaque(tag) === ours;
    });
  }
  const ims = headers['if-modified-since'];
  if (ims !== undefined) {
    const since = Date.parse(ims);
    const modified = Date.parse(lastModified);
    return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
  }
  return false;
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

export type Encoding = 'br' | 'gzip' | 'identity';

/** Answers per Accept-Encoding value: readers send the same few values all day. Bounded, as the values come from clients. */
const pickedEncodings = new Map<string, Encoding>();

/** The best encoding we hold for an Accept-Encoding header: br, then gzip, else identity. */
export function pickEncoding(acceptEncoding: string | undefined): Encoding {
  if (!acceptEncoding) return 'identity';
  let picked = pickedEncodings.get(acceptEncoding);
  if (picked === undefined) {
    picked = parseAcceptEncoding(acceptEncoding);
    if (pickedEncodings.size < 256) pickedEncodings.set(acceptEncoding, picked);
  }
  return picked;
}

function parseAcceptEncoding(acceptEncoding: string): Encoding {
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [rawName, ...params] = part.trim().toLowerCase().split(';');
    const name = rawName === 'x-gzip' ? 'gzip' : rawName?.trim();
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const weight = (name: string) => q.get(name) ?? q.get('*') ?? 0;
  if (weight('br') > 0 && weight('br') >= weight('gzip')) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return 'identity';
}
