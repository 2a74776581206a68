// Worker side of the postMessage baseline. One worker owns one shard of the
// keys, so its window state lives at module level across tasks. Loaded either
// by Piscina (the default export is the task handler) or as a plain
// worker_threads Worker (then it listens on parentPort itself).
import { parentPort, workerData } from 'node:worker_threads';
import type { Trade } from './trade-source.js';
import { TumblingWindowJob, type WindowResult } from './tumbling-job.js';

export type Transport = 'piscina' | 'worker_threads';

export interface ShardConfig {
  windowMs: number;
  outOfOrderness: number;
  transport: Transport;
}

export type ShardTask = { kind: 'ping' } | { kind: 'batch'; records: Trade[] } | { kind: 'end' };

export interface ShardReply {
  /** Windows fired while handling this task; they travel back to the main thread's sink. */
  fired: WindowResult[];
  /** This shard's late records so far. */
  late: number;
}

const config = workerData as ShardConfig;
let fired: WindowResult[] = [];
// The watermark is this worker's own (maxTs of the records it was sent minus
// the bound): per-partition watermarks with one partition per worker.
const job = new TumblingWindowJob(config.windowMs, config.outOfOrderness, (r) => {
  fired.push(r);
});

export default function handle(task: ShardTask): ShardReply {
  if (task.kind === 'batch') {
    for (const r of task.records) job.process(r);
  } else if (task.kind === 'end') {
    job.end();
  }
  const reply: ShardReply = { fired, late: job.late };
  fired = [];
  return reply;
}

if (config.transport === 'worker_threads') {
  const port = parentPort!;
  // MessagePort delivery is FIFO and handle() is synchronous, so batches are
  // processed in the order the main thread sent them.
  port.on('message', (task: ShardTask) => port.postMessage(handle(task)));
}
