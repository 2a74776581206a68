import { setFlagsFromString } from 'node:v8';
import { Piscina } from 'piscina';
import type { WorkerSummary, WorkerTask } from './worker-contract.js';

const WORKER_FILE = new URL('../../workers/partition-worker.js', import.meta.url).href;

export interface PoolOptions {
  workers: number;
  /**
   * Extra Node/V8 flags per worker. Node 20 refuses most V8 heap flags here
   * (ERR_WORKER_INVALID_EXEC_ARGV); young-generation size per worker is set
   * through resourceLimits instead, and process-wide V8 flags reach workers anyway.
   */
  execArgv?: string[];
  /**
   * Young generation per worker, MB (Piscina's resourceLimits.maxYoungGenerationSizeMb).
   * V8 makes it 3 × the semi-space and rounds the semi-space up to a power of
   * two of at least 1 MB (3 → 1 MB, 48 → 16 MB, 192 → 64 MB). Undefined: the
   * workers' V8 default, or the process's --max-semi-space-size when node runs with it.
   */
  youngGenerationMb?: number;
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
    if (options.youngGenerationMb !== undefined) {
      // A process-wide --max-semi-space-size (node's command line, NODE_OPTIONS) wins over a Worker's
      // resourceLimits in V8's heap set-up, so the per-worker value would be ignored silently. Clearing
      // the flag (0 = unset, V8's default) before any worker isolate exists hands the young generation
      // to resourceLimits; the main thread's heap is configured already and keeps the flag's value.
      // Process-wide and permanent: Worker threads created later without limits get V8's default.
      setFlagsFromString('--max-semi-space-size=0');
    }
    this.piscina = new Piscina({
      filename: WORKER_FILE,
      minThreads: options.workers,
      maxThreads: options.workers,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      // undefined inherits the process's flags, so `node --cpu-prof` profiles every worker too.
      execArgv: options.execArgv,
      ...(options.youngGenerationMb !== undefined ? { resourceLimits: { maxYoungGenerationSizeMb: options.youngGenerationMb } } : {}),
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
