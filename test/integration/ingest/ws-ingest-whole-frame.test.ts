// A /ws/ingest frame goes into the engine whole or not at all. When the rings
// stay full and the client is closed (4008) or goes away while a frame is
// being written, that frame is completed (and acknowledged, when the socket
// is still open) before the close; frames queued behind it are not written at
// all. So a client that resends every unacknowledged frame never duplicates
// part of one.
import { afterEach, describe, expect, it } from 'vitest';
import { ndjsonRange, startIngest, type IngestFixture, SLOW, until } from '../../helpers/ingest-server.js';
import { WsClient } from '../../helpers/ws-client.js';

let fx: IngestFixture | undefined;
afterEach(async () => { await fx?.stop(); fx = undefined; });

/** The wait lasts until the 4 KiB ring has taken part of the 600-record frame and is full. */
async function headFrameWaiting(f: IngestFixture): Promise<void> {
  await until(() => f.routes.stats().ws.queuedFrames === 1 && f.wsPort.records > 0);
}

describe('WS /ws/ingest: a frame is accepted whole or not at all', () => {
  it('4008 for too many bytes queued: the frame being written is completed and acknowledged first, the queued one is not written', async () => {
    fx = await startIngest({ ...SLOW, hooks: { wsCredit: 1000, wsQueueLimit: 1024 } });
    const c = await WsClient.connect(`${fx.wsBase}/ws/ingest`);
    await c.next((m) => m.type === 'credit');
    await c.send(ndjsonRange(600, 0)); // does not fit the ring: part written, the rest waits
    await headFrameWaiting(fx);
    await c.send(ndjsonRange(100, 600)); // within credit, but 4 KiB queued > 1 KiB: a violation
    const closed = await c.closed;
    expect(closed).toEqual({ code: 4008, reason: 'credit exceeded: too many bytes queued' });
    const acks = c.messages.filter((m) => m.type === 'ack');
    expect(acks).toEqual([{ type: 'ack', frame: 1, accepted: 600, rejected: 0, credit: 600 }]);
    expect(fx.wsPort.records).toBe(600);
    await new Promise((r) => setTimeout(r, 200));
    expect(fx.wsPort.records).toBe(600); // nothing of frame 2
    expect(fx.routes.stats().ws).toMatchObject({ creditViolations: 1, queuedFrames: 0, clients: 0 });
  });

  it('4008 for a frame over the credit left: the waiting frame is completed and acknowledged, the offending one not written', async () => {
    fx = await startIngest({ ...SLOW, hooks: { wsCredit: 1000 } });
    const c = await WsClient.connect(`${fx.wsBase}/ws/ingest`);
    await c.next((m) => m.type === 'credit');
    await c.send(ndjsonRange(600, 0));
    await headFrameWaiting(fx);
    await c.send(ndjsonRange(600, 600)); // 400 left: a violation
    expect(await c.closed).toEqual({ code: 4008, reason: 'credit exceeded' });
    expect(c.messages.filter((m) => m.type === 'ack')).toEqual([{ type: 'ack', frame: 1, accepted: 600, rejected: 0, credit: 600 }]);
    expect(fx.wsPort.records).toBe(600);
  });

  it('a client that goes away while its frame waits: the frame is completed, not left half written', async () => {
    fx = await startIngest({ ...SLOW, hooks: { wsCredit: 1000 } });
    const c = await WsClient.connect(`${fx.wsBase}/ws/ingest`);
    await c.next((m) => m.type === 'credit');
    await c.send(ndjsonRange(600, 0));
    await headFrameWaiting(fx);
    await c.send(ndjsonRange(300, 600)); // queued behind it, not started
    await until(() => fx!.wsPort.pauses > 0);
    c.terminate();
    await c.closed;
    const f = fx;
    await until(() => f.wsPort.records >= 600);
    await new Promise((r) => setTimeout(r, 300));
    expect(f.wsPort.records).toBe(600);
  });
});
