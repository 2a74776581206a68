// A job module's chain (--job): one PipelineOperator running the plan's
// worker stages and writing OUTPUT frames into the worker's out-ring.
import { PipelineOperator } from '../src/operators/pipeline/pipeline-operator.js';
import type { JobPlan } from '../src/job/plan.js';
import type { WorkerTask } from '../src/engine/worker-contract.js';
import { OperatorChain } from './operator-chain.js';
import type { OutWriter } from './out-writer.js';

export function pipelineChain(task: WorkerTask, plan: JobPlan, out: OutWriter): OperatorChain {
  return new OperatorChain([new PipelineOperator(plan, {
    partitions: task.partitions, outOfOrderness: task.outOfOrderness, allowedLateness: task.allowedLateness,
    watermarkFromRecords: task.watermarkFromRecords, earlyFire: task.earlyFire > 0,
    onUserError: task.job?.onUserError ?? 'fail', tables: task.job?.tables, tableDir: task.job?.dir, checkpointDir: task.checkpointDir,
    layout: { keyGroups: task.keyGroups, partitions: task.totalPartitions, worker: task.worker, ownPartitions: task.partitions },
  }, out)]);
}

/** Process functions (timers) and lookup tables (reloads) need the processing-time tick even without --early-fire. */
export function needsTicks(plan: JobPlan): boolean {
  return plan.branches.some((b) => b.keyed?.kind === 'process' || [...b.before, ...b.after].some((s) => s.op === 'lookup'));
}
