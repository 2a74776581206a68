// Preloaded by scripts/profile.sh (`node -r`) after clinic's own preloads, in
// the main thread and in every worker thread. clinic's collectors (doctor's
// sampler, bubbleprof's logger, heapprofiler's ipc) are preloads, and Node
// runs preloads in worker threads too: each Sabre worker then opened the main
// thread's data files (they are named after the pid, which a worker shares)
// and truncated or interleaved them — doctor's "Decoded message is not
// valid", bubbleprof's "decoding error with chunk". Workers are created later
// with a copy of the main thread's process.env, so the main thread points
// their collectors at a scratch directory of their own; its own collectors
// already opened their files. The reports are therefore of the main thread
// alone; profile workers with `scripts/profile.sh cpu-prof` / `heap-prof`.
'use strict';
const { isMainThread } = require('node:worker_threads');
const { join } = require('node:path');
const { mkdirSync } = require('node:fs');

if (isMainThread) {
  const scratch = join(process.env.SABRE_PROFILE_OUT || process.cwd(), 'worker-threads-discarded');
  const name = 'worker-threads';
  mkdirSync(scratch, { recursive: true });
  for (const tool of ['DOCTOR', 'BUBBLEPROF']) {
    process.env[`NODE_CLINIC_${tool}_DATA_PATH`] = scratch;
    process.env[`NODE_CLINIC_${tool}_NAME`] = name;
  }
  process.env.HEAP_PROFILER_PATH = scratch;
  process.env.HEAP_PROFILER_NAME = name;
}
