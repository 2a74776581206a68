import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIngest, until, type IngestFixture } from '../../helpers/ingest-server.js';
import { recordBatch } from '../../helpers/flat-batch.js';

const T0 = 1_700_000_000_000;
let fx: IngestFixture;

beforeAll(async () => {
  fx = await startIngest({ window: 'tumbling:1s', agg: 'count,sum', maxBody: '64KiB' });
});
afterAll(async () => { await fx?.stop(); });

function post(body: string | Uint8Array, type: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${fx.base}/ingest`, { method: 'POST', body, headers: { 'Content-Type': type, ...headers } });
}

describe('POST /ingest', () => {
  it('takes one JSON record', async () => {
    const res = await post(JSON.stringify({ key: 'A', ts: T0, value: 1.5 }), 'application/json');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, rejected: 0, errors: [] });
  });

  it('takes NDJSON, skipping blank lines, and lists bad lines with their reason while keeping the good ones', async () => {
    const lines = [
      JSON.stringify({ key: 'B', ts: T0, value: 1 }),
      '',
      '{not json',
      JSON.stringify({ key: 'B', ts: T0 + 1, value: 2 }),
      JSON.stringify({ ts: T0, value: 3 }),
      JSON.stringify({ key: 'B', ts: 'yesterday', value: 3 }),
      JSON.stringify({ key: 'B', ts: T0, value: 'x' }),
      '[1,2]',
      JSON.stringify({ key: 'B', ts: T0 + 2, value: 3 }),
    ];
    const before = fx.httpPort.records;
    const res = await post(lines.join('\r\n') + '\n', 'application/x-ndjson');
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body.accepted).toBe(3);
    expect(body.rejected).toBe(5);
    expect(body.errors.map((e: { line: number; reason: string }) => [e.line, e.reason])).toEqual([
      [3, 'invalid-json'], [5, 'missing-key'], [6, 'bad-time'], [7, 'bad-value'], [8, 'not-an-object'],
    ]);
    for (const e of body.errors) expect(typeof e.detail).toBe('string');
    expect(fx.httpPort.records - before).toBe(3);
  });

  it('gives a key the same window whichever way its NDJSON line is read (in place, or parsed: a number, an escape, non-ASCII)', async () => {
    const t = T0 + 3_600_000;
    const lines = [
      `{"key":"7","ts":${t},"value":1}`, // plain: read in place from the body
      `{"key":7,"ts":${t + 1},"value":2}`, // a number: parsed
      `{"key":"\\u0037","ts":${t + 2},"value":4}`, // an escape: parsed
      `{"key":"é","ts":${t + 3},"value":8}`, // non-ASCII: parsed
      ` {"value":16, "ts":${t + 4} ,"key" : "é"} `,
      `{"key":"later","ts":${t + 60_000},"value":0}`, // moves the watermark past the window
    ];
    // An engine of its own: the watermark this moves would make the other tests' records late.
    const own = await startIngest({ window: 'tumbling:1s', agg: 'count,sum', partitions: 4 });
    try {
      const res = await fetch(`${own.base}/ingest`, { method: 'POST', body: lines.join('\n'), headers: { 'Content-Type': 'application/x-ndjson' } });
      expect(await res.json()).toMatchObject({ accepted: 6, rejected: 0 });
      const of = (key: string) => own.results.find((r) => r.key === key && r.start === t);
      await until(() => of('7') !== undefined && of('é') !== undefined);
      expect(of('7')).toMatchObject({ count: 3, sum: 7 });
      expect(of('é')).toMatchObject({ count: 2, sum: 24 });
      expect(own.results.filter((r) => r.start === t)).toHaveLength(2);
    } finally {
      await own.stop();
    }
  });

  it('takes a flatbuffers RecordBatch built with the flatc classes, listing bad records by index', async () => {
    const batch = recordBatch([
      { key: 'C', ts: T0, value: 1 },
      { key: 'C', ts: T0 + 1, value: 0 },
      { ts: T0, value: 1 },
      { key: 'C', value: 1 },
      { key: 'C', ts: T0 + 2 }, // no value: flatbuffers reads an absent scalar as its default, 0
      { key: 'C', ts: T0 + 3, value: 4 },
    ]);
    const res = await post(batch, 'application/x-flatbuffers');
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ accepted: 4, rejected: 2 });
    expect(body.errors.map((e: { index: number; reason: string }) => [e.index, e.reason]))
      .toEqual([[2, 'missing-key'], [3, 'bad-time']]);
  });

  it('a body that is not a RecordBatch is one rejection for the whole body', async () => {
    const res = await post(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), 'application/x-flatbuffers');
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ accepted: 0, rejected: 1 });
    expect(body.errors[0].reason).toBe('bad-flatbuffer');
    expect(body.errors[0].index).toBeUndefined();
  });

  it('a bad single JSON body is rejected with its reason', async () => {
    const res = await post('{"key":', 'application/json; charset=utf-8');
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 0, rejected: 1, errors: [{ index: 0, reason: 'invalid-json' }] });
  });

  it('lists at most 100 errors and counts the rest', async () => {
    const res = await post('x\n'.repeat(150), 'application/x-ndjson');
    const body = await res.json();
    expect(body).toMatchObject({ accepted: 0, rejected: 150, errorsOmitted: 50 });
    expect(body.errors).toHaveLength(100);
  });

  it('413 over --max-body, 415 for an unknown type, 405 for other methods', async () => {
    const big = JSON.stringify({ key: 'D', ts: T0, value: 1, pad: 'x'.repeat(70 * 1024) });
    const tooBig = await post(big, 'application/json');
    expect(tooBig.status).toBe(413);
    expect((await tooBig.json()).error).toMatch(/max-body/);
    const text = await post('hello', 'text/plain');
    expect(text.status).toBe(415);
    expect((await text.json()).supported).toContain('application/x-ndjson');
    const none = await fetch(`${fx.base}/ingest`, { method: 'POST', body: new Uint8Array([1]) });
    expect(none.status).toBe(415);
    const get = await fetch(`${fx.base}/ingest`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    // The server still answers on the same keep-alive pool afterwards.
    const ok = await post(JSON.stringify({ key: 'D', ts: T0, value: 1 }), 'application/json');
    expect(ok.status).toBe(202);
    const s = fx.routes.stats().http;
    expect(s.tooLarge413).toBe(1);
    expect(s.unsupported415).toBe(2);
  });

  it('the metrics routes still answer next to the ingest routes', async () => {
    expect((await fetch(`${fx.base}/api/stats`)).status).toBe(200);
    expect((await fetch(`${fx.base}/nope`)).status).toBe(404);
  });

  it('dead-letters every rejected record with its reason and where it came from; windows see the accepted ones', async () => {
    const expectedBad = fx.httpPort.rejected;
    const summary = await fx.engine.stop();
    await fx.stop();
    const dead = fx.deadLetters().filter((d) => d.source.startsWith('http:'));
    expect(dead).toHaveLength(expectedBad);
    expect(dead.find((d) => d.reason === 'invalid-json' && d.source === 'http:/ingest:3')?.input).toBe('{not json');
    expect(dead.some((d) => d.reason === 'missing-key' && d.source === 'http:/ingest[2]')).toBe(true);
    const b = fx.results.find((r) => r.key === 'B')!;
    expect(b).toMatchObject({ start: T0 - (T0 % 1000), count: 3, sum: 6 });
    const c = fx.results.find((r) => r.key === 'C')!;
    expect(c).toMatchObject({ count: 4, sum: 5 });
    expect(summary.sources.find((s) => s.name === 'http')!.records).toBe(fx.httpPort.records);
  });
});
