import { afterEach, describe, expect, it } from 'vitest';
import { ndjsonRange, startIngest, type IngestFixture, SLOW } from '../../helpers/ingest-server.js';
import { WsClient } from '../../helpers/ws-client.js';
import { sendWithinCredit, type Frame } from '../../helpers/credit-sender.js';

let fx: IngestFixture | undefined;
afterEach(async () => { await fx?.stop(); fx = undefined; });


function textFrame(n: number, from: number): Frame {
  return { data: ndjsonRange(n, from), records: n };
}

describe('WS /ws/ingest against full rings', () => {
  it('withholds credit while the rings are full: the client waits, other requests are served, nothing is lost', async () => {
    fx = await startIngest({ ...SLOW, hooks: { wsCredit: 200 } });
    const c = await WsClient.connect(`${fx.wsBase}/ws/ingest`);
    const frames = Array.from({ length: 20 }, (_, i) => textFrame(40, i * 40));
    let statsAnsweredMs = -1;
    const sending = sendWithinCredit(c, frames);
    // While this client waits for ring space, the server answers others at once.
    while (fx.routes.stats().ws.queuedFrames === 0) await new Promise((r) => setTimeout(r, 2));
    const t0 = performance.now();
    expect((await fetch(`${fx.base}/api/stats`)).status).toBe(200);
    statsAnsweredMs = performance.now() - t0;
    const report = await sending;
    expect(report.acks.reduce((a, m) => a + m.accepted, 0)).toBe(800);
    expect(report.maxInFlight).toBeLessThanOrEqual(200);
    expect(report.creditWaits).toBeGreaterThan(0);
    expect(fx.wsPort.pauses).toBeGreaterThan(0);
    expect(fx.wsPort.records).toBe(800);
    expect(statsAnsweredMs).toBeLessThan(250);
    c.close();
  });

  it('a frame that waits for space keeps its credit: sending past it without the ack closes with 4008, once the waiting frame is acknowledged', async () => {
    fx = await startIngest({ ...SLOW, hooks: { wsCredit: 1000 } });
    const c = await WsClient.connect(`${fx.wsBase}/ws/ingest`);
    await c.next((m) => m.type === 'credit');
    await c.send(textFrame(600, 0).data); // does not fit a 4 KiB ring: waits, no ack yet
    await c.send(textFrame(600, 600).data); // 400 left: a violation
    expect(await c.closed).toEqual({ code: 4008, reason: 'credit exceeded' });
    // The waiting frame is completed and acknowledged before the close (a frame goes in whole or not at all:
    // test/integration/ingest/ws-ingest-whole-frame.test.ts); nothing of the violating one is written.
    expect(c.messages.filter((m) => m.type === 'ack')).toMatchObject([{ frame: 1, accepted: 600 }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(fx.wsPort.records).toBe(600);
  });
});
