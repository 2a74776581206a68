import { describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import { MessageChannel, Worker } from 'node:worker_threads';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { Counters } from '../../../dist/src/metrics/counters.js';
import { MetricsHub } from '../../../dist/src/metrics/metrics-hub.js';
import { GcMonitor } from '../../../dist/src/metrics/gc-monitor.js';
import { GC_MAJOR, GC_MINOR } from '../../../dist/src/metrics/stages.js';

// --expose-gc is a per-process V8 flag: a Worker refuses it in execArgv, but
// setting it on the process before the worker starts gives the worker gc().
v8.setFlagsFromString('--expose-gc');
const mainGc = vm.runInNewContext('gc') as () => void;

const WORKER_METRICS_URL = new URL('../../../dist/src/metrics/worker-metrics.js', import.meta.url).href;

// The worker never returns to its event loop between creating the monitor
// and posting its snapshot: a synchronous loop that allocates and forces three
// full GCs, while a PerformanceObserver('gc') polls takeRecords() for comparison.
const BUSY_WORKER = `
const { workerData } = require('node:worker_threads');
const { PerformanceObserver } = require('node:perf_hooks');
import(workerData.url).then(({ WorkerMetrics }) => {
  const { port } = workerData;
  const m = new WorkerMetrics({ worker: 0, port, intervalMs: 1e9 });
  const obs = new PerformanceObserver(() => {});
  obs.observe({ entryTypes: ['gc'] });
  let takenInLoop = 0, forced = 0, junk = [];
  const t0 = performance.now();
  while (forced < 3) {
    for (let i = 0; i < 1000; i++) junk.push({ i });
    if (junk.length > 50000) junk = [];
    takenInLoop += obs.takeRecords().length;
    if (performance.now() - t0 > (forced + 1) * 50) { gc(); forced++; }
  }
  takenInLoop += obs.takeRecords().length;
  m.flush();
  obs.disconnect();
  port.postMessage({ type: 'done', takenInLoop, forced });
});
`;

describe('GC monitor', () => {
  it('a Worker refuses --expose-gc in execArgv (so the test sets the flag on the process)', () => {
    expect(() => new Worker('', { eval: true, execArgv: ['--expose-gc'] }))
      .toThrow(expect.objectContaining({ code: 'ERR_WORKER_INVALID_EXEC_ARGV' }));
  });

  it('sees major GCs with positive pauses in a worker busy in a synchronous loop', async () => {
    const counters = Counters.create({ partitions: 1, workers: 1 });
    const hub = new MetricsHub({ counters, mainThread: false });
    const { port1, port2 } = new MessageChannel();
    const done = new Promise<{ takenInLoop: number; forced: number }>((resolve, reject) => {
      port1.on('message', (m: { type?: string; takenInLoop: number; forced: number }) => {
        if (m?.type === 'done') resolve(m);
        else hub.ingest(m);
      });
      const w = new Worker(BUSY_WORKER, { eval: true, workerData: { url: WORKER_METRICS_URL, port: port2 }, transferList: [port2] });
      w.on('error', reject);
    });
    const result = await done;
    port1.close();
    expect(result.forced).toBe(3);
    // The finding behind the polled GCProfiler: the observer's entries do not exist until the loop turns.
    expect(result.takenInLoop).toBe(0);
    expect(hub.messages).toBe(1);
    const t = hub.threads.find((x) => x.thread === 'worker-0')!;
    const major = t.kinds[GC_MAJOR]!;
    expect(major.count).toBeGreaterThanOrEqual(3);
    expect(major.sum).toBeGreaterThan(0);
    expect(major.max).toBeGreaterThan(0);
    expect(t.kinds[GC_MINOR]!.count).toBeGreaterThan(0); // the allocation loop scavenges too
    expect(t.heap!.usedBytes).toBeGreaterThan(0);
    const snap = hub.snapshot().gc.threads.find((x) => x.thread === 'worker-0')!;
    expect(snap.kinds.major.count).toBe(major.count);
    expect(snap.kinds.major.totalMs).toBeCloseTo(major.sum / 1000, 9);
    expect(snap.kinds.major.pauseMs.max).toBeGreaterThan(0);
    expect(snap.pauseBuckets.reduce((a, b) => a + b, 0)).toBe(snap.count);
  });

  it('sees a major GC on the main thread (observer mode)', async () => {
    const counters = Counters.create({ partitions: 1, workers: 1 });
    const hub = new MetricsHub({ counters }).start();
    // An observer of our own tells us when the entry exists; the hub's tick()
    // then takes it from its observer with takeRecords() if its callback has not run yet.
    const seen = new Promise<void>((resolve) => {
      const o = new PerformanceObserver((list) => {
        if (list.getEntries().some((e) => (e.detail as { kind?: number })?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
          o.disconnect();
          resolve();
        }
      });
      o.observe({ entryTypes: ['gc'] });
    });
    mainGc();
    await seen;
    hub.tick();
    const main = hub.threads[0]!;
    expect(main.thread).toBe('main');
    expect(main.kinds[GC_MAJOR]!.count).toBeGreaterThanOrEqual(1);
    expect(main.kinds[GC_MAJOR]!.sum).toBeGreaterThan(0);
    const s = hub.snapshot();
    expect(s.gc.threads[0]!.kinds.major.totalMs).toBeGreaterThan(0);
    expect(s.gc.threads[0]!.heap!.usedBytes).toBeGreaterThan(0);
    expect(s.eventLoop).not.toBeNull();
    hub.stop();
  });

  it('profiler mode also works on the main thread, polled', () => {
    const m = new GcMonitor({ mode: 'profiler' }).start();
    mainGc();
    mainGc();
    m.poll();
    const iv = m.kinds[GC_MAJOR]!.swap();
    expect(iv.total).toBeGreaterThanOrEqual(2);
    expect(iv.max).toBeGreaterThan(0);
    m.stop();
  });
});
