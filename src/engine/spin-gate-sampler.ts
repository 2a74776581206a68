import { availableParallelism, cpus } from 'node:os';
import type { ResolvedOptions } from '../options.js';
import { W_SPIN_GATE, type Counters } from '../metrics/counters.js';
import { SpinGate, machineBusyMs, processCpuMs } from '../ring/spin-gate.js';
import { SPIN_AUTO } from '../ring/wait-strategy.js';

/** How often the machine is sampled for the workers' auto spin: often enough to follow a broker's or a test suite's load. */
const SPIN_GATE_SAMPLE_MS = 500;

/** The workers' spin: --spin, or auto — none when the machine is oversubscribed (spinning threads only steal the CPU from the thread they wait for). */
export function chooseSpin(o: Pick<ResolvedOptions, 'spin' | 'workers'>): number {
  return o.spin >= 0 ? o.spin : o.workers + 1 > availableParallelism() ? 0 : SPIN_AUTO;
}

/**
 * May idle workers poll? W_SPIN_GATE in each worker's counters slot says so
 * (workers read it there, stats show it); with auto spin a timer samples the
 * machine every SPIN_GATE_SAMPLE_MS and keeps it current (src/ring/spin-gate.ts).
 */
export class SpinGateSampler {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly counters: Counters) {}

  start(spin: number, workers: number): void {
    this.set(spin !== 0);
    if (spin === SPIN_AUTO) this.sample(workers);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(workers: number): void {
    const gate = new SpinGate(cpus().length, workers + 1);
    let busy = machineBusyMs();
    let own = processCpuMs();
    let at = performance.now();
    this.timer = setInterval(() => {
      const b = machineBusyMs();
      const c = processCpuMs();
      const now = performance.now();
      this.set(gate.update(b - busy, c - own, now - at));
      busy = b;
      own = c;
      at = now;
    }, SPIN_GATE_SAMPLE_MS);
    this.timer.unref();
  }

  private set(open: boolean): void {
    const c = this.counters;
    for (let w = 0; w < c.workers; w++) c.f64[c.w(w, W_SPIN_GATE)] = open ? 1 : 0;
  }
}
