import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { once } from 'node:events';
import { startIngest, type IngestFixture, ndjson, SLOW, until } from '../../helpers/ingest-server.js';

// Its own file: the timer count below must not see other tests' client timers.
let fx: IngestFixture | undefined;
afterEach(async () => { await fx?.stop(); fx = undefined; });




describe('POST /ingest, client gone', () => {
  it('an aborted request leaves nothing behind: its wait and timer end at once and its response is never written', async () => {
    fx = await startIngest({ ...SLOW, ingestTimeout: '60s' });
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const body = ndjson(400);
    const sock = net.connect(fx.server.port, '127.0.0.1');
    await once(sock, 'connect');
    let answered = '';
    sock.on('data', (d) => { answered += d; });
    sock.write(`POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await until(() => fx!.routes.stats().http.waiting === 1);
    const written = fx.httpPort.records;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(400);
    const timersWaiting = timers();
    sock.destroy();
    await until(() => fx!.routes.stats().http.aborted === 1);
    expect(fx.routes.stats().http.waiting).toBe(0);
    // The 60 s ingest-timeout timer is gone. Other timers come and go (polling, publish ticks), so wait
    // until the count has dropped below what it was while the request waited; a leaked 60 s timer never lets it.
    await until(() => timers() <= timersWaiting - 1, 2000);
    // The ring drains; the aborted request writes nothing more and answers nothing.
    await until(() => fx!.engine.snapshot().recordsProcessed === written);
    await new Promise((r) => setTimeout(r, 100));
    expect(fx.httpPort.records).toBe(written);
    expect(answered).toBe('');
    // And the server goes on serving.
    const ok = await fetch(`${fx.base}/ingest`, { method: 'POST', body: ndjson(3), headers: { 'Content-Type': 'application/x-ndjson' } });
    expect(ok.status).toBe(202);
  });

});
