// Cross-site WebSocket hijacking: a browser puts an Origin header on every
// WebSocket upgrade and on a cross-site POST, and CORS does not cover
// WebSockets. Through an engine with its own HTTP server, a request whose
// Origin is neither the dashboard's own (http://<Host>) nor listed in
// --allowed-origins is refused with 403 (reason ERR_FORBIDDEN_ORIGIN) and
// counted; requests without Origin (curl, servers) are not affected.
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { createEngine, type Engine } from '../../../dist/src/index.js';
import { statsCommand } from '../../../dist/src/cli/stats-command.js';
import { ndjson } from '../../helpers/ingest-server.js';
import { parsePrometheus, sample } from '../../helpers/prom-parser.js';
import { WsClient } from '../../helpers/ws-client.js';

let engine: Engine | undefined;
afterEach(async () => { await engine?.stop(); engine = undefined; });

async function start(allowedOrigins?: string): Promise<number> {
  engine = createEngine({
    source: 'api', sink: 'null', lateOutput: 'null', progress: 0, httpListenPort: 0, partitions: 1, workers: 1,
    ...(allowedOrigins !== undefined ? { allowedOrigins } : {}),
  });
  await engine.start();
  return engine.httpPort!;
}

/** POST /ingest with node:http (fetch may not let a test set Origin). */
function post(port: number, headers: Record<string, string>, body = ndjson(1)): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/ingest', method: 'POST', headers: { 'Content-Type': 'application/x-ndjson', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function opens(port: number, path: string, origin?: string): Promise<number> {
  try {
    const c = await WsClient.connect(`ws://127.0.0.1:${port}${path}`, origin === undefined ? {} : { Origin: origin });
    c.close();
    await c.closed;
    return 101;
  } catch (e) {
    return (e as { status?: number }).status ?? -1;
  }
}

const PATHS = ['/ws/ingest', '/ws/results', '/ws/stats'];

describe('browser origins (--allowed-origins)', () => {
  it('refuses a foreign Origin with 403 ERR_FORBIDDEN_ORIGIN on POST /ingest and every WebSocket, counted; own origin and no Origin pass', async () => {
    const port = await start();
    const own = `http://127.0.0.1:${port}`;
    // No Origin (curl, a server) and the dashboard's own origin: taken.
    expect((await post(port, {})).status).toBe(202);
    expect((await post(port, { Origin: own })).status).toBe(202);
    for (const p of PATHS) {
      expect(await opens(port, p), p).toBe(101);
      expect(await opens(port, p, own), p).toBe(101);
    }
    // A page elsewhere, the same host on another port, https on this port, a sandboxed page (null): refused.
    const foreign = ['http://evil.example', `http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port}`, 'null'];
    for (const origin of foreign) {
      const r = await post(port, { Origin: origin });
      expect(r.status, origin).toBe(403);
      expect(JSON.parse(r.body)).toMatchObject({ reason: 'ERR_FORBIDDEN_ORIGIN' });
    }
    for (const p of PATHS) expect(await opens(port, p, 'http://evil.example'), p).toBe(403);
    const s = engine!.stats();
    expect(s.ingest!.http).toMatchObject({ forbidden403: 4, accepted202: 2 });
    expect(s.ingest!.ws.forbidden403).toBe(1);
    expect(s.ingest!.results.forbidden403).toBe(1);
    const base = `http://127.0.0.1:${port}`;
    expect((await (await fetch(`${base}/api/stats`)).json()).server.wsForbidden403).toBe(1);
    const fam = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    expect(sample(fam, 'sabre_ingest_responses_total', { code: '403' })).toBe(4);
    expect(sample(fam, 'sabre_ws_upgrades_refused_total', { endpoint: 'ingest', code: '403' })).toBe(1);
    expect(sample(fam, 'sabre_ws_upgrades_refused_total', { endpoint: 'results', code: '403' })).toBe(1);
    expect(sample(fam, 'sabre_ws_upgrades_refused_total', { endpoint: 'stats', code: '403' })).toBe(1);
    const lines = (await statsCommand({ url: base })).split('\n');
    expect(lines.find((l) => l.trim().startsWith('responses '))!.trim().split(/\s+/).slice(0, 6)).toEqual(['responses', '6', '2', '0', '0', '4']);
  });

  it('--allowed-origins adds the origins it lists (normalised); * allows any', async () => {
    const port = await start('http://app.example:3000, https://Dash.Example/');
    for (const origin of ['http://app.example:3000', 'https://dash.example']) {
      expect((await post(port, { Origin: origin })).status, origin).toBe(202);
      for (const p of PATHS) expect(await opens(port, p, origin), `${p} ${origin}`).toBe(101);
    }
    expect((await post(port, { Origin: 'http://app.example:3001' })).status).toBe(403);
    expect(await opens(port, '/ws/ingest', 'http://app.example')).toBe(403);
    await engine!.stop();
    engine = undefined;

    const any = await start('*');
    expect((await post(any, { Origin: 'http://evil.example' })).status).toBe(202);
    for (const p of PATHS) expect(await opens(any, p, 'http://evil.example'), p).toBe(101);
  });

  it('--allowed-origins that is not a list of origins is refused with ERR_INVALID_OPTION', () => {
    for (const bad of ['evil.example', 'http://a.example/path', 'ftp://a.example', ' , ']) {
      expect(() => createEngine({ source: 'api', allowedOrigins: bad }), bad).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    }
  });
});
