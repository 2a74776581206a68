// Credit is enforced as docs/INGEST.md states it: a client may send a frame
// only if the credit it holds covers it, and credit comes back with acks. Two
// frames sent back to back that together cost more than the credit granted:
// the second was sent before the client could have seen the first one's ack,
// so it is refused with 4008 (nothing of it written), however fast the first
// was acknowledged.
import { afterEach, describe, expect, it } from 'vitest';
import { ndjsonRange, startIngest, type IngestFixture } from '../../helpers/ingest-server.js';
import { WsClient } from '../../helpers/ws-client.js';
import { sendWithinCredit } from '../../helpers/credit-sender.js';

let fx: IngestFixture | undefined;
afterEach(async () => { await fx?.stop(); fx = undefined; });

describe('WS /ws/ingest credit', () => {
  it('two frames that together exceed the credit granted: the first is acknowledged, the second refused with 4008', async () => {
    fx = await startIngest({ partitions: 2, workers: 1, hooks: { wsCredit: 1000 } });
    const c = await WsClient.connect(`${fx.wsBase}/ws/ingest`);
    expect(await c.next((m) => m.type === 'credit')).toEqual({ type: 'credit', credit: 1000 });
    // Both frames leave in one TCP write, so the server reads them together: the first one's ack cannot
    // have reached the client before it sent the second.
    c.socket.cork();
    const sent = Promise.all([c.send(ndjsonRange(600, 0)), c.send(ndjsonRange(600, 600))]);
    process.nextTick(() => c.socket.uncork());
    await sent;
    const open = new Promise((r) => setTimeout(r, 3000, 'still open'));
    expect(await Promise.race([c.closed, open])).toEqual({ code: 4008, reason: 'credit exceeded' });
    expect(c.messages.filter((m) => m.type === 'ack')).toEqual([{ type: 'ack', frame: 1, accepted: 600, rejected: 0, credit: 600 }]);
    expect(fx.wsPort.records).toBe(600);
    expect(fx.routes.stats().ws.creditViolations).toBe(1);
  });

  it('a client that waits for the ack before spending the credit it returns is never refused', async () => {
    fx = await startIngest({ partitions: 2, workers: 1, hooks: { wsCredit: 1000 } });
    const c = await WsClient.connect(`${fx.wsBase}/ws/ingest`);
    const frames = Array.from({ length: 40 }, (_, i) => ({ data: ndjsonRange(600, i * 600), records: 600 }));
    const report = await sendWithinCredit(c, frames);
    expect(report.acks.reduce((a, m) => a + m.accepted, 0)).toBe(24_000);
    expect(report.creditWaits).toBeGreaterThan(30);
    expect(fx.routes.stats().ws.creditViolations).toBe(0);
    c.close();
    expect((await c.closed).code).toBe(1005);
  });
});
