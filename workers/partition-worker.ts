// Piscina worker entry: one long task per worker, for the whole run.
import { loadUserAggregate } from '../src/state/user-aggregate.js';
import { SabreError } from '../src/errors.js';
import type { WorkerSummary, WorkerTask } from '../src/engine/worker-contract.js';
import { planOf, type JobPlan } from '../src/job/plan.js';
import type { FieldsDecl } from '../src/job/fields.js';
import { runWorkerLoop } from './worker-loop.js';

export default async function partitionWorker(task: WorkerTask): Promise<WorkerSummary> {
  // A job's functions run here: their stack traces name the job's .ts file and line (its copy carries an inline source map).
  if (task.job) process.setSourceMapsEnabled(true);
  // Import before the loop starts: once it runs, this thread's event loop is blocked until END.
  const userAggregate = task.aggregateModule ? await loadUserAggregate(task.aggregateModule) : undefined;
  try {
    const plan = task.job ? await jobPlan(task.job.module, task.job.fields) : undefined;
    return runWorkerLoop(task, userAggregate, plan);
  } catch (e) {
    // The error reaches the main thread structured-cloned, which keeps message and cause but drops
    // own properties such as `code`: carry the stable code in the cause (the engine reads it back).
    if (e instanceof SabreError) throw new Error(e.message, { cause: { code: e.code } });
    throw e;
  }
}

/** The job module's plan, as the main thread read it from the same module (src/job/load-job.ts gave the URL). */
async function jobPlan(url: string, inferred: FieldsDecl | undefined): Promise<JobPlan> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new SabreError('ERR_INVALID_JOB', `--job ${url}: a worker cannot import it: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
  return planOf(mod, url, inferred);
}
