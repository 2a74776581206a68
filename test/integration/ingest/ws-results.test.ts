import { afterEach, describe, expect, it } from 'vitest';
import { setImmediate as tick } from 'node:timers/promises';
import { startIngest, type IngestFixture, until as untilWithin } from '../../helpers/ingest-server.js';

const until = (cond: () => boolean, ms = 20_000): Promise<void> => untilWithin(cond, ms);
import { WsClient } from '../../helpers/ws-client.js';

const T0 = 1_700_000_000_000;
let fx: IngestFixture | undefined;
afterEach(async () => { await fx?.stop(); fx = undefined; });

/** 1 ms tumbling windows, no out-of-orderness: every record fires one result soon after it. */
const ONE_RESULT_PER_RECORD = { window: 'tumbling:1ms', outOfOrderness: '0', partitions: 2, workers: 1 } as const;

let written = 0;
async function writeRecords(f: IngestFixture, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const k = written++;
    await f.engine.write({ key: `${k % 2 === 0 ? 'A' : 'B'}${k % 500}`, ts: T0 + k, value: k });
    if (i % 1000 === 999) await tick();
  }
}


const resultsIn = (c: WsClient): any[] => c.messages.flat();

describe('WS /ws/results', () => {
  it('pushes window results as they fire, only those whose key starts with the prefix', async () => {
    written = 0;
    fx = await startIngest(ONE_RESULT_PER_RECORD);
    const a = await WsClient.connect(`${fx.wsBase}/ws/results?key=A`);
    const all = await WsClient.connect(`${fx.wsBase}/ws/results`);
    await until(() => fx!.routes.stats().results.clients === 2);
    await writeRecords(fx, 2000);
    const f = fx;
    await until(() => resultsIn(all).length === f.results.length && f.results.length >= 1990);
    await until(() => resultsIn(a).length === f.results.filter((r) => r.key.startsWith('A')).length);
    expect(resultsIn(a).every((r) => r.key.startsWith('A'))).toBe(true);
    // Same objects as onResult gives, in the same order.
    expect(resultsIn(all)).toEqual(JSON.parse(JSON.stringify(f.results)));
    expect(resultsIn(all).find((r) => r.start === T0)).toMatchObject({ key: 'A0', start: T0, end: T0 + 1, count: 1, fire: 'watermark' });
    expect(Array.isArray(all.messages[0])).toBe(true);
    expect((await fetch(`${fx.base}/ws/results`)).status).toBe(426);
    a.close();
    all.close();
  });

  it('with --auth-token, refuses a subscriber without the token (401, counted); takes it as a header or as ?access_token', async () => {
    written = 0;
    fx = await startIngest({ ...ONE_RESULT_PER_RECORD, authToken: 's3cret' });
    await expect(WsClient.connect(`${fx.wsBase}/ws/results`)).rejects.toMatchObject({ status: 401 });
    await expect(WsClient.connect(`${fx.wsBase}/ws/results?access_token=nope`)).rejects.toMatchObject({ status: 401 });
    expect(fx.routes.stats().results).toMatchObject({ unauthorized401: 2, clients: 0 });
    const byHeader = await WsClient.connect(`${fx.wsBase}/ws/results`, { Authorization: 'Bearer s3cret' });
    const byQuery = await WsClient.connect(`${fx.wsBase}/ws/results?key=A&access_token=s3cret`);
    await until(() => fx!.routes.stats().results.clients === 2);
    await writeRecords(fx, 200);
    const f = fx;
    await until(() => resultsIn(byHeader).length >= 190 && resultsIn(byQuery).length >= 95);
    expect(resultsIn(byQuery).every((r) => r.key.startsWith('A'))).toBe(true); // the token does not disturb the prefix
    expect(f.routes.stats().results.unauthorized401).toBe(2);
    byHeader.close();
    byQuery.close();
  });

  it('disconnects a subscriber that stops reading with 4009 and counts it; the engine and other subscribers go on', async () => {
    written = 0;
    fx = await startIngest({ ...ONE_RESULT_PER_RECORD, hooks: { resultsMaxBackpressure: 256 * 1024 } });
    const slow = await WsClient.connect(`${fx.wsBase}/ws/results`);
    const fast = await WsClient.connect(`${fx.wsBase}/ws/results?key=A`);
    await until(() => fx!.routes.stats().results.clients === 2);
    slow.socket.pause(); // reads nothing more: kernel buffers fill, then the server's send buffer
    const f = fx;
    for (let round = 0; f.routes.stats().results.slowDisconnects === 0; round++) {
      expect(round).toBeLessThan(400); // ≤ 2M records
      await writeRecords(f, 5000);
    }
    expect(f.routes.stats().results).toMatchObject({ slowDisconnects: 1, clients: 1 });
    // The engine goes on, and so does the subscriber that reads.
    const processed = f.engine.snapshot().recordsProcessed;
    const fastSeen = resultsIn(fast).length;
    await writeRecords(f, 4000);
    await until(() => f.engine.snapshot().recordsProcessed >= processed + 4000);
    await until(() => resultsIn(fast).length >= fastSeen + 1900);
    expect(resultsIn(fast).every((r) => r.key.startsWith('A'))).toBe(true);
    // The slow one, reading again, finds its backlog and then the close frame.
    slow.socket.resume();
    expect(await slow.closed).toEqual({ code: 4009, reason: 'too slow' });
    expect(resultsIn(slow).length).toBeGreaterThan(0);
    fast.close();
  });
});
