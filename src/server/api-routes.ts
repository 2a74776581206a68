// Read-only JSON/text routes: /metrics, /api/stats, /api/histograms/:stage.hgrm.
// /api/stats carries the full percentile distributions (cached per histogram
// until new data arrives); ?push=N answers with exactly the snapshot that
// /ws/stats push N carried (404 once it is no longer kept).
import type { HttpRequest, TemplatedApp } from 'uWebSockets.js';
import { PROMETHEUS_CONTENT_TYPE, type PrometheusExporter } from '../metrics/prometheus.js';
import type { SnapshotOptions, StatsSnapshot } from '../metrics/stats-snapshot.js';
import { JSON_TYPE, TEXT_TYPE, methodNotAllowed, notFound, send, serverError } from './respond.js';

/** The query string: native uWS has getQuery(); its pure-Node fallback throws there but keeps it in getUrl(). */
function queryOf(req: HttpRequest): URLSearchParams {
  try {
    return new URLSearchParams(req.getQuery() ?? '');
  } catch {
    const url = req.getUrl();
    const q = url.indexOf('?');
    return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  }
}

export type HistogramSource = (stage: string, worker: number | 'all') => string | undefined;

const NO_STORE = { 'Cache-Control': 'no-store' };

/** The JSON of /ws/stats push `seq`, if still kept. */
export type PushedSource = (seq: number) => string | undefined;

export function addApiRoutes(app: TemplatedApp, stats: (options?: SnapshotOptions) => StatsSnapshot, histogram: HistogramSource,
  prometheus: PrometheusExporter, pushed: PushedSource = () => undefined): void {
  app.get('/metrics', (res) => {
    // Registered before the first await: a client that hangs up mid-render must not be written to.
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    let text: Promise<string>;
    try {
      text = prometheus.render(stats());
    } catch (e) {
      serverError(res, e);
      return;
    }
    text.then(
      (body) => { if (!aborted) res.cork(() => send(res, '200 OK', PROMETHEUS_CONTENT_TYPE, body, NO_STORE)); },
      (e: unknown) => { if (!aborted) res.cork(() => serverError(res, e)); },
    );
  });

  app.get('/api/stats', (res, req) => {
    const push = queryOf(req).get('push');
    if (push !== null) {
      const seq = Number(push);
      const json = Number.isInteger(seq) && seq > 0 ? pushed(seq) : undefined;
      if (json === undefined) {
        send(res, '404 Not Found', JSON_TYPE, JSON.stringify({ error: `push ${push} is not kept (only the last few /ws/stats pushes are)` }), NO_STORE);
      } else {
        send(res, '200 OK', JSON_TYPE, json, NO_STORE);
      }
      return;
    }
    try {
      send(res, '200 OK', JSON_TYPE, JSON.stringify(stats({ distributions: true })), NO_STORE);
    } catch (e) {
      serverError(res, e);
    }
  });

  app.get('/api/histograms/:file', (res, req) => {
    const file = req.getParameter(0).split('?')[0]!;
    const workerParam = queryOf(req).get('worker');
    const m = /^([a-z]+)\.hgrm$/.exec(file);
    const worker = workerParam === null || workerParam === '' || workerParam === 'all' ? 'all' : Number(workerParam);
    const text = m && (worker === 'all' || Number.isInteger(worker)) ? histogram(m[1]!, worker) : undefined;
    if (text === undefined) notFound(res);
    else send(res, '200 OK', TEXT_TYPE, text, NO_STORE);
  });

  for (const path of ['/metrics', '/api/stats', '/api/histograms/:file']) app.any(path, (res) => methodNotAllowed(res));
}
