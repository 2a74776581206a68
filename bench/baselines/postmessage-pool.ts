// Baseline: worker threads fed with postMessage batches (structured clone of
// arrays of record objects), which is what a Node user does without shared
// memory. The main thread generates records, routes each key to one fixed
// worker by a string hash, and sends a batch when it holds `batch` records.
// Each worker keeps its keys' window state across tasks and returns the
// windows it fired; the main thread counts (or collects) them.
//
// Key affinity is the catch with Piscina: its balancer picks the least busy
// worker, and a task cannot name a worker. So the Piscina transport uses one
// single-thread pool per shard (minThreads = maxThreads = 1, no idle timeout),
// with concurrentTasksPerWorker = inFlight so queued batches are posted to the
// worker at once instead of waiting for the busy main thread to hand them
// over one by one. The worker_threads transport is the same with plain
// Workers and an ack per batch. Both bound memory with `inFlight` batches per
// worker: the generator waits for the oldest batch when a worker is behind.
//
// Run: node dist/bench/baselines/postmessage-pool.js --workers 2 [--batch 1024 --transport worker_threads ...]
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { BASELINE_DEFAULTS, parseBaselineArgs, throughput, type BaselineOptions, type BaselineResult } from './baseline-options.js';
import type { ShardConfig, ShardReply, ShardTask, Transport } from './postmessage-worker.js';
import { TradeSource, type Trade } from './trade-source.js';
import type { WindowResult } from './tumbling-job.js';

export type { BaselineResult } from './baseline-options.js';
export type { Transport } from './postmessage-worker.js';

export interface PostMessagePoolOptions extends BaselineOptions {
  workers: number;
  /** Records per postMessage (default 1024). */
  batch?: number;
  /** Batches queued or running per worker before the generator waits (default 4). */
  inFlight?: number;
  transport?: Transport;
}

const WORKER_URL = new URL('./postmessage-worker.js', import.meta.url);

/** FNV-1a over UTF-16 code units: the hash a user writes to shard string keys. */
export function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

interface Shard {
  /** Resolves with the reply; the caller bounds how many are outstanding. */
  run(task: ShardTask): Promise<ShardReply>;
  close(): Promise<void>;
}

class PiscinaShard implements Shard {
  private readonly pool: Piscina;

  constructor(config: ShardConfig, inFlight: number) {
    this.pool = new Piscina({
      filename: WORKER_URL.href,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: inFlight,
      workerData: config,
    });
  }

  run(task: ShardTask): Promise<ShardReply> {
    return this.pool.run(task) as Promise<ShardReply>;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

class WorkerThreadShard implements Shard {
  private readonly worker: Worker;
  /** Replies come back in send order, so the oldest waiter gets the next one. */
  private readonly waiting: Array<{ resolve: (r: ShardReply) => void; reject: (e: Error) => void }> = [];

  constructor(config: ShardConfig) {
    this.worker = new Worker(WORKER_URL, { workerData: config });
    this.worker.on('message', (reply: ShardReply) => this.waiting.shift()!.resolve(reply));
    this.worker.on('error', (err) => {
      for (const w of this.waiting.splice(0)) w.reject(err);
    });
  }

  run(task: ShardTask): Promise<ShardReply> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(task);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

export async function runPostMessagePool(opts: PostMessagePoolOptions): Promise<BaselineResult> {
  const W = opts.workers;
  const batchSize = opts.batch ?? 1024;
  const inFlight = opts.inFlight ?? 4;
  const transport = opts.transport ?? 'piscina';
  if (!Number.isInteger(W) || W < 1) throw new Error(`workers must be a positive integer, got ${W}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(inFlight) || inFlight < 1) throw new Error(`inFlight must be a positive integer, got ${inFlight}`);
  if (transport !== 'piscina' && transport !== 'worker_threads') throw new Error(`transport must be piscina or worker_threads, got ${transport}`);

  const config: ShardConfig = { windowMs: opts.windowMs, outOfOrderness: opts.outOfOrderness, transport };
  const shards: Shard[] = Array.from({ length: W }, () => (transport === 'piscina' ? new PiscinaShard(config, inFlight) : new WorkerThreadShard(config)));
  const pending: Array<Array<Promise<void>>> = shards.map(() => []);
  const late = new Array<number>(W).fill(0);
  const results: WindowResult[] = [];
  let windowsFired = 0;
  const onReply = (w: number, reply: ShardReply): void => {
    windowsFired += reply.fired.length;
    if (opts.collect) for (const r of reply.fired) results.push(r);
    late[w] = reply.late;
  };
  const send = (w: number, task: ShardTask): Promise<void> | undefined => {
    const queue = pending[w]!;
    queue.push(shards[w]!.run(task).then((reply) => onReply(w, reply)));
    return queue.length >= inFlight ? queue.shift() : undefined;
  };

  try {
    // Thread start-up is not part of the measurement.
    await Promise.all(shards.map((s) => s.run({ kind: 'ping' })));
    const source = new TradeSource(opts);
    const batches: Trade[][] = shards.map(() => []);
    const t0 = performance.now();
    for (let i = 0; i < opts.count; i++) {
      const t = source.next(i);
      const w = shardOf(t.key, W);
      const b = batches[w]!;
      b.push(t);
      if (b.length === batchSize) {
        batches[w] = [];
        const wait = send(w, { kind: 'batch', records: b });
        if (wait !== undefined) await wait;
      }
    }
    for (let w = 0; w < W; w++) {
      if (batches[w]!.length > 0) await send(w, { kind: 'batch', records: batches[w]! });
      await send(w, { kind: 'end' });
    }
    await Promise.all(pending.flat());
    const seconds = (performance.now() - t0) / 1000;
    return {
      records: opts.count,
      seconds,
      recordsPerSec: throughput(opts.count, seconds),
      windowsFired,
      late: late.reduce((a, b) => a + b, 0),
      ...(opts.collect ? { results } : {}),
    };
  } finally {
    // On failure, let the other shards' outstanding batches settle before the
    // threads go, so nothing rejects unobserved.
    await Promise.allSettled(pending.flat());
    await Promise.all(shards.map((s) => s.close()));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = parseBaselineArgs(process.argv.slice(2), { workers: 'number', batch: 'number', inFlight: 'number', transport: 'string' });
  const opts = { ...BASELINE_DEFAULTS, workers: 2, ...args } as PostMessagePoolOptions;
  const { results: _unused, ...summary } = await runPostMessagePool(opts);
  console.log(JSON.stringify({ baseline: 'postmessage-pool', ...opts, ...summary }));
}
