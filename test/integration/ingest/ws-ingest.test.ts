import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIngest, type IngestFixture } from '../../helpers/ingest-server.js';
import { WsClient } from '../../helpers/ws-client.js';
import { recordBatch } from '../../helpers/flat-batch.js';
import { sendWithinCredit, type Frame } from '../../helpers/credit-sender.js';

const T0 = 1_700_000_000_000;
const CREDIT = 1000;
let fx: IngestFixture;

beforeAll(async () => {
  fx = await startIngest({ partitions: 2, workers: 1, authToken: 's3cret', hooks: { wsCredit: CREDIT } });
});
afterAll(async () => { await fx?.stop(); });

const AUTH = { Authorization: 'Bearer s3cret' };

function textFrame(n: number, from: number): Frame {
  let s = '';
  for (let i = 0; i < n; i++) s += `{"key":"t${(from + i) % 13}","ts":${T0 + from + i},"value":1}\n`;
  return { data: s, records: n };
}

function binaryFrame(n: number, from: number): Frame {
  return { data: recordBatch(Array.from({ length: n }, (_, i) => ({ key: `b${(from + i) % 13}`, ts: T0 + from + i, value: 1 }))), records: n };
}

describe('WS /ws/ingest', () => {
  it('refuses the upgrade without the bearer token; takes it as a header or as ?access_token', async () => {
    await expect(WsClient.connect(`${fx.wsBase}/ws/ingest`)).rejects.toMatchObject({ status: 401 });
    await expect(WsClient.connect(`${fx.wsBase}/ws/ingest`, { Authorization: 'Bearer nope' })).rejects.toMatchObject({ status: 401 });
    expect(fx.routes.stats().ws).toMatchObject({ unauthorized401: 2, unavailable503: 0, clients: 0 });
    const byQuery = await WsClient.connect(`${fx.wsBase}/ws/ingest?access_token=s3cret`);
    expect(await byQuery.next()).toEqual({ type: 'credit', credit: CREDIT });
    byQuery.close();
    expect((await fetch(`${fx.base}/ws/ingest`)).status).toBe(426);
  });

  it('a client that keeps to its credit gets every record accepted, one ack per frame, in order', async () => {
    const c = await WsClient.connect(`${fx.wsBase}/ws/ingest`, AUTH);
    const frames: Frame[] = [];
    let n = 0;
    for (let i = 0; i < 60; i++) {
      const size = 50 + (i % 5) * 40;
      frames.push(i % 2 === 0 ? textFrame(size, n) : binaryFrame(size, n));
      n += size;
    }
    const before = fx.wsPort.records;
    const report = await sendWithinCredit(c, frames);
    expect(report.acks.map((a) => a.frame)).toEqual(frames.map((_, i) => i + 1));
    expect(report.acks.reduce((a, m) => a + m.accepted, 0)).toBe(n);
    expect(report.acks.every((a) => a.rejected === 0 && a.credit === frames[a.frame - 1]!.records)).toBe(true);
    expect(report.maxInFlight).toBeLessThanOrEqual(CREDIT);
    expect(report.creditWaits).toBeGreaterThan(0);
    expect(fx.wsPort.records - before).toBe(n);
    c.close();
    expect((await c.closed).code).toBe(1005);
  });

  it('lists bad records in the ack (line for NDJSON, index for flatbuffers) and dead-letters them', async () => {
    const c = await WsClient.connect(`${fx.wsBase}/ws/ingest`, AUTH);
    await c.next((m) => m.type === 'credit');
    await c.send(`{"key":"x","ts":${T0},"value":1}\n\nnope\n{"ts":${T0},"value":1}\n`);
    const a1 = await c.next((m) => m.type === 'ack');
    expect(a1).toMatchObject({ frame: 1, accepted: 1, rejected: 2, credit: 3 });
    expect(a1.errors.map((e: { line: number; reason: string }) => [e.line, e.reason])).toEqual([[3, 'invalid-json'], [4, 'missing-key']]);
    await c.send(recordBatch([{ key: 'x', ts: T0, value: 2 }, { key: 'x', value: 2 }]));
    const a2 = await c.next((m) => m.type === 'ack' && m.frame === 2);
    expect(a2).toMatchObject({ accepted: 1, rejected: 1, credit: 2, errors: [{ index: 1, reason: 'bad-time' }] });
    c.close();
  });

  it('closes a client that sends more records than its credit with 4008, writing nothing of that frame', async () => {
    const c = await WsClient.connect(`${fx.wsBase}/ws/ingest`, AUTH);
    const { credit } = await c.next((m) => m.type === 'credit');
    const before = fx.wsPort.records;
    const violations = fx.routes.stats().ws.creditViolations;
    await c.send(textFrame(credit + 1, 0).data);
    const closed = await c.closed;
    expect(closed).toEqual({ code: 4008, reason: 'credit exceeded' });
    expect(fx.wsPort.records).toBe(before);
    expect(fx.routes.stats().ws.creditViolations).toBe(violations + 1);
  });

  it('every record rejected over WS is in the dead-letter output with its reason and frame', async () => {
    const rejected = fx.wsPort.rejected;
    await fx.stop();
    const dead = fx.deadLetters().filter((d) => d.source.startsWith('ws:/ws/ingest#'));
    expect(dead).toHaveLength(rejected);
    expect(dead.map((d) => d.reason).sort()).toEqual(['bad-time', 'invalid-json', 'missing-key']);
    expect(dead.find((d) => d.reason === 'invalid-json')).toMatchObject({ input: 'nope', code: 'ERR_BAD_RECORD' });
    expect(dead.find((d) => d.reason === 'invalid-json')!.source).toMatch(/^ws:\/ws\/ingest#\d+\.1:3$/);
  });

  it('once the routes close (the engine stops), upgrades of /ws/ingest and /ws/results are refused with 503 and counted', async () => {
    const f = await startIngest({ partitions: 1, workers: 1 });
    try {
      const before = f.routes.stats();
      expect(before.ws.unavailable503).toBe(0);
      expect(before.results.unavailable503).toBe(0);
      f.routes.close(); // what stop() does first; the HTTP server is still listening
      await expect(WsClient.connect(`${f.wsBase}/ws/ingest`)).rejects.toMatchObject({ status: 503 });
      await expect(WsClient.connect(`${f.wsBase}/ws/results`)).rejects.toMatchObject({ status: 503 });
      await expect(WsClient.connect(`${f.wsBase}/ws/results?key=k`)).rejects.toMatchObject({ status: 503 });
      const s = f.routes.stats();
      expect(s.ws).toMatchObject({ unavailable503: 1, unauthorized401: 0, clients: 0 });
      expect(s.results).toMatchObject({ unavailable503: 2, clients: 0 });
    } finally {
      await f.stop();
    }
  });
});
