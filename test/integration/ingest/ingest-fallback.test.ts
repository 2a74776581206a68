// `sabre run` on uWS's pure-Node fallback (what Node 22/24 get here, forced
// with UWS_USE_FALLBACK on any Node): /ws/ingest and /ws/results close at
// once with 1011 and the reason, instead of the fallback's uncaught "not
// implemented" killing the process; POST /ingest goes on working.
import { afterEach, describe, expect, it } from 'vitest';
import { ndjson } from '../../helpers/ingest-server.js';
import { freePort, startSabreServer, type SabreServer } from '../../helpers/sabre-server-process.js';
import { WsClient } from '../../helpers/ws-client.js';

let proc: SabreServer | undefined;
afterEach(async () => {
  if (proc) {
    const { code, stderr } = await proc.stop();
    expect(code, stderr).toBe(0);
  }
  proc = undefined;
});

describe('push ingest on the uWS fallback', () => {
  it('closes WebSocket ingest and results with 1011 and why; the process lives and POST /ingest is served', async () => {
    const port = await freePort();
    proc = startSabreServer(['run', '--source', 'api', '--sink', 'null', '--http-port', String(port),
      '--partitions', '1', '--workers', '1', '--window', 'tumbling:1s', '--progress', '0'], { UWS_USE_FALLBACK: '1' });
    await proc.waitFor(/uWebSockets\.js: fallback/);
    for (const path of ['/ws/ingest', '/ws/results']) {
      const c = await WsClient.connect(`ws://127.0.0.1:${port}${path}`);
      expect(await c.closed).toEqual({ code: 1011, reason: `${path} needs the native uWebSockets.js server` });
    }
    const r = await fetch(`http://127.0.0.1:${port}/ingest`, { method: 'POST', body: ndjson(3), headers: { 'Content-Type': 'application/x-ndjson' } });
    expect(r.status).toBe(202);
    expect(proc.child.exitCode).toBeNull();
  });
});
