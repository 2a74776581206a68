// Piscina worker entry: one long task per worker, for the whole run.
import { loadUserAggregate } from '../src/state/user-aggregate.js';
import { runWorkerLoop, type WorkerSummary, type WorkerTask } from './worker-loop.js';

export default async function partitionWorker(task: WorkerTask): Promise<WorkerSummary> {
  // Import before the loop starts: once it runs, this thread's event loop is blocked until END.
  const userAggregate = task.aggregateModule ? await loadUserAggregate(task.aggregateModule) : undefined;
  return runWorkerLoop(task, userAggregate);
}
