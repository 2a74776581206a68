// A real engine (source: 'api') with the ingest routes on a real uWS server.
// The engine wires addIngestRoutes on its own server when it has one
// (httpListenPort / --http-port; test/integration/ingest/ingest-metrics.test.ts goes that way).
// Here the engine runs without a server and the routes are added to one of
// ours, fed by the engine's own ingest ports (the same route code as in
// `sabre run`), because the tests need what the engine does not expose: hooks
// the options do not set (credit, queue limit, results backpressure and frame
// size), the routes object itself (stats(), close() while the server stays up)
// and the ports.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine, type EngineOptions, type WindowResult } from '../../dist/src/index.js';
import { startHttpServer, type HttpServer } from '../../dist/src/server/http-server.js';
import { addIngestRoutes, type IngestHooks, type IngestRoutes } from '../../dist/src/server/ingest/ingest-routes.js';
import type { IngestPort } from '../../dist/src/io/sources/ingest-port.js';
import { detectUws } from '../../dist/src/metrics/uws-impl.js';
import { expectedUws } from './expected-uws.js';

export interface IngestFixture {
  engine: Engine;
  server: HttpServer;
  routes: IngestRoutes;
  httpPort: IngestPort;
  wsPort: IngestPort;
  base: string;
  wsBase: string;
  results: WindowResult[];
  /** Dead-letter lines written so far, parsed. */
  deadLetters(): { code: string; reason: string; detail: string; source: string; input: string }[];
  stop(): Promise<void>;
}

export type IngestFixtureOptions = EngineOptions & { hooks?: Partial<Omit<IngestHooks, 'httpPort' | 'wsPort' | 'onResult' | 'accepting'>> };

export async function startIngest(options: IngestFixtureOptions = {}): Promise<IngestFixture> {
  const { hooks, ...engineOptions } = options;
  // Ingest figures and timings mean little on the wrong server: refuse to run there.
  const uws = detectUws();
  if (uws.implementation !== expectedUws()) throw new Error(`uWebSockets.js runs ${uws.implementation} (${uws.detail}), expected ${expectedUws()}`);
  const dir = mkdtempSync(join(tmpdir(), 'sabre-ingest-'));
  const dead = join(dir, 'dead.ndjson');
  const engine = createEngine({
    source: 'api', sink: 'null', lateOutput: 'null', deadLetter: `file:${dead}`, progress: 0, httpPort: 0,
    partitions: 2, workers: 1, window: 'tumbling:1s', ...engineOptions,
  });
  const results: WindowResult[] = [];
  engine.onResult((r) => results.push(r));
  await engine.start();
  const server = await startHttpServer({ listenPort: 0, stats: () => engine.stats(), histogram: () => undefined });
  let running = true;
  const httpPort = engine.openIngest('http');
  const wsPort = engine.openIngest('ws');
  const routes = addIngestRoutes(server.app, {
    httpPort, wsPort, onResult: (cb) => engine.onResult(cb), accepting: () => running,
    ...hooks,
    options: { ...engine.options, ...hooks?.options },
  });
  return {
    engine, server, routes, httpPort, wsPort, results,
    base: `http://127.0.0.1:${server.port}`,
    wsBase: `ws://127.0.0.1:${server.port}`,
    deadLetters: () => (existsSync(dead) ? readFileSync(dead, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []),
    stop: async () => {
      running = false;
      routes.close();
      await engine.stop();
      server.close();
    },
  };
}

/** Event time of the first record the ingest tests send. */
export const T0 = 1_700_000_000_000;

/** n NDJSON records one ms apart, keys k0…k6 unless `key` says otherwise. */
export function ndjson(n: number, key = (i: number) => `k${i % 7}`): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `{"key":"${key(i)}","ts":${T0 + i},"value":${i}}\n`;
  return s;
}

/** Records from…from+n-1 as NDJSON (keys k0…k4, ts T0 + i, value 1): consecutive frames of one client. */
export function ndjsonRange(n: number, from: number): string {
  let s = '';
  for (let i = from; i < from + n; i++) s += `{"key":"k${i % 5}","ts":${T0 + i},"value":1}\n`;
  return s;
}

/** A tiny ring (≈ 50 records) drained by a worker that takes 1 ms per record. */
export const SLOW = { ringSize: '4KiB', partitions: 1, workers: 1, slowMicrosPerRecord: 1000 } as const;

/** Poll `cond` every 5 ms; throws after `ms`. */
export async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
