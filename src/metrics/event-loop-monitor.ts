// Main-thread event-loop delay and utilisation, reported per interval: each
// roll() closes the interval (and resets the delay histogram) so the numbers
// describe the last second, not the whole run.
import { monitorEventLoopDelay, performance, type IntervalHistogram, type EventLoopUtilization } from 'node:perf_hooks';
import type { EventLoopStats } from './stats-snapshot.js';

const NS_PER_MS = 1e6;

export class EventLoopMonitor {
  private readonly delay: IntervalHistogram;
  private elu: EventLoopUtilization;
  private last: EventLoopStats | null = null;

  /** resolutionMs: the sampling timer's period (Node's default is 10). */
  constructor(resolutionMs = 10) {
    this.delay = monitorEventLoopDelay({ resolution: resolutionMs });
    this.elu = performance.eventLoopUtilization();
  }

  start(): this {
    this.delay.enable();
    return this;
  }

  stop(): void {
    this.delay.disable();
  }

  /** Close the current interval; its figures are what stats() returns until the next roll. */
  roll(): EventLoopStats {
    const d = this.delay;
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, this.elu);
    this.elu = now;
    const empty = d.count === 0;
    this.last = {
      minMs: empty ? 0 : d.min / NS_PER_MS,
      meanMs: empty ? 0 : d.mean / NS_PER_MS,
      p50Ms: empty ? 0 : d.percentile(50) / NS_PER_MS,
      p99Ms: empty ? 0 : d.percentile(99) / NS_PER_MS,
      maxMs: empty ? 0 : d.max / NS_PER_MS,
      utilization: u.utilization,
    };
    d.reset();
    return this.last;
  }

  /** Figures of the last closed interval (null before the first roll). */
  stats(): EventLoopStats | null {
    return this.last;
  }
}
