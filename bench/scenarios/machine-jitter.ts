// How much of the time this machine takes the CPU away from a busy thread,
// measured with the engine's own thread layout (the main thread and one
// worker, both busy) in the same invocation as the latency runs. Each thread
// spins reading the clock; a gap between two reads longer than GAP_US is time
// it did not run (preemption by other threads or other machines on the host,
// interrupts, V8's own helper threads). That is a floor under any latency
// percentile: a record that arrives while its thread is off the CPU waits out
// the rest of the gap, whatever the engine does.
import { Worker } from 'node:worker_threads';

/** Gaps shorter than this are the loop itself (a clock read is ~50 ns). */
const GAP_US = 20;

export interface ThreadJitter {
  thread: string;
  seconds: number;
  gapsOver100usPerSec: number;
  gapsOver1msPerSec: number;
  longestMs: number;
  /** Share of wall time spent in gaps over 20 µs. */
  lostFraction: number;
  /**
   * The delay a record arriving at a uniformly random moment would see from
   * gaps alone (it waits for the rest of the gap it lands in), at p99 / p99.9, µs.
   */
  floorP99Us: number;
  floorP999Us: number;
}

/** The spin loop, as source text, so it runs the same in the main thread and in a worker. */
const SPIN = `
function spin(ms, gapUs) {
  const gaps = [];
  let last = performance.now();
  const end = last + ms;
  for (;;) {
    const t = performance.now();
    // A gap is cut at the window's end: a thread descheduled across it would
    // otherwise count time outside the window (lost share above 1 on a loaded box).
    const d = (Math.min(t, end) - last) * 1000;
    if (d > gapUs) gaps.push(d);
    last = t;
    if (t >= end) break;
  }
  return gaps;
}`;

const spinHere = new Function(`${SPIN}; return spin;`)() as (ms: number, gapUs: number) => number[];

/** p99 / p99.9 of the wait of a uniformly arriving record: the smallest d with Σ max(0, g − d) ≤ q·T. */
export function floorOf(gapsUs: number[], totalUs: number, q: number): number {
  const budget = q * totalUs;
  const sorted = [...gapsUs].sort((a, b) => b - a);
  // Σ max(0, g − d) is decreasing in d; bisect on d between 0 and the longest gap.
  let lo = 0;
  let hi = sorted[0] ?? 0;
  const excess = (d: number): number => {
    let s = 0;
    for (const g of sorted) {
      if (g <= d) break;
      s += g - d;
    }
    return s;
  };
  if (excess(0) <= budget) return 0;
  for (let k = 0; k < 50; k++) {
    const mid = (lo + hi) / 2;
    if (excess(mid) > budget) lo = mid;
    else hi = mid;
  }
  return hi;
}

function summarise(thread: string, gaps: number[], ms: number): ThreadJitter {
  const totalUs = ms * 1000;
  const s = ms / 1000;
  return {
    thread,
    seconds: s,
    gapsOver100usPerSec: gaps.filter((g) => g > 100).length / s,
    gapsOver1msPerSec: gaps.filter((g) => g > 1000).length / s,
    longestMs: gaps.reduce((m, g) => Math.max(m, g), 0) / 1000,
    lostFraction: gaps.reduce((a, g) => a + g, 0) / totalUs,
    floorP99Us: floorOf(gaps, totalUs, 0.01),
    floorP999Us: floorOf(gaps, totalUs, 0.001),
  };
}

/** Both threads spin for `ms` at the same time; their gaps, summarised, and the combined floor (either thread's gap delays a record). */
export async function machineJitter(ms: number): Promise<{ threads: ThreadJitter[]; combined: { floorP99Us: number; floorP999Us: number } }> {
  const worker = new Worker(`${SPIN}
    const { parentPort, workerData } = require('node:worker_threads');
    parentPort.once('message', () => parentPort.postMessage(spin(workerData.ms, workerData.gapUs)));`,
  { eval: true, workerData: { ms, gapUs: GAP_US } });
  await new Promise<void>((resolve, reject) => { worker.once('online', () => resolve()); worker.once('error', reject); });
  const fromWorker = new Promise<number[]>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  worker.postMessage('go');
  const mainGaps = spinHere(ms, GAP_US);
  const workerGaps = await fromWorker;
  await worker.terminate();
  const all = [...mainGaps, ...workerGaps];
  return {
    threads: [summarise('main', mainGaps, ms), summarise('worker', workerGaps, ms)],
    combined: { floorP99Us: floorOf(all, ms * 1000, 0.01), floorP999Us: floorOf(all, ms * 1000, 0.001) },
  };
}
