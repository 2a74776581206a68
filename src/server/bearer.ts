// Bearer-token check for the push routes (--auth-token): POST /ingest,
// /ws/ingest and /ws/results. Constant-time comparison, so response timing
// does not reveal how much of a guess matched.
import { timingSafeEqual } from 'node:crypto';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { JSON_TYPE, send } from './respond.js';

/** True when `authorization` is `Bearer <token>` (scheme case-insensitive). */
export function bearerOk(authorization: string, token: string): boolean {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) return false;
  const given = Buffer.from(m[1]!, 'utf8');
  const want = Buffer.from(token, 'utf8');
  return given.length === want.length && timingSafeEqual(given, want);
}

/**
 * A WebSocket upgrade carries the token as `Authorization: Bearer …` or as
 * `?access_token=…` (browsers cannot set headers on a WebSocket). Always true
 * without a token. Read during the upgrade callback: uWS requests die with it.
 */
export function upgradeAuthorized(req: HttpRequest, token: string | undefined): boolean {
  if (token === undefined) return true;
  if (bearerOk(req.getHeader('authorization'), token)) return true;
  const given = new URLSearchParams(req.getQuery()).get('access_token');
  return given !== null && bearerOk(`Bearer ${given}`, token);
}

export const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Bearer realm="sabre"' };

/** In a WebSocket upgrade: answer 401 and return true when the token is required and missing or wrong (the caller counts it). */
export function refuseUnauthorizedUpgrade(res: HttpResponse, req: HttpRequest, token: string | undefined): boolean {
  if (upgradeAuthorized(req, token)) return false;
  send(res, '401 Unauthorized', JSON_TYPE, '{"error":"missing or wrong bearer token"}', WWW_AUTHENTICATE);
  return true;
}
