// A stand-in for a running engine, built from the REAL metrics parts:
// shared Counters advanced by a driver on the main thread (what the
// partitioned writer and workers do), and real worker_threads that run a
// synchronous busy loop recording stage latencies into WorkerMetrics and
// posting interval snapshots through a MessagePort to the MetricsHub —
// exactly the path the engine's workers use. Their allocations cause real
// scavenges, which the polled GC profiler reports.
import { MessageChannel, Worker } from 'node:worker_threads';
import { Counters, P_MAX_EVENT_TIME, P_RECORDS_IN, P_RECORDS_PROCESSED, P_WATERMARK, W_LATE, W_RESULTS_OUT, W_WATERMARK }
  from '../../dist/src/metrics/counters.js';
import { MetricsHub } from '../../dist/src/metrics/metrics-hub.js';
import type { SourceStats } from '../../dist/src/metrics/stats-snapshot.js';

const WORKER_METRICS_URL = new URL('../../dist/src/metrics/worker-metrics.js', import.meta.url).href;

// Worker w records queue latency (100 + w*1000 + i % 1000) µs and process latency 5 µs per batch of 64.
const WORKER_CODE = `
const { workerData } = require('node:worker_threads');
import(workerData.url).then(({ WorkerMetrics }) => {
  const { worker, port, stop, intervalMs } = workerData;
  const flag = new Int32Array(stop);
  const m = new WorkerMetrics({ worker, port, intervalMs });
  const q = m.queue, p = m.process;
  let i = 0, junk = [];
  // Synchronous loop: this thread's event loop never turns until it ends.
  while (Atomics.load(flag, 0) === 0) {
    for (let k = 0; k < 64; k++, i++) q.recordValue(100 + worker * 1000 + (i % 1000));
    p.recordValueWithCount(5, 64);
    junk.push(new Array(4096).fill(i)); // ~32 KB a pass: real scavenges for the GC figures
    if (junk.length > 200) junk = [];
    m.maybeFlush(performance.timeOrigin + performance.now());
    // Pace the loop without returning to the event loop: an Atomics.wait that the stop flag ends.
    Atomics.wait(flag, 0, 0, 1);
  }
  m.close();
  port.postMessage({ type: 'done', records: i });
});
`;

export interface Fixture {
  counters: Counters;
  hub: MetricsHub;
  occupancy: number[];
  sources: SourceStats[];
  /** Records the driver adds per step, over all partitions. */
  readonly recordsPerStep: number;
  readonly stepMs: number;
  /** Queue values recorded per worker, once frozen. */
  recorded: number[];
  /** Resolves once every worker has posted at least `n` snapshots. */
  reported(n: number): Promise<void>;
  /** Stop the driver and the workers; resolves after each worker's last snapshot was merged. */
  freeze(): Promise<void>;
  close(): Promise<void>;
}

export async function startFixture(options: { partitions?: number; workers?: number; stepMs?: number; flushMs?: number } = {}):
  Promise<Fixture> {
  const partitions = options.partitions ?? 4;
  const workers = options.workers ?? 2;
  const stepMs = options.stepMs ?? 50;
  const counters = Counters.create({ partitions, workers });
  const occupancy = new Array<number>(partitions).fill(0);
  const sources: SourceStats[] = [{ name: 'generator', records: 0, pauses: 0, pausedSeconds: 0 }];
  const hub = new MetricsHub({
    counters, ringOccupancy: occupancy, sources: () => sources, mainCounts: () => ({ deadLetter: 3, rejected: 1 }),
  }).start();

  const perPartition = 500;
  let step = 0;
  const t0 = 1_700_000_000_000;
  const drive = (): void => {
    step++;
    const f = counters.f64;
    for (let p = 0; p < partitions; p++) {
      f[counters.p(p, P_RECORDS_IN)]! += perPartition;
      f[counters.p(p, P_RECORDS_PROCESSED)]! += perPartition - 10;
      f[counters.p(p, P_MAX_EVENT_TIME)] = t0 + step * 100;
      f[counters.p(p, P_WATERMARK)] = t0 + step * 100 - 2000 - p * 100;
      occupancy[p] = ((step + p * 7) % 20) / 20;
    }
    for (let w = 0; w < workers; w++) {
      f[counters.w(w, W_RESULTS_OUT)]! += 5;
      f[counters.w(w, W_LATE)]! += w;
      f[counters.w(w, W_WATERMARK)] = t0 + step * 100 - 2000 - (partitions - workers + w) * 100;
    }
    sources[0]!.records += perPartition * partitions;
    if (step % 10 === 0) {
      sources[0]!.pauses++;
      sources[0]!.pausedSeconds += 0.025;
    }
  };
  drive();
  const timer = setInterval(drive, stepMs);

  const stop = new SharedArrayBuffer(4);
  const recorded = new Array<number>(workers).fill(0);
  const snapshots = new Array<number>(workers).fill(0);
  const waiters: { n: number; resolve: () => void }[] = [];
  const onSnapshot = (w: number): void => {
    snapshots[w]!++;
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (snapshots.every((c) => c >= waiters[i]!.n)) waiters.splice(i, 1)[0]!.resolve();
    }
  };
  const threads = Array.from({ length: workers }, (_, w) => {
    const { port1, port2 } = new MessageChannel();
    hub.attach(port1);
    const done = new Promise<void>((resolve, reject) => {
      port1.on('message', (m: { type?: string; records?: number }) => {
        if (m?.type === 'sabre-metrics') onSnapshot(w);
        if (m?.type === 'done') {
          recorded[w] = m.records!;
          port1.close();
          resolve();
        }
      });
      const t = new Worker(WORKER_CODE, {
        eval: true, workerData: { url: WORKER_METRICS_URL, worker: w, port: port2, stop, intervalMs: options.flushMs ?? 200 },
        transferList: [port2],
      });
      t.on('error', reject);
    });
    return done;
  });

  let frozen: Promise<void> | undefined;
  const freeze = (): Promise<void> => {
    frozen ??= (async () => {
      clearInterval(timer);
      const flag = new Int32Array(stop);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0); // wake workers pacing in Atomics.wait so they see the flag now
      await Promise.all(threads);
    })();
    return frozen;
  };
  return {
    counters, hub, occupancy, sources, recordsPerStep: perPartition * partitions, stepMs, recorded, freeze,
    reported: (n) => (snapshots.every((c) => c >= n) ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: async () => {
      await freeze();
      hub.stop();
    },
  };
}
