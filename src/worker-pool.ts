import { Piscina } from 'piscina';
import type { WorkerSummary, WorkerTask } from '../workers/worker-loop.js';

const WORKER_FILE = new URL('../workers/partition-worker.js', import.meta.url).href;

export interface PoolOptions {
  workers: number;
  /**
   * Extra Node/V8 flags per worker. Node 20 refuses most V8 heap flags here
   * (ERR_WORKER_INVALID_EXEC_ARGV); young-generation size per worker is set
   * through resourceLimits instead, and process-wide V8 flags reach workers anyway.
   */
  execArgv?: string[];
}

/**
 * Piscina, configured for W long-lived tasks instead of many short ones:
 * - minThreads = maxThreads = W: all threads exist before the tasks start and
 *   none is ever added or removed mid-run;
 * - idleTimeout = Infinity: an idle thread is never recycled (between runs of
 *   a reused pool, or while a worker waits on Atomics);
 * - concurrentTasksPerWorker = 1: each task gets a thread to itself, so W
 *   tasks land on W distinct threads;
 * - atomics 'disabled': Piscina delivers tasks by message instead of parking
 *   its idle threads in its own Atomics.wait; our task blocks the thread's
 *   event loop for the whole run anyway, so it must not rely on it.
 * workerCreate/workerDestroy are counted so tests can prove no thread was
 * recycled or replaced during a run.
 */
export class WorkerPool {
  readonly piscina: Piscina;
  created = 0;
  destroyed = 0;

  constructor(readonly options: PoolOptions) {
    this.piscina = new Piscina({
      filename: WORKER_FILE,
      minThreads: options.workers,
      maxThreads: options.workers,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      // undefined inherits the process's flags, so `node --cpu-prof` profiles every worker too.
      execArgv: options.execArgv,
    });
    this.piscina.on('workerCreate', () => { this.created++; });
    this.piscina.on('workerDestroy', () => { this.destroyed++; });
  }

  run(task: WorkerTask): Promise<WorkerSummary> {
    return this.piscina.run(task) as Promise<WorkerSummary>;
  }

  get threadCount(): number {
    return this.piscina.threads.length;
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
