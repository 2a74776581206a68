// Cross-site check for browser requests (--allowed-origins). A browser puts
// an `Origin` header on every WebSocket upgrade and on a cross-site POST, and
// a WebSocket is not covered by CORS: without this check any page open in a
// local browser could write records to /ws/ingest or read /ws/results. A
// request with an Origin is taken only from the dashboard's own origin
// (http://<the request's Host>) or an origin listed in --allowed-origins
// (`*`: any); a request without one (curl, servers, the `ws` package) is not
// a browser's and passes. Refused: 403 with reason ERR_FORBIDDEN_ORIGIN
// (the caller counts it).
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { JSON_TYPE, send } from './respond.js';


export const FORBIDDEN_ORIGIN = 'ERR_FORBIDDEN_ORIGIN';

/** Origins (as `scheme://host[:port]`, lowercase, default port left out) besides the page's own; '*' = any. */
export type AllowedOrigins = readonly string[];

/** True when a request with this Origin and Host may proceed. */
export function originAllowed(origin: string, host: string, allowed: AllowedOrigins): boolean {
  if (origin === '') return true; // not a browser's request
  const o = origin.toLowerCase();
  const h = host.toLowerCase();
  // The dashboard's own origin: the page was served by this host:port over http.
  if (h !== '' && (o === `http://${h}` || (h.endsWith(':80') && o === `http://${h.slice(0, -3)}`))) return true;
  for (const a of allowed) if (a === '*' || a === o) return true;
  return false;
}

/** In a route or an upgrade: answer 403 and return true when the request's Origin is not allowed (the caller counts it). */
export function refuseForeignOrigin(res: HttpResponse, req: HttpRequest, allowed: AllowedOrigins): boolean {
  const origin = req.getHeader('origin');
  if (origin === '' || originAllowed(origin, req.getHeader('host'), allowed)) return false; // '': the usual, non-browser case
  send(res, '403 Forbidden', JSON_TYPE, JSON.stringify({
    error: `origin ${origin} is not allowed: only the dashboard's own origin and --allowed-origins may send browser requests`,
    reason: FORBIDDEN_ORIGIN,
  }));
  return true;
}
