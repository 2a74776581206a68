// The push side of the HTTP server: POST /ingest, WS /ws/ingest, WS
// /ws/results, added to the metrics/dashboard uWS app (uWS matches these
// static paths before the server's `/*` 404, whenever they are added).
// Protocol and close codes: docs/INGEST.md.
import type { TemplatedApp } from 'uWebSockets.js';
import type { IngestPort } from '../../io/sources/ingest-port.js';
import type { WindowResult } from '../../codec/window-result.js';
import type { IngestStats } from '../../metrics/stats-snapshot.js';
import { detectUws } from '../../metrics/uws-impl.js';
import { HttpIngest } from './ingest-http.js';
import { CLOSE_INTERNAL, WsIngest } from './ws-ingest.js';
import { WsResults } from '../ws-results.js';

export { CLOSE_CREDIT_EXCEEDED } from './ws-ingest.js';
export { CLOSE_TOO_SLOW } from '../ws-results.js';

export interface IngestHooks {
  /** Door for POST /ingest (engine.openIngest('http')). */
  httpPort: IngestPort;
  /** Door for /ws/ingest (engine.openIngest('ws')). */
  wsPort: IngestPort;
  /** engine.onResult: called once, when the first /ws/results subscriber arrives. */
  onResult: (cb: (r: WindowResult) => void) => void;
  /** False once the engine stops: new input is refused (503 / close 1001), nothing is written after END. */
  accepting: () => boolean;
  options: { maxBody: number; ingestTimeout: number; authToken: string | undefined; allowedOrigins: readonly string[] };
  /** Records granted to a /ws/ingest client (default 65536). */
  wsCredit?: number;
  /** Bytes of frames a /ws/ingest client may have queued behind a full ring (default max(16 MiB, 4 × maxBody)). */
  wsQueueLimit?: number;
  /** Buffered bytes beyond which a /ws/results subscriber is closed with 4009 (default 1 MiB). */
  resultsMaxBackpressure?: number;
  /** Largest /ws/results frame, bytes (default 64 KiB). */
  resultsMaxFrameBytes?: number;
}

/** The shape /api/stats carries as `ingest` (declared with the snapshot, src/metrics/stats-snapshot.ts). */
export type IngestRouteStats = IngestStats;

export interface IngestRoutes {
  stats(): IngestRouteStats;
  /** Refuse new input, answer waiting requests 503, close every socket (1001). Call before the HTTP server closes. */
  close(): void;
}

export function addIngestRoutes(app: TemplatedApp, hooks: IngestHooks): IngestRoutes {
  const o = hooks.options;
  const http = new HttpIngest(hooks.httpPort, o, hooks.accepting);
  const ws = new WsIngest(hooks.wsPort, {
    credit: hooks.wsCredit ?? 65536,
    maxPayload: o.maxBody,
    queueLimit: hooks.wsQueueLimit ?? Math.max(16 * 1024 * 1024, 4 * o.maxBody),
    authToken: o.authToken,
    allowedOrigins: o.allowedOrigins,
  }, hooks.accepting);
  const results = new WsResults(hooks.onResult, {
    maxBackpressure: hooks.resultsMaxBackpressure ?? 1024 * 1024,
    maxFrameBytes: hooks.resultsMaxFrameBytes ?? 64 * 1024,
    authToken: o.authToken,
    allowedOrigins: o.allowedOrigins,
  });
  http.register(app);
  if (detectUws().implementation === 'native') {
    ws.register(app);
    results.register(app);
  } else {
    // The pure-Node fallback (Node 22/24 here, or UWS_USE_FALLBACK) implements
    // no custom upgrade handler: it throws, uncaught, on the first upgrade of
    // a route that has one, and the process dies. Without the handler it has
    // no token check either, so it admits nobody: accept, then close at once
    // saying why.
    for (const path of ['/ws/ingest', '/ws/results']) {
      app.ws(path, { open: (s) => s.end(CLOSE_INTERNAL, `${path} needs the native uWebSockets.js server`) });
    }
  }
  let closed = false;
  return {
    stats: () => ({ http: http.stats(), ws: ws.stats(), results: results.stats() }),
    close: () => {
      if (closed) return;
      closed = true;
      http.close();
      ws.close();
      results.close();
    },
  };
}
