// Push ingest end to end through `sabre run` as a real process: its own HTTP
// server with --auth-token, --max-body and --ingest-timeout answers
// 401/413/415/202/503 and closes a credit violator with 4008; every one is
// counted in /api/stats, /metrics and `sabre stats`; the records refused with
// 503 are in the dead-letter file with reason refused-full; /api/stats has
// the full percentile distributions of the engine's own histograms.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatsSnapshot } from '../../../dist/src/metrics/stats-snapshot.js';
import { tmpDir } from '../../helpers/engine-run.js';
import { ndjson } from '../../helpers/ingest-server.js';
import { parsePrometheus, sample } from '../../helpers/prom-parser.js';
import { freePort, sabreStats, startSabreServer } from '../../helpers/sabre-server-process.js';
import { WsClient } from '../../helpers/ws-client.js';

const TOKEN = 't0ken';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const ND = { 'Content-Type': 'application/x-ndjson' };

describe('sabre run --auth-token --max-body --ingest-timeout', () => {
  it('answers and counts every ingest outcome, and dead-letters what it refused', async () => {
    const dead = join(tmpDir(), 'dead.ndjson');
    const port = await freePort();
    const proc = startSabreServer(['run', '--source', 'api', '--sink', 'null', '--dead-letter', `file:${dead}`,
      '--http-port', String(port), '--auth-token', TOKEN, '--max-body', '256KiB',
      // 0: a request that meets a full ring is answered 503 at once; a 1 KiB ring holds a dozen records.
      '--ingest-timeout', '0', '--ring-size', '1KiB', '--partitions', '1', '--workers', '1',
      '--window', 'tumbling:1s', '--progress', '0']);
    let notAccepted = -1;
    try {
      await proc.waitFor(/\[sabre\] dashboard http:/);
      const base = `http://127.0.0.1:${port}`;
      const post = (body: string, headers: Record<string, string>): Promise<Response> =>
        fetch(`${base}/ingest`, { method: 'POST', body, headers });

      const noToken = await post(ndjson(1), ND);
      expect(noToken.status).toBe(401);
      expect(noToken.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await post(ndjson(1), { Authorization: 'Bearer wrong', ...ND })).status).toBe(401);
      expect((await post(ndjson(1), { ...AUTH, 'Content-Type': 'text/plain' })).status).toBe(415);
      expect((await post('x'.repeat(300 * 1024), { ...AUTH, ...ND })).status).toBe(413);
      const ok = await post(ndjson(3), { ...AUTH, ...ND });
      expect(ok.status).toBe(202);
      expect(await ok.json()).toEqual({ accepted: 3, rejected: 0, errors: [] });
      const body = ndjson(500);
      const full = await post(body, { ...AUTH, ...ND });
      expect(full.status).toBe(503);
      expect(full.headers.get('retry-after')).toBe('1');
      const refused = await full.json();
      expect(refused).toMatchObject({ reason: 'ERR_RING_FULL', retryFrom: { line: refused.accepted + 1 } });
      expect(refused.accepted + refused.notAccepted).toBe(500);
      expect(refused.notAccepted).toBeGreaterThan(400);
      notAccepted = refused.notAccepted;

      // /ws/ingest: no token, refused with 401; the token as a query parameter; a frame past the credit closes with 4008.
      await expect(WsClient.connect(`ws://127.0.0.1:${port}/ws/ingest`)).rejects.toMatchObject({ status: 401 });
      const c = await WsClient.connect(`ws://127.0.0.1:${port}/ws/ingest?access_token=${TOKEN}`);
      const { credit } = await c.next((m) => m.type === 'credit');
      await c.send('x\n'.repeat(credit + 1)); // 131 KB: under --max-body, over the credit
      expect(await c.closed).toEqual({ code: 4008, reason: 'credit exceeded' });

      // The accepted records reach the worker, and its latency histograms the main thread (once a second).
      let s: StatsSnapshot;
      const deadline = Date.now() + 20_000;
      for (;;) {
        s = (await (await fetch(`${base}/api/stats`)).json()) as StatsSnapshot;
        if (s.latency.stages.queue.all.count >= 3 + refused.accepted && s.ingest!.ws.clients === 0) break;
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(s.ingest!.http).toEqual({
        requests: 6, accepted202: 1, badRequest400: 0, unauthorized401: 2, forbidden403: 0, tooLarge413: 1, unsupported415: 1, unavailable503: 1,
        recordsNotAccepted: refused.notAccepted, aborted: 0, waiting: 0,
      });
      expect(s.ingest!.ws).toMatchObject({ creditViolations: 1, frames: 1, clients: 0, unauthorized401: 1, unavailable503: 0 });
      expect(s.ingest!.results.slowDisconnects).toBe(0);
      expect(s.totals).toMatchObject({ recordsIn: 3 + refused.accepted, rejected: refused.notAccepted, deadLetter: refused.notAccepted });
      // The engine's own histograms come with their full distribution, ending at the max.
      const q = s.latency.stages.queue;
      expect(q.distribution!.all.at(-1)).toEqual({ value: q.all.max, percentile: 100, count: q.all.count });
      expect(q.distribution!.workers[0]!.at(-1)!.count).toBe(q.workers[0]!.count);

      const fam = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
      for (const [code, n] of [['202', 1], ['401', 2], ['413', 1], ['415', 1], ['503', 1]] as const) {
        expect(sample(fam, 'sabre_ingest_responses_total', { code }), code).toBe(n);
      }
      expect(sample(fam, 'sabre_ws_closed_total', { reason: 'credit-exceeded' })).toBe(1);
      expect(sample(fam, 'sabre_ws_closed_total', { reason: 'too-slow' })).toBe(0);
      expect(sample(fam, 'sabre_ws_upgrades_refused_total', { endpoint: 'ingest', code: '401' })).toBe(1);
      expect(sample(fam, 'sabre_dead_letter_total')).toBe(refused.notAccepted);

      const table = (await sabreStats(base)).split('\n');
      expect(table.find((l) => l.trim().startsWith('responses '))!.trim().split(/\s+/))
        .toEqual(['responses', '6', '1', '0', '2', '0', '1', '1', '1', String(refused.notAccepted), '0', '0']);
      expect(table.find((l) => l.trim().startsWith('/ws/ingest '))!.trim().split(/\s{2,}/))
        .toEqual(['/ws/ingest', '0', '1', '1', '4008 credit exceeded', '1', '0', '0']);
    } finally {
      const { code, stderr } = await proc.stop();
      expect(code, stderr).toBe(0);
    }

    // Every refused record, as sent, with its line and a reason that says it was refused, not bad.
    const lines = readFileSync(dead, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const sent = ndjson(500).split('\n').filter(Boolean);
    expect(lines).toHaveLength(notAccepted);
    const firstRefused = 500 - notAccepted;
    expect(lines.map((d) => d.input)).toEqual(sent.slice(firstRefused));
    lines.forEach((d, i) => {
      expect(d).toMatchObject({ code: 'ERR_RING_FULL', reason: 'refused-full', source: `http:/ingest:${firstRefused + 1 + i}` });
    });
  });
});
