// Bearer-token check for the ingest routes (--auth-token). Constant-time
// comparison, so response timing does not reveal how much of a guess matched.
import { timingSafeEqual } from 'node:crypto';

/** True when `authorization` is `Bearer <token>` (scheme case-insensitive). */
export function bearerOk(authorization: string, token: string): boolean {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) return false;
  const given = Buffer.from(m[1]!, 'utf8');
  const want = Buffer.from(token, 'utf8');
  return given.length === want.length && timingSafeEqual(given, want);
}

export const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Bearer realm="sabre"' };
