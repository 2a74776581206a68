// Child process of the `tuning` scenario: one engine run with the given ring
// size and batch. The semi-space is this process's own V8 flag, set on its
// command line by the parent: V8 flags are process-wide, so the workers get
// it too (measured: `--max-semi-space-size=1` caps a worker's new space at
// 2 MB). `workerExecArgv: ['--max-semi-space-size=N']` is refused by Node 20
// (ERR_WORKER_INVALID_EXEC_ARGV): a per-worker value needs Piscina's
// resourceLimits.maxYoungGenerationSizeMb, which EngineOptions does not
// expose yet. Prints one JSON line.
import { parseArgs } from 'node:util';
import { CORE_JOB, lean, runEngine } from './engine-run.js';

const names = ['semi', 'ring-size', 'max-batch', 'partitions', 'workers', 'count', 'rate', 'seconds'];
const { values: v } = parseArgs({ options: Object.fromEntries(names.map((k) => [k, { type: 'string' as const }])) });
const r = await runEngine({
  ...CORE_JOB, ringSize: v['ring-size'] ?? '1MiB', maxBatch: Number(v['max-batch'] ?? 256),
  partitions: Number(v.partitions ?? 4), workers: Number(v.workers ?? 1),
  ...(v.rate ? { rate: Number(v.rate), duration: `${Math.round(Number(v.seconds ?? 5) * 1000)}ms` } : { count: Number(v.count ?? 3_000_000) }),
});
process.stdout.write(JSON.stringify(lean(r)) + '\n');
