// Latency stages and GC kinds, declared once: ids are positions in these
// lists, and the worker→main snapshot encoding uses the ids.

/**
 * - queue:   ingest (main thread wrote the frame) → dequeued by the worker
 * - process: dequeued → aggregate updated
 * - emit:    watermark passed the window end → result reached the sink
 * - early:   ingest → result, for early firings
 * - output:  ingest → a job's output (--job) reached its sink: end to end, from
 *            the newest record behind the output (OUTPUT frames' F_INGEST)
 */
export const STAGES = ['queue', 'process', 'emit', 'early', 'output'] as const;
export type Stage = (typeof STAGES)[number];
export const STAGE_QUEUE = 0;
export const STAGE_PROCESS = 1;
export const STAGE_EMIT = 2;
export const STAGE_EARLY = 3;
export const STAGE_OUTPUT = 4;

/** GC kinds as perf_hooks names them (NODE_PERFORMANCE_GC_MINOR / MAJOR / INCREMENTAL / WEAKCB). */
export const GC_KINDS = ['minor', 'major', 'incremental', 'weakcb'] as const;
export type GcKind = (typeof GC_KINDS)[number];
export const GC_MINOR = 0;
export const GC_MAJOR = 1;
export const GC_INCREMENTAL = 2;
export const GC_WEAKCB = 3;

/** The percentiles every summary reports (as fractions; 1 is the maximum). */
export const QUANTILES = [0.5, 0.9, 0.99, 0.999, 1] as const;

export function isStage(s: string): s is Stage {
  return (STAGES as readonly string[]).includes(s);
}
