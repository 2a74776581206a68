// Push-ingest counters are metrics: through an engine that runs its own HTTP
// server (createEngine with httpListenPort 0: the engine's own ingest wiring,
// not a test server), every POST /ingest status, every refused WebSocket
// upgrade (401, 503) and every 4008 and 4009 close is in
// engine.stats().ingest, /api/stats, /metrics and `sabre stats`.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { createEngine, type Engine } from '../../../dist/src/index.js';
import { statsCommand } from '../../../dist/src/cli/stats-command.js';
import type { StatsSnapshot } from '../../../dist/src/metrics/stats-snapshot.js';
import { ndjson, T0, until } from '../../helpers/ingest-server.js';
import { parsePrometheus, sample } from '../../helpers/prom-parser.js';
import { WsClient } from '../../helpers/ws-client.js';

const TOKEN = 'secret-token';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
let engine: Engine | undefined;
afterEach(async () => { await engine?.stop(); engine = undefined; });

const post = (base: string, body: string, headers: Record<string, string>): Promise<Response> =>
  fetch(`${base}/ingest`, { method: 'POST', body, headers });

describe('ingest counters of an engine with its own HTTP server', () => {
  it('401/413/415/503/202, refused /ws/ingest and /ws/results upgrades and 4008 are counted in stats(), /api/stats, /metrics and sabre stats; refused records are dead-lettered', async () => {
    const dead = join(mkdtempSync(join(tmpdir(), 'sabre-ingest-metrics-')), 'dead.ndjson');
    engine = createEngine({
      source: 'api', sink: 'null', lateOutput: 'null', deadLetter: `file:${dead}`, progress: 0, httpListenPort: 0,
      // A tiny ring drained by a worker that takes 1 ms a record: a 400-record body meets a full ring.
      ringSize: '4KiB', partitions: 1, workers: 1, slowMicrosPerRecord: 1000,
      authToken: TOKEN, maxBody: '256KiB', ingestTimeout: '100ms', window: 'tumbling:1s',
    });
    await engine.start();
    const base = `http://127.0.0.1:${engine.httpPort}`;
    const nd = { 'Content-Type': 'application/x-ndjson' };

    expect((await post(base, ndjson(1), nd)).status).toBe(401);
    expect((await post(base, ndjson(1), { ...AUTH, 'Content-Type': 'text/csv' })).status).toBe(415);
    expect((await post(base, 'x'.repeat(300 * 1024), { ...AUTH, ...nd })).status).toBe(413);
    expect((await post(base, ndjson(1), { ...AUTH, ...nd })).status).toBe(202);
    const full = await post(base, ndjson(400), { ...AUTH, ...nd });
    expect(full.status).toBe(503);
    const refusedBody = await full.json();
    expect(refusedBody.notAccepted).toBeGreaterThan(0);

    // /ws/ingest upgrades without the token and with a wrong one: refused with 401, counted.
    const wsUrl = `ws://127.0.0.1:${engine.httpPort}/ws/ingest`;
    await expect(WsClient.connect(wsUrl)).rejects.toMatchObject({ status: 401 });
    await expect(WsClient.connect(wsUrl, { Authorization: 'Bearer wrong' })).rejects.toMatchObject({ status: 401 });
    // /ws/results carries the job's output: the same token guards it.
    await expect(WsClient.connect(`ws://127.0.0.1:${engine.httpPort}/ws/results`)).rejects.toMatchObject({ status: 401 });

    // A /ws/ingest client sending past its credit: closed with 4008.
    const c = await WsClient.connect(wsUrl, AUTH);
    const { credit } = await c.next((m) => m.type === 'credit');
    await c.send('x\n'.repeat(credit + 1));
    expect((await c.closed).code).toBe(4008);

    const want = {
      http: {
        requests: 5, accepted202: 1, badRequest400: 0, unauthorized401: 1, forbidden403: 0, tooLarge413: 1, unsupported415: 1, unavailable503: 1,
        recordsNotAccepted: refusedBody.notAccepted, aborted: 0, waiting: 0,
      },
      // The violating frame was received; the two refused upgrades never became clients.
      ws: { clients: 0, frames: 1, creditViolations: 1, tooLarge1009: 0, queuedFrames: 0, unauthorized401: 2, forbidden403: 0, unavailable503: 0 },
      results: { clients: 0, framesSent: 0, resultsSent: 0, slowDisconnects: 0, unauthorized401: 1, forbidden403: 0, unavailable503: 0 },
    };
    await until(() => engine!.stats().ingest?.ws.clients === 0);
    expect(engine.stats().ingest).toEqual(want);
    const api = (await (await fetch(`${base}/api/stats`)).json()) as StatsSnapshot;
    expect(api.ingest).toEqual(want);
    expect(api.totals.rejected).toBe(refusedBody.notAccepted);
    expect(api.totals.deadLetter).toBe(refusedBody.notAccepted);

    const fam = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    expect(fam.get('sabre_ingest_responses_total')?.type).toBe('counter');
    for (const [code, n] of [['202', 1], ['401', 1], ['413', 1], ['415', 1], ['503', 1]] as const) {
      expect(sample(fam, 'sabre_ingest_responses_total', { code }), code).toBe(n);
    }
    expect(sample(fam, 'sabre_ingest_requests_total')).toBe(5);
    expect(sample(fam, 'sabre_ingest_records_not_accepted_total')).toBe(refusedBody.notAccepted);
    expect(sample(fam, 'sabre_ws_closed_total', { code: '4008', reason: 'credit-exceeded' })).toBe(1);
    expect(sample(fam, 'sabre_ws_closed_total', { code: '1009', reason: 'too-large' })).toBe(0);
    expect(sample(fam, 'sabre_ws_closed_total', { code: '4009', reason: 'too-slow' })).toBe(0);
    expect(fam.get('sabre_ws_upgrades_refused_total')?.type).toBe('counter');
    expect(sample(fam, 'sabre_ws_upgrades_refused_total', { endpoint: 'ingest', code: '401' })).toBe(2);
    expect(sample(fam, 'sabre_ws_upgrades_refused_total', { endpoint: 'ingest', code: '503' })).toBe(0);
    expect(sample(fam, 'sabre_ws_upgrades_refused_total', { endpoint: 'results', code: '401' })).toBe(1);
    expect(sample(fam, 'sabre_ws_upgrades_refused_total', { endpoint: 'results', code: '503' })).toBe(0);
    expect(sample(fam, 'sabre_rejected_total')).toBe(refusedBody.notAccepted);

    const out = await statsCommand({ url: base });
    const lines = out.split('\n');
    expect(lines).toContain('Ingest');
    expect(lines.find((l) => l.trim().startsWith('responses '))!.trim().split(/\s+/))
      .toEqual(['responses', '5', '1', '0', '1', '0', '1', '1', '1', String(refusedBody.notAccepted), '0', '0']);
    expect(lines.find((l) => l.trim().startsWith('/ws/ingest '))!.trim().split(/\s{2,}/)).toEqual(['/ws/ingest', '0', '1', '1', '4008 credit exceeded', '2', '0', '0']);
    expect(lines.find((l) => l.includes('1009 frame too large'))!.trim().split(/\s{2,}/)).toEqual(['0', '1009 frame too large']);
    expect(lines.find((l) => l.trim().startsWith('/ws/results '))!.trim().split(/\s{2,}/)).toEqual(['/ws/results', '0', '0', '0', '4009 too slow', '1', '0', '0']);

    await engine.stop();
    const refused = readFileSync(dead, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(refused).toHaveLength(refusedBody.notAccepted);
    expect(refused.every((d) => d.code === 'ERR_RING_FULL' && d.reason === 'refused-full')).toBe(true);
  });

  it('a /ws/results subscriber that stops reading is closed with 4009 and counted as sabre_ws_closed_total{code="4009"}', async () => {
    engine = createEngine({
      source: 'api', sink: 'null', lateOutput: 'null', progress: 0, httpListenPort: 0,
      // 1 ms windows, no out-of-orderness: every record fires a result soon after it.
      window: 'tumbling:1ms', outOfOrderness: '0', partitions: 2, workers: 1,
    });
    await engine.start();
    const e = engine;
    const base = `http://127.0.0.1:${e.httpPort}`;
    const slow = await WsClient.connect(`ws://127.0.0.1:${e.httpPort}/ws/results`);
    await until(() => e.stats().ingest!.results.clients === 1);
    slow.socket.pause(); // reads nothing more: kernel buffers fill, then the server's send buffer (1 MiB)
    let k = 0;
    while (e.stats().ingest!.results.slowDisconnects === 0) {
      expect(k).toBeLessThan(4_000_000);
      for (let i = 0; i < 5000; i++, k++) await e.write({ key: `k${k % 500}`, ts: T0 + k, value: k });
      await tick();
    }
    const s = e.stats().ingest!;
    expect(s.results).toMatchObject({ slowDisconnects: 1, clients: 0 });
    expect(s.results.resultsSent).toBeGreaterThan(0);
    const fam = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    expect(sample(fam, 'sabre_ws_closed_total', { code: '4009', reason: 'too-slow' })).toBe(1);
    expect(sample(fam, 'sabre_ws_closed_total', { code: '4008', reason: 'credit-exceeded' })).toBe(0);
    expect(sample(fam, 'sabre_ws_clients', { endpoint: 'results' })).toBe(0);
    const api = (await (await fetch(`${base}/api/stats`)).json()) as StatsSnapshot;
    expect(api.ingest!.results.slowDisconnects).toBe(1);
    const line = (await statsCommand({ url: base })).split('\n').find((l) => l.trim().startsWith('/ws/results '))!;
    expect(line.trim().split(/\s{2,}/)).toEqual(['/ws/results', '0', String(api.ingest!.results.framesSent), '1', '4009 too slow', '0', '0', '0']);
    slow.socket.resume();
    expect((await slow.closed).code).toBe(4009);
  });

  it('a /ws/ingest upgrade while the engine stops is refused with 503 and counted in stats() and /metrics', async () => {
    engine = createEngine({
      source: 'api', sink: 'null', lateOutput: 'null', progress: 0, httpListenPort: 0,
      // A worker that takes 1 ms a record: stop() drains ~2000 queued records for ~2 s, with the server still up.
      ringSize: '256KiB', partitions: 1, workers: 1, slowMicrosPerRecord: 1000, window: 'tumbling:1s',
    });
    await engine.start();
    const e = engine;
    const base = `http://127.0.0.1:${e.httpPort}`;
    expect((await post(base, ndjson(2000), { 'Content-Type': 'application/x-ndjson' })).status).toBe(202);
    const stopping = e.stop();
    await expect(WsClient.connect(`ws://127.0.0.1:${e.httpPort}/ws/ingest`)).rejects.toMatchObject({ status: 503 });
    const fam = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    expect(sample(fam, 'sabre_ws_upgrades_refused_total', { endpoint: 'ingest', code: '503' })).toBe(1);
    expect(sample(fam, 'sabre_ws_upgrades_refused_total', { endpoint: 'ingest', code: '401' })).toBe(0);
    expect(e.stats().ingest!.ws).toMatchObject({ clients: 0, frames: 0, unavailable503: 1, unauthorized401: 0 });
    // The server answered because the worker was still draining: the run had not ended yet.
    expect(e.snapshot().recordsProcessed).toBeLessThan(2000);
    const summary = await stopping;
    expect(summary.recordsIn).toBe(2000);
  });
});
