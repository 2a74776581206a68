// Requests at the edge of HTTP, against the real uWS server: a 415 says
// which Content-Type it got and which it takes; a POST with neither
// Content-Length nor chunked encoding gets 400 (uWS would otherwise read its
// body as the next request); a /ws/ingest frame over --max-body is closed
// with 1009. What uWebSockets.js refuses before Sabre's code runs (a
// malformed Content-Length, Content-Length with chunked, HTTP/1.0, a frame
// over twice --max-body) is pinned here as it behaves, as docs/INGEST.md
// describes it: a change of uWS that alters it fails this test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { startIngest, type IngestFixture } from '../../helpers/ingest-server.js';
import { WsClient } from '../../helpers/ws-client.js';

const MAX = 1024;
const RECORD = '{"key":"a","ts":1700000000000,"value":1}';
let fx: IngestFixture;
let port: number;

beforeAll(async () => {
  fx = await startIngest({ maxBody: '1KiB' });
  port = Number(new URL(fx.base).port);
});
afterAll(async () => { await fx?.stop(); });

interface RawAnswer {
  /** Everything the server sent. */
  text: string;
  /** 'closed': the server closed the connection; 'open': still open after `ms`. */
  how: 'closed' | 'open';
}

/** Bytes as written (node:http would not send malformed requests), and what comes back. */
function raw(request: string, ms = 500): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => { text += d; });
    s.on('error', () => {});
    const t = setTimeout(() => { s.destroy(); resolve({ text, how: 'open' }); }, ms);
    s.on('close', () => { clearTimeout(t); resolve({ text, how: 'closed' }); });
    s.write(request);
  });
}

const head = (lines: string[]): string => `POST /ingest HTTP/1.1\r\nHost: x\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;
const status = (a: RawAnswer): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(a.text)?.[1] ?? -1);
const body = (a: RawAnswer): any => JSON.parse(a.text.slice(a.text.indexOf('\r\n\r\n') + 4));

describe('POST /ingest at the edges of HTTP', () => {
  it('415 names the Content-Type received and the ones accepted', async () => {
    const csv = await fetch(`${fx.base}/ingest`, { method: 'POST', body: 'a,b', headers: { 'Content-Type': 'text/csv; charset=utf-8' } });
    expect(csv.status).toBe(415);
    expect(await csv.json()).toMatchObject({
      reason: 'ERR_UNSUPPORTED_MEDIA_TYPE', received: 'text/csv; charset=utf-8',
      supported: ['application/json', 'application/x-ndjson', 'application/x-flatbuffers'],
      error: expect.stringContaining('"text/csv; charset=utf-8"'),
    });
    const none = await raw(`${head([`Content-Length: ${RECORD.length}`])}${RECORD}`);
    expect(status(none)).toBe(415);
    expect(body(none)).toMatchObject({ received: '', error: expect.stringMatching(/^no Content-Type/) });
  });

  it('400 and close for a body with neither Content-Length nor chunked encoding; nothing is written or dead-lettered', async () => {
    const before = fx.routes.stats().http;
    const records = fx.httpPort.records;
    const a = await raw(`${head(['Content-Type: application/json'])}${RECORD}`);
    expect(status(a)).toBe(400);
    expect(body(a)).toMatchObject({ reason: 'ERR_BAD_REQUEST' });
    expect(a.how).toBe('closed');
    expect(fx.routes.stats().http.badRequest400).toBe(before.badRequest400 + 1);
    expect(fx.httpPort.records).toBe(records);
    expect(fx.httpPort.rejected).toBe(0);
    // Chunked without Content-Length is fine.
    const chunked = await raw(`${head(['Content-Type: application/json', 'Transfer-Encoding: chunked'])}${RECORD.length.toString(16)}\r\n${RECORD}\r\n0\r\n\r\n`);
    expect(status(chunked)).toBe(202);
  });

  it('what uWS cuts short: a malformed Content-Length (counted as 400) or one with chunked is closed unanswered, HTTP/1.0 is never answered', async () => {
    const before = fx.routes.stats().http;
    for (const cl of ['abc', '-5', '+40', '5, 5', '1e3', '1000000000', '99999999999999999999']) {
      const a = await raw(`${head(['Content-Type: application/json', `Content-Length: ${cl}`])}${RECORD}`);
      expect(a, cl).toEqual({ text: '', how: 'closed' });
    }
    // Sabre's handler saw them and answered 400 (not a number) or 413 (ten digits or more), but uWS closed
    // the connection before sending the answer.
    const after = fx.routes.stats().http;
    expect(after.badRequest400 - before.badRequest400).toBe(5);
    expect(after.tooLarge413 - before.tooLarge413).toBe(2);
    expect(after.aborted).toBe(before.aborted);
    const requests = after.requests;
    const both = await raw(`${head(['Content-Type: application/json', `Content-Length: ${RECORD.length}`, 'Transfer-Encoding: chunked'])}`
      + `${RECORD.length.toString(16)}\r\n${RECORD}\r\n0\r\n\r\n`);
    expect(both).toEqual({ text: '', how: 'closed' });
    // Nine digits reach Sabre: 413.
    expect(status(await raw(`${head(['Content-Type: application/json', 'Content-Length: 999999999'])}${RECORD}`))).toBe(413);
    // HTTP/1.0: no answer at all (uWS closes the connection when its ~10 s idle timeout passes).
    const old = await raw(`POST /ingest HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${RECORD.length}\r\n\r\n${RECORD}`, 1000);
    expect(old).toEqual({ text: '', how: 'open' });
    expect(fx.routes.stats().http.requests).toBe(requests + 1); // only the 413
  });
});

describe('WS /ws/ingest frames over --max-body', () => {
  it('closes with 1009 and writes nothing for a frame up to twice --max-body; uWS drops a larger one (1006)', async () => {
    const records = fx.wsPort.records;
    const line = `${RECORD}\n`;
    const c = await WsClient.connect(`${fx.wsBase}/ws/ingest`);
    await c.next((m) => m.type === 'credit');
    await c.send(line.repeat(Math.ceil((1.5 * MAX) / line.length)));
    expect(await c.closed).toEqual({ code: 1009, reason: `frame over --max-body (${MAX} bytes)` });
    const big = await WsClient.connect(`${fx.wsBase}/ws/ingest`);
    await big.next((m) => m.type === 'credit');
    await big.send(line.repeat(Math.ceil((3 * MAX) / line.length))).catch(() => {});
    expect((await big.closed).code).toBe(1006);
    expect(fx.wsPort.records).toBe(records);
    expect(fx.routes.stats().ws.tooLarge1009).toBe(1); // counted (the 1006 is uWS's own drop, not ours)
    // Exactly --max-body is taken.
    const ok = await WsClient.connect(`${fx.wsBase}/ws/ingest`);
    await ok.next((m) => m.type === 'credit');
    const n = Math.floor(MAX / line.length);
    await ok.send(line.repeat(n));
    expect(await ok.next((m) => m.type === 'ack')).toMatchObject({ accepted: n });
    ok.close();
  });
});
