import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { renderStats, statsCommand } from '../../../dist/src/cli/stats-command.js';
import { startHttpServer, type HttpServer } from '../../../dist/src/server/http-server.js';
import type { StatsSnapshot } from '../../../dist/src/metrics/stats-snapshot.js';
import { startFixture, type Fixture } from '../../helpers/metrics-fixture.js';

let fx: Fixture;
let server: HttpServer;
let base: string;

beforeAll(async () => {
  fx = await startFixture({ partitions: 3, workers: 2 });
  server = await startHttpServer({ listenPort: 0, stats: () => fx.hub.snapshot(), histogram: (s, w) => fx.hub.hgrm(s, w) });
  base = `http://127.0.0.1:${server.port}`;
  await fx.reported(1);
  await fx.freeze();
});

afterAll(async () => {
  server?.close();
  await fx?.close();
});

const fmt = (n: number): string => new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(n);

describe('sabre stats', () => {
  it('renders totals, latency per stage and worker, GC per thread, rings, backpressure and the uWS implementation', async () => {
    const out = await statsCommand({ url: `${base}/` });
    const s = (await (await fetch(`${base}/api/stats`)).json()) as StatsSnapshot;
    const lines = out.split('\n');
    expect(lines[0]!.toLowerCase()).toContain(`uws ${s.uws.implementation}`);
    const total = lines.find((l) => l.trim().startsWith('total '))!;
    expect(total.trim().split(/\s{2,}/)).toEqual(['total', fmt(s.totals.recordsIn), fmt(s.totals.recordsProcessed),
      fmt(s.totals.resultsOut), fmt(s.totals.late), fmt(s.totals.deadLetter), fmt(s.totals.rejected)]);
    for (const w of [0, 1]) {
      const q = s.latency.stages.queue.workers[w]!;
      const row = lines.find((l) => new RegExp(`^\\s+queue\\s+${w}\\s`).test(l))!;
      const cells = row.trim().split(/\s+/);
      expect(cells[2]).toBe(fmt(q.count));
      expect(Number(cells[3])).toBeCloseTo(q.p50 / 1000, 2);
      expect(Number(cells[6])).toBeCloseTo(q.max / 1000, 2);
    }
    expect(lines.some((l) => /^\s+queue\s+all\s/.test(l))).toBe(true);
    for (const t of ['main', 'worker-0', 'worker-1']) expect(lines.some((l) => l.trim().startsWith(`${t} `))).toBe(true);
    for (const p of s.partitions) {
      const row = lines.find((l) => l.trim().startsWith(`p${p.partition} `))!;
      expect(row).toContain(`${(p.ringOccupancy * 100).toFixed(1)}%`);
    }
    const src = lines.find((l) => l.trim().startsWith('generator '))!;
    expect(src.trim().split(/\s+/)).toEqual(['generator', fmt(s.sources[0]!.records), fmt(s.sources[0]!.pauses), s.sources[0]!.pausedSeconds.toFixed(3)]);
  });

  it('a source that drives watermarks (Kafka) shows its watermark in its row; others get no column', async () => {
    const s = (await (await fetch(`${base}/api/stats`)).json()) as StatsSnapshot;
    expect(renderStats(s)).not.toMatch(/^\s+source\s.*watermark/m);
    const kafka = { ...s.sources[0]!, name: 'kafka:trades', watermark: 1_700_000_000_000 };
    const idle = { ...s.sources[0]!, name: 'kafka:quotes', watermark: null };
    const lines = renderStats({ ...s, sources: [kafka, idle] }).split('\n');
    expect(lines.find((l) => /^\s+source\s/.test(l))).toMatch(/\swatermark$/);
    expect(lines.find((l) => l.trim().startsWith('kafka:trades '))!.trim().split(/\s+/).at(-1)).toBe('2023-11-14T22:13:20.000Z');
    expect(lines.find((l) => l.trim().startsWith('kafka:quotes '))!.trim().split(/\s+/).at(-1)).toBe('-');
  });

  it('fails with ERR_INVALID_OPTION when nothing (or not sabre) answers', async () => {
    const free = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    await expect(statsCommand({ url: `http://127.0.0.1:${free}` })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(statsCommand({ url: `${base}/nope` })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});
