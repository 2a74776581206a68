// Origins as --allowed-origins takes them. Parsing lives with the options
// (below server/); server/origin.ts checks requests against the result.
import { bad } from './flags.js';

/**
 * The origin as a browser serialises it (RFC 6454: lowercase scheme and
 * host, default port left out), or undefined when `text` is not one.
 */
export function normalizeOrigin(text: string): string | undefined {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return undefined;
  }
  if (u.origin === 'null' || u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '' || u.pathname !== '/') return undefined;
  // A trailing slash (http://host:port/) is harmless: URL gives every http(s) origin the path '/'.
  return u.origin;
}

/** --allowed-origins: each entry `*` or an origin `scheme://host[:port]` (no path), normalised as browsers send it. */
export function resolveAllowedOrigins(text: string | undefined): readonly string[] {
  if (text === undefined) return Object.freeze([]);
  const list = text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    if (s === '*') return s;
    const o = normalizeOrigin(s);
    if (o === undefined || !/^https?:\/\//.test(o)) {
      return bad('allowedOrigins', `"${s}" is not an origin; give scheme://host[:port] (e.g. http://localhost:3000) or *`);
    }
    return o;
  });
  if (list.length === 0) bad('allowedOrigins', 'lists no origin; give scheme://host[:port] entries, or * for any');
  return Object.freeze(list);
}
