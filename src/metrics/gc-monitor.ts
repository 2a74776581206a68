// GC pauses by kind, per thread, for the main thread and for busy workers.
//
// What was found (Node 20.20, tested in test/unit/metrics/metrics-gc.test.ts):
// - A PerformanceObserver('gc') never sees anything while a worker's JS runs
//   a synchronous loop. Node builds the 'gc' PerformanceEntry in a native
//   SetImmediate scheduled from the GC epilogue, so the entry does not exist
//   until the thread's event loop turns. observer.takeRecords() called from
//   inside the loop therefore returns [] every time (measured: 0 entries over
//   1.5 s with ~70 scavenges and 5 forced gc() calls); all of them reach the
//   callback at once after the loop returns. performance.getEntriesByType()
//   does not buffer 'gc' at all. Sabre's workers sleep in Atomics.wait and
//   never return to their event loop until END, so that is useless there.
// - v8.GCProfiler (Node ≥ 18.15) records each GC synchronously from V8's GC
//   prologue/epilogue callbacks (gcType, `cost` in µs — it matches the
//   observer's duration to the µs — and heap statistics before/after), and
//   stop() returns them synchronously. So busy threads poll: every interval
//   they start a fresh profiler and stop the previous one (a stopped one
//   cannot be restarted). The new one is started before the old one is
//   stopped, so no GC falls in a gap; nothing allocates between the two
//   calls, so none is seen twice. Stopped profilers are freed by a later GC
//   (measured: per-GC cost does not grow after 20 000 start/stop rounds).
//   `cost` is µs in the version-1 format Node 20 emits; the version-2 format
//   of later Node versions reports ms, handled below.
// - `--expose-gc` is rejected in a Worker's execArgv
//   (ERR_WORKER_INVALID_EXEC_ARGV: it is a per-process V8 flag); a worker has
//   `gc()` when the process was started with it, or after
//   v8.setFlagsFromString('--expose-gc') in the parent before the worker is
//   created.
// The main thread, whose event loop turns, uses the observer (mode 'observer').
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import v8 from 'node:v8';
import { LatencyRecorder, wallClock, type Clock } from './latency-recorder.js';
import { GC_INCREMENTAL, GC_KINDS, GC_MAJOR, GC_MINOR, GC_WEAKCB } from './stages.js';
import type { HeapSummary } from './stats-snapshot.js';

export type GcMode = 'observer' | 'profiler';

export interface GcMonitorOptions {
  /** 'observer' needs a turning event loop; 'profiler' works in busy threads (call poll()). Default: observer on the main thread, profiler in workers. */
  mode?: GcMode;
  clock?: Clock;
}

/** perf_hooks gc entry kind → index in GC_KINDS (-1: unknown). */
export function kindOfEntry(kind: number): number {
  switch (kind) {
    case constants.NODE_PERFORMANCE_GC_MINOR: return GC_MINOR;
    case constants.NODE_PERFORMANCE_GC_MAJOR: return GC_MAJOR;
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL: return GC_INCREMENTAL;
    case constants.NODE_PERFORMANCE_GC_WEAKCB: return GC_WEAKCB;
    default: return -1;
  }
}

/** v8.GCProfiler gcType → index in GC_KINDS (-1: unknown). */
export function kindOfProfilerType(gcType: string): number {
  switch (gcType) {
    case 'Scavenge':
    case 'MinorMarkCompact':
    case 'MinorMarkSweep':
      return GC_MINOR;
    case 'MarkSweepCompact': return GC_MAJOR;
    case 'IncrementalMarking': return GC_INCREMENTAL;
    case 'ProcessWeakCallbacks': return GC_WEAKCB;
    default: return -1;
  }
}

export function heapSummary(): HeapSummary {
  const h = v8.getHeapStatistics();
  return {
    usedBytes: h.used_heap_size, totalBytes: h.total_heap_size,
    limitBytes: h.heap_size_limit, externalBytes: h.external_memory,
  };
}

/**
 * Pause histograms (µs) per GC kind for the calling thread. Each kind is a
 * LatencyRecorder, so its owner swaps out interval snapshots like latency.
 */
export class GcMonitor {
  readonly mode: GcMode;
  /** Indexed like GC_KINDS. */
  readonly kinds: LatencyRecorder[];
  private observer: PerformanceObserver | undefined;
  private profiler: v8.GCProfiler | undefined;
  /** GCs of a kind not in GC_KINDS (counted, not histogrammed). */
  unknown = 0;

  constructor(options: GcMonitorOptions = {}) {
    this.mode = options.mode ?? (isMainThread ? 'observer' : 'profiler');
    const clock = options.clock ?? wallClock;
    this.kinds = GC_KINDS.map(() => new LatencyRecorder(clock));
  }

  start(): this {
    if (this.mode === 'observer') {
      if (this.observer) return this;
      this.observer = new PerformanceObserver((list) => this.onEntries(list.getEntries()));
      this.observer.observe({ entryTypes: ['gc'] });
    } else if (!this.profiler) {
      this.profiler = new v8.GCProfiler();
      this.profiler.start();
    }
    return this;
  }

  /**
   * Collect pauses that happened since the last poll. Required in 'profiler'
   * mode (call it at most once per snapshot interval: each call parses a
   * small JSON document); in 'observer' mode it only takes entries still
   * buffered in the observer.
   */
  poll(): void {
    if (this.observer) {
      this.onEntries(this.observer.takeRecords());
      return;
    }
    const old = this.profiler;
    if (!old) return;
    // Start the next profiler before stopping the old one: no GC can fall between them.
    this.profiler = new v8.GCProfiler();
    this.profiler.start();
    const result = old.stop();
    if (!result) return;
    const toMicros = result.version >= 2 ? 1000 : 1;
    for (const s of result.statistics ?? []) this.record(kindOfProfilerType(s.gcType), s.cost * toMicros);
  }

  stop(): void {
    this.poll();
    this.observer?.disconnect();
    this.observer = undefined;
    this.profiler?.stop();
    this.profiler = undefined;
  }

  private onEntries(entries: PerformanceEntry[]): void {
    for (const e of entries) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } | null }).detail?.kind ?? -1;
      this.record(kindOfEntry(kind), e.duration * 1000);
    }
  }

  private record(kind: number, us: number): void {
    if (kind < 0) this.unknown++;
    else this.kinds[kind]!.recordValue(us);
  }
}
