// Small response helpers shared by the routes. uWS responses must be written
// in one go (status, headers, body) and, after any await, inside res.cork().
import type { HttpResponse } from 'uWebSockets.js';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

export function send(res: HttpResponse, status: string, contentType: string, body: string | Uint8Array,
  headers: Record<string, string> = {}): void {
  res.writeStatus(status).writeHeader('Content-Type', contentType);
  for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
  res.end(body);
}

export function notFound(res: HttpResponse): void {
  send(res, '404 Not Found', JSON_TYPE, '{"error":"not found"}');
}

/** For read-only paths: anything but the allowed methods gets 405 with an Allow header. */
export function methodNotAllowed(res: HttpResponse, allow = 'GET'): void {
  send(res, '405 Method Not Allowed', JSON_TYPE, '{"error":"method not allowed"}', { Allow: allow });
}

export function serverError(res: HttpResponse, e: unknown): void {
  send(res, '500 Internal Server Error', JSON_TYPE, JSON.stringify({ error: (e as Error)?.message ?? String(e) }));
}
