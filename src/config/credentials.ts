// A source URL may carry `user:pass@`: that is HTTP Basic auth, which fetch() refuses to take from a URL.
// The config splits it off once, so the URL that the index, /status, the OPML and the logs show never holds
// the password; only the fetch stage turns the pair into an Authorization header.

export interface BasicAuth {
  username: string;
  password: string;
}

/** A URL's user:pass@ as BasicAuth, and the URL without it; a URL that does not parse is returned as is. */
export function splitUrlCredentials(url: string): { url: string; auth?: BasicAuth } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  if (!parsed.username && !parsed.password) return { url };
  const auth = { username: safeDecode(parsed.username), password: safeDecode(parsed.password) };
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.href, auth };
}

/** The Authorization header value for Basic auth (RFC 7617, UTF-8). */
export function basicAuthorization(auth: BasicAuth): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
