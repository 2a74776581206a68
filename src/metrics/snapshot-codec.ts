// Interval snapshots travel from a worker to the main thread as one
// transferable ArrayBuffer of doubles: a fixed header, then one block per
// non-empty histogram holding only its non-zero buckets as (index, count)
// pairs. A worker with four busy stages ships a few KB a second; transfer
// moves the buffer without copying it.
import type { IntervalCounts } from './latency-recorder.js';
import type { HeapSummary } from './stats-snapshot.js';

export const METRICS_MESSAGE = 'sabre-metrics';
export const FORMAT_VERSION = 1;

/** What a worker posts (to its parentPort or a MessagePort the engine gave it). */
export interface MetricsMessage {
  type: typeof METRICS_MESSAGE;
  buf: ArrayBuffer;
}

// Header slots.
const H_VERSION = 0;
const H_WORKER = 1;
const H_START_MS = 2;
const H_END_MS = 3;
const H_HEAP_USED = 4;
const H_HEAP_TOTAL = 5;
const H_HEAP_LIMIT = 6;
const H_HEAP_EXTERNAL = 7;
const H_GC_UNKNOWN = 8;
const H_BLOCKS = 9;
const HEADER = 10;

// Block slots (relative to the block start), then 2 × pairs.
const B_ID = 0;
const B_TOTAL = 1;
const B_SUM = 2;
const B_MIN = 3;
const B_MAX = 4;
const B_PAIRS = 5;
const BLOCK_HEADER = 6;

/** Block ids: a stage id (0…), or GC_BLOCK_BASE + a GC kind id. */
export const GC_BLOCK_BASE = 16;

export interface SnapshotHeader {
  worker: number;
  startMs: number;
  endMs: number;
  heap: HeapSummary;
  gcUnknown: number;
}

export interface DecodedBlock {
  id: number;
  total: number;
  sum: number;
  min: number;
  max: number;
  /** Pairs (counts index, count) live in f64[at], f64[at+1] … for `pairs` pairs. */
  f64: Float64Array;
  at: number;
  pairs: number;
}

export interface DecodedSnapshot extends SnapshotHeader {
  blocks: DecodedBlock[];
}

function nonZero(iv: IntervalCounts): number {
  let n = 0;
  const c = iv.counts;
  for (let i = iv.lo; i <= iv.hi; i++) if (c[i]! > 0) n++;
  return n;
}

/**
 * Encode the interval snapshots of the stages (block id = index) and GC kinds
 * (block id = GC_BLOCK_BASE + index). Empty intervals are left out.
 */
export function encodeSnapshot(h: SnapshotHeader, stages: readonly IntervalCounts[], gc: readonly IntervalCounts[]): ArrayBuffer {
  const all = [...stages, ...gc];
  const pairs = all.map((iv) => (iv.total > 0 ? nonZero(iv) : -1));
  let len = HEADER;
  for (const p of pairs) if (p >= 0) len += BLOCK_HEADER + 2 * p;
  const f = new Float64Array(len);
  f[H_VERSION] = FORMAT_VERSION;
  f[H_WORKER] = h.worker;
  f[H_START_MS] = h.startMs;
  f[H_END_MS] = h.endMs;
  f[H_HEAP_USED] = h.heap.usedBytes;
  f[H_HEAP_TOTAL] = h.heap.totalBytes;
  f[H_HEAP_LIMIT] = h.heap.limitBytes;
  f[H_HEAP_EXTERNAL] = h.heap.externalBytes;
  f[H_GC_UNKNOWN] = h.gcUnknown;
  let at = HEADER;
  let blocks = 0;
  for (let b = 0; b < all.length; b++) {
    if (pairs[b]! < 0) continue;
    const iv = all[b]!;
    f[at + B_ID] = b < stages.length ? b : GC_BLOCK_BASE + (b - stages.length);
    f[at + B_TOTAL] = iv.total;
    f[at + B_SUM] = iv.sum;
    f[at + B_MIN] = iv.min;
    f[at + B_MAX] = iv.max;
    f[at + B_PAIRS] = pairs[b]!;
    let w = at + BLOCK_HEADER;
    const c = iv.counts;
    for (let i = iv.lo; i <= iv.hi; i++) {
      if (c[i]! > 0) {
        f[w++] = i;
        f[w++] = c[i]!;
      }
    }
    at = w;
    blocks++;
  }
  f[H_BLOCKS] = blocks;
  return f.buffer;
}

export function isMetricsMessage(m: unknown): m is MetricsMessage {
  return typeof m === 'object' && m !== null && (m as MetricsMessage).type === METRICS_MESSAGE
    && (m as MetricsMessage).buf instanceof ArrayBuffer;
}

/** Decode a snapshot; undefined when the buffer is not one (wrong version or truncated). */
export function decodeSnapshot(buf: ArrayBuffer): DecodedSnapshot | undefined {
  if (buf.byteLength < HEADER * 8 || buf.byteLength % 8 !== 0) return undefined;
  const f = new Float64Array(buf);
  if (f[H_VERSION] !== FORMAT_VERSION) return undefined;
  const blocks: DecodedBlock[] = [];
  let at = HEADER;
  const n = f[H_BLOCKS]!;
  for (let b = 0; b < n; b++) {
    if (at + BLOCK_HEADER > f.length) return undefined;
    const pairs = f[at + B_PAIRS]!;
    if (at + BLOCK_HEADER + 2 * pairs > f.length) return undefined;
    blocks.push({
      id: f[at + B_ID]!, total: f[at + B_TOTAL]!, sum: f[at + B_SUM]!, min: f[at + B_MIN]!, max: f[at + B_MAX]!,
      f64: f, at: at + BLOCK_HEADER, pairs,
    });
    at += BLOCK_HEADER + 2 * pairs;
  }
  return {
    worker: f[H_WORKER]!, startMs: f[H_START_MS]!, endMs: f[H_END_MS]!, gcUnknown: f[H_GC_UNKNOWN]!,
    heap: {
      usedBytes: f[H_HEAP_USED]!, totalBytes: f[H_HEAP_TOTAL]!,
      limitBytes: f[H_HEAP_LIMIT]!, externalBytes: f[H_HEAP_EXTERNAL]!,
    },
    blocks,
  };
}
