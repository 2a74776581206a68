// The metrics/dashboard HTTP server on uWebSockets.js. Read-only routes:
//   GET /metrics                      Prometheus text (version 0.0.4)
//   GET /api/stats                    the StatsSnapshot as JSON, with full percentile distributions
//                                     (?push=N: exactly the snapshot of /ws/stats push N, while kept)
//   GET /api/histograms/:stage.hgrm   HdrHistogram percentile distribution (ms; ?worker=N)
//   GET /                             the live dashboard (+ /assets/*)
//   WS  /ws/stats                     the snapshot pushed once a second
// Other methods on these paths get 405, unknown paths 404. The uWS `app` is
// returned so later routes (POST /ingest, WebSocket ingest) join the same
// listener; register them before the catch-all is hit, i.e. any time (uWS
// matches static paths before the `/*` wildcard).
import type { TemplatedApp, us_listen_socket, us_socket } from 'uWebSockets.js';
import { SabreError } from '../errors.js';
import { PrometheusExporter } from '../metrics/prometheus.js';
import type { ServerStats, SnapshotOptions, StatsSnapshot } from '../metrics/stats-snapshot.js';
import { addApiRoutes, type HistogramSource } from './api-routes.js';
import { JSON_TYPE, methodNotAllowed, notFound, send } from './respond.js';
import { addStaticRoutes } from './static-routes.js';
import { StatsSocket, type StatsClient } from './stats-socket.js';
import { uws as uWS } from './uws.js';

export interface HttpServerOptions {
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /**
   * Port, 1 … 65535 (default 8080). At the CLI, --http-port 0 means "no
   * server", so 0 is refused here; use listenPort for an ephemeral port.
   */
  port?: number;
  /** Overrides `port`; 0 binds an ephemeral port (tests). The bound port is in the result. */
  listenPort?: number;
  /** The snapshot now; /api/stats asks for the full distributions, the /ws/stats push and /metrics do not. */
  stats: (options?: SnapshotOptions) => StatsSnapshot;
  /** HdrHistogram text of a stage (merged over workers, or one worker); undefined → 404. */
  histogram: (stage: string, worker?: number | 'all') => string | undefined;
  /** WebSocket push interval, ms (default 1000). */
  wsIntervalMs?: number;
  /** A /ws/stats client with more than this many bytes buffered misses frames (default 256 KiB). */
  wsBufferLimit?: number;
  /** --allowed-origins: browser origins besides the dashboard's own that may open /ws/stats (default none). */
  allowedOrigins?: readonly string[];
}

export interface HttpServer {
  /** The bound port. */
  readonly port: number;
  readonly host: string;
  /** The uWS app, for routes added by other parts of the engine. */
  readonly app: TemplatedApp;
  /** WebSocket push figures (also filled into snapshot.server). */
  wsStats(): ServerStats;
  /** Per-client WebSocket figures. */
  wsClients(): (StatsClient & { bufferedAmount: number })[];
  /** Push one round now (the timer does it every wsIntervalMs). */
  pushStats(): void;
  close(): void;
}

export function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.listenPort ?? options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535 || (options.listenPort === undefined && port === 0)) {
    return Promise.reject(new SabreError('ERR_INVALID_OPTION',
      `http port ${port}: use 1 … 65535 (port 0 turns the server off at the CLI; pass listenPort: 0 for an ephemeral port)`));
  }
  const app = uWS.App();
  const prometheus = new PrometheusExporter();
  let socket: StatsSocket | undefined;
  const stats = (o?: SnapshotOptions): StatsSnapshot => {
    const s = options.stats(o);
    if (s.server === null && socket) s.server = socket.serverStats();
    return s;
  };
  socket = new StatsSocket(() => stats(), { intervalMs: options.wsIntervalMs ?? 1000, bufferLimit: options.wsBufferLimit ?? 256 * 1024, allowedOrigins: options.allowedOrigins ?? [] });
  const histogram: HistogramSource = (stage, worker) => options.histogram(stage, worker);
  const s0 = socket;
  addApiRoutes(app, stats, histogram, prometheus, (seq) => s0.pushed(seq));
  addStaticRoutes(app);
  socket.register(app, '/ws/stats');
  // uWS yields a non-upgrade request on a ws route to the next matching handler.
  app.any('/ws/stats', (res, req) => {
    if (req.getMethod().toLowerCase() === 'get') send(res, '426 Upgrade Required', JSON_TYPE, '{"error":"WebSocket only"}', { Upgrade: 'websocket' });
    else methodNotAllowed(res);
  });
  app.any('/*', (res) => notFound(res));

  return new Promise((resolve, reject) => {
    app.listen(host, port, (listen: us_listen_socket | false) => {
      if (!listen) {
        reject(new SabreError('ERR_INVALID_OPTION',
          `cannot listen on ${host}:${port} (in use, or not a local address?): choose another --http-port, or 0 to turn the server off`));
        return;
      }
      let bound: number;
      try {
        bound = uWS.us_socket_local_port(listen as unknown as us_socket);
      } catch (e) {
        uWS.us_listen_socket_close(listen);
        reject(e);
        return;
      }
      socket!.start();
      let closed = false;
      resolve({
        port: bound, host, app,
        wsStats: () => socket!.serverStats(),
        wsClients: () => socket!.clientStats(),
        pushStats: () => socket!.tick(),
        close: () => {
          if (closed) return;
          closed = true;
          socket!.close();
          uWS.us_listen_socket_close(listen);
          // Native uWS can also drop open keep-alive connections (not in its typings; absent in the fallback).
          (app as TemplatedApp & { close?: () => void }).close?.();
        },
      });
    });
  });
}
