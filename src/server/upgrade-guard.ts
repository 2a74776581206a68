// The checks a push-route WebSocket upgrade (/ws/ingest, /ws/results) makes
// before anything else, in one order for both: a browser's Origin, then the
// bearer token.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { refuseUnauthorizedUpgrade } from './bearer.js';
import { refuseForeignOrigin, type AllowedOrigins } from './origin.js';

/** The refusal counters a guarded route keeps (its stats). */
export interface RefusalCounts {
  forbidden403: number;
  unauthorized401: number;
}

/** Answer 403 (Origin not allowed) or 401 (token missing or wrong), count it, and return true; false: go on. */
export function refuseUpgrade(res: HttpResponse, req: HttpRequest, allowed: AllowedOrigins, token: string | undefined,
  counts: RefusalCounts): boolean {
  if (refuseForeignOrigin(res, req, allowed)) {
    counts.forbidden403++;
    return true;
  }
  if (refuseUnauthorizedUpgrade(res, req, token)) {
    counts.unauthorized401++;
    return true;
  }
  return false;
}
