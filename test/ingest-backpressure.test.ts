import { afterEach, describe, expect, it } from 'vitest';
import { startIngest, type IngestFixture, ndjson, SLOW, until } from './helpers/ingest-server.js';

let fx: IngestFixture | undefined;
afterEach(async () => { await fx?.stop(); fx = undefined; });




describe('POST /ingest against full rings', () => {
  it('waits up to --ingest-timeout, then answers 503 with Retry-After; accepted records stay, the rest are counted, not dropped', async () => {
    fx = await startIngest({ ...SLOW, ingestTimeout: '150ms' });
    const t0 = performance.now();
    const res = await fetch(`${fx.base}/ingest`, { method: 'POST', body: ndjson(400), headers: { 'Content-Type': 'application/x-ndjson' } });
    const waited = performance.now() - t0;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const body = await res.json();
    expect(body.reason).toBe('ERR_RING_FULL');
    expect(body.accepted).toBeGreaterThan(0);
    expect(body.notAccepted).toBeGreaterThan(0);
    expect(body.accepted + body.rejected + body.notAccepted).toBe(400);
    expect(body.retryFrom).toEqual({ line: body.accepted + 1 });
    expect(waited).toBeGreaterThanOrEqual(140);
    // Exactly the accepted records went in; the refused ones are counted where the metrics read them.
    expect(fx.httpPort.records).toBe(body.accepted);
    expect(fx.httpPort.rejected).toBe(body.notAccepted);
    expect(fx.httpPort.pauses).toBeGreaterThan(0);
    expect(fx.engine.stats().totals.rejected).toBe(body.notAccepted);
    expect(fx.routes.stats().http).toMatchObject({ unavailable503: 1, recordsNotAccepted: body.notAccepted, waiting: 0 });
    // The client retries from retryFrom once the ring drained: nothing is lost.
    const rest = ndjson(400).split('\n').slice(body.accepted).join('\n');
    fx.routes.close();
    const summary = await fx.engine.stop();
    expect(summary.recordsProcessed).toBe(body.accepted);
    expect(rest.split('\n').filter(Boolean)).toHaveLength(body.notAccepted);
  });

  it('with time enough, a request waits while the ring drains and every record is accepted', async () => {
    fx = await startIngest({ ...SLOW, ingestTimeout: '30s' });
    const res = await fetch(`${fx.base}/ingest`, { method: 'POST', body: ndjson(300), headers: { 'Content-Type': 'application/x-ndjson' } });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 300, rejected: 0, errors: [] });
    expect(fx.httpPort.pauses).toBeGreaterThan(1);
    expect(fx.httpPort.rejected).toBe(0);
  });

  it('a request waiting when the engine stops gets 503 with what it had accepted', async () => {
    fx = await startIngest({ ...SLOW, ingestTimeout: '60s' });
    const pending = fetch(`${fx.base}/ingest`, { method: 'POST', body: ndjson(400), headers: { 'Content-Type': 'application/x-ndjson' } });
    await until(() => fx!.routes.stats().http.waiting === 1);
    fx.routes.close();
    const res = await pending;
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.reason).toBe('ERR_ENGINE_STATE');
    expect(body.accepted + body.notAccepted).toBe(400);
    const later = await fetch(`${fx.base}/ingest`, { method: 'POST', body: ndjson(1), headers: { 'Content-Type': 'application/x-ndjson' } });
    expect(later.status).toBe(503);
  });
});
