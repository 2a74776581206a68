import { afterEach, describe, expect, it } from 'vitest';
import { startIngest, type IngestFixture, ndjson, SLOW, T0, until } from '../../helpers/ingest-server.js';
import { recordBatch } from '../../helpers/flat-batch.js';

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
    // Nothing refused is lost even if the client never resends: each refused record is in the dead-letter output,
    // as it was sent, with a reason of its own (not a bad record) and its line.
    const refused = fx.deadLetters();
    expect(refused).toHaveLength(body.notAccepted);
    expect(summary.deadLetter).toBe(body.notAccepted);
    expect(refused.map((d) => d.input)).toEqual(rest.split('\n').filter(Boolean));
    refused.forEach((d, i) => {
      expect(d).toMatchObject({ code: 'ERR_RING_FULL', reason: 'refused-full', source: `http:/ingest:${body.accepted + 1 + i}` });
      expect(d.detail).toMatch(/503.*--ingest-timeout/);
    });
  });

  it('a refused flatbuffers batch is dead-lettered record by record as JSON with the job\'s field names', async () => {
    fx = await startIngest({ ...SLOW, ingestTimeout: '100ms' });
    const records = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 7}`, ts: T0 + i, value: i * 0.5 }));
    const res = await fetch(`${fx.base}/ingest`, { method: 'POST', body: recordBatch(records), headers: { 'Content-Type': 'application/x-flatbuffers' } });
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body).toMatchObject({ reason: 'ERR_RING_FULL', retryFrom: { index: body.accepted } });
    expect(body.notAccepted).toBe(300 - body.accepted);
    fx.routes.close();
    await fx.engine.stop();
    const refused = fx.deadLetters();
    expect(refused.map((d) => JSON.parse(d.input))).toEqual(records.slice(body.accepted));
    expect(refused.map((d) => d.source)).toEqual(records.slice(body.accepted).map((_, i) => `http:/ingest[${body.accepted + i}]`));
    expect(refused.every((d) => d.code === 'ERR_RING_FULL' && d.reason === 'refused-full')).toBe(true);
    expect(fx.engine.stats().totals).toMatchObject({ rejected: body.notAccepted, deadLetter: body.notAccepted });
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
    // Refused because the engine stops (not for full rings): counted, not dead-lettered (docs/INGEST.md).
    expect(fx.httpPort.rejected).toBe(body.notAccepted);
    expect(fx.engine.snapshot().deadLetter).toBe(0);
    const later = await fetch(`${fx.base}/ingest`, { method: 'POST', body: ndjson(1), headers: { 'Content-Type': 'application/x-ndjson' } });
    expect(later.status).toBe(503);
  });
});
