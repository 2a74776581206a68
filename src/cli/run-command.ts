import { availableParallelism } from 'node:os';
import { createEngine, type RunSummary } from '../engine/engine.js';
import { formatWindow } from '../time/window-spec.js';
import { detectUws } from '../metrics/uws-impl.js';
import { resolveOptions, type RawOptions } from '../options.js';
import { SabreError } from '../errors.js';
import { loadJob } from '../engine/load-job.js';
import type { LoadedJob } from '../job/plan.js';
import { jobPipelineText } from '../job/describe.js';
import { jobSourceText, namedSinkTargets } from '../options/job-options.js';
import { sampleSource } from '../engine/sample-source.js';
import { fieldsText } from '../job/infer-fields.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const rate = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));

/**
 * `sabre run`: start, print progress to stderr, stop cleanly on SIGINT/SIGTERM
 * or at the end of input. With --checkpoint-dir, a signal takes a final
 * checkpoint instead of firing open windows, and a worker failure restores
 * from the last checkpoint (--on-worker-error restore, up to --restart-limit).
 */
export async function runCommand(raw: RawOptions): Promise<number> {
  const cores = availableParallelism();
  const workers = resolveOptions(raw).workers;
  if (workers > cores) {
    // Allowed (e.g. to try a layout meant for a larger machine), but a worker is a thread that wants a core of its own.
    process.stderr.write(`[sabre] warning: --workers ${workers} is more than this machine's ${cores} cores; `
      + `workers will take turns on them (the default is cores - 1: ${Math.max(1, cores - 1)})\n`);
  }
  // Loaded once (resolveOptions above refused the options a job defines): a restart runs the same module.
  const job = raw.job !== undefined ? await loadRunJob(raw) : undefined;
  for (let restarts = 0; ; restarts++) {
    try {
      // A member of a scaled-out job (--changelog) restores from the changelog when it is assigned its partitions again.
      return await runOnce(restarts === 0 || resolveOptions(raw).changelog !== undefined ? raw : { ...raw, restore: 'latest' }, job);
    } catch (e) {
      const err = e as SabreError;
      const o = resolveOptions(raw);
      // A result too large for the out-ring is a matter of configuration: after a restore it would fail the same way.
      const tooLarge = (err.cause as SabreError | undefined)?.code === 'ERR_RESULT_TOO_LARGE';
      if (err.code !== 'ERR_WORKER_CRASHED' || tooLarge || !o.checkpointDir || o.onWorkerError !== 'restore') throw e;
      if (restarts >= o.restartLimit) {
        // Same code as the failure itself (callers match on it); the message says restoring was tried and given up.
        throw new SabreError('ERR_WORKER_CRASHED', `${err.message}; giving up after ${restarts} `
          + `restore${restarts === 1 ? '' : 's'} from the last checkpoint (--restart-limit ${o.restartLimit})`, { cause: err });
      }
      process.stderr.write(`[sabre] ${err.code}: ${err.message}; restoring from the last checkpoint (restart ${restarts + 1} of ${o.restartLimit})\n`);
    }
  }
}

/** The job of `raw.job`; a source without fields gets them inferred from the first records of what the run reads, said on stderr. */
async function loadRunJob(raw: RawOptions): Promise<LoadedJob> {
  const o = resolveOptions(raw);
  const given = raw.source === undefined ? undefined : String(raw.source);
  const job = await loadJob(String(raw.job), {
    source: (s) => jobSourceText(s, given),
    sample: (source) => sampleSource(source, { brokers: o.brokers, format: o.format }),
  });
  if (job.inferred) {
    const i = job.inferred;
    process.stderr.write(`[sabre] fields inferred from the first ${i.records} record${i.records === 1 ? '' : 's'} of ${i.from}: ${fieldsText(i.fields)} `
      + '(declare them in the job\'s source to fix them)\n');
  }
  return job;
}

/** What the run does, for its first line: the job module's stages, or the built-in window aggregate. */
function pipelineText(o: ReturnType<typeof resolveOptions>, job: LoadedJob | undefined): string {
  if (!job) return `${o.source} → ${formatWindow(o.window)} [${o.aggregates.join(',')}] → ${o.sink}`;
  return jobPipelineText(job.plan, o.source, o.sink, namedSinkTargets(job.plan, o.sinks ?? ''));
}

async function runOnce(raw: RawOptions, job: LoadedJob | undefined): Promise<number> {
  const engine = createEngine({ ...raw, job });
  const o = engine.options;
  await engine.start();
  const restoredFrom = engine.restoredFrom;
  if (restoredFrom !== undefined) process.stderr.write(`[sabre] restored from checkpoint ${restoredFrom} in ${o.checkpointDir}\n`);
  process.stderr.write(`[sabre] ${pipelineText(o, job)}; `
    + `partitions=${o.partitions} workers=${o.workers} key-groups=${o.keyGroups} ring=${o.ringSize}B\n`);
  for (const src of engine.snapshot().sources) if (src.readsWith) process.stderr.write(`[sabre] ${src.name} reads with ${src.readsWith}\n`);
  if (engine.httpPort !== undefined) {
    const uws = detectUws();
    process.stderr.write(`[sabre] dashboard http://${o.httpHost}:${engine.httpPort}/  metrics /metrics  stats /api/stats; `
      + `uWebSockets.js: ${uws.implementation}${uws.implementation === 'native' ? '' : ` (${uws.detail}; slower)`}\n`);
    if (o.source === 'http') {
      process.stderr.write(`[sabre] push only: POST records to http://${o.httpHost}:${engine.httpPort}/ingest or send them to ws://${o.httpHost}:${engine.httpPort}/ws/ingest; Ctrl-C ends the run\n`);
    }
  }

  let last = engine.snapshot();
  const timer = o.progress > 0 ? setInterval(() => {
    const s = engine.snapshot();
    const dt = (s.elapsedMs - last.elapsedMs) / 1000;
    const paused = s.sources.reduce((a, x) => a + x.pausedSeconds, 0);
    const maxRing = Math.max(0, ...s.ringOccupancy);
    process.stderr.write(`[sabre] ${(s.elapsedMs / 1000).toFixed(1)}s in ${fmt(s.recordsIn)} (${rate((s.recordsIn - last.recordsIn) / dt)}/s) `
      + `out ${fmt(s.results)} late ${fmt(s.late)} dead-letter ${fmt(s.deadLetter)} `
      + `paused ${paused.toFixed(1)}s ring-max ${(maxRing * 100).toFixed(0)}%\n`);
    last = s;
  }, o.progress) : undefined;

  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1 && sig === 'SIGINT') process.exit(130);
    process.stderr.write(`[sabre] ${sig}: ${o.checkpointDir ? 'draining into a final checkpoint' : 'draining'} (press Ctrl-C again to exit at once)\n`);
    engine.stop({ checkpoint: o.checkpointDir !== undefined }).catch(() => {});
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let summary: RunSummary;
  try {
    summary = await engine.done;
  } finally {
    if (timer) clearInterval(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const secs = summary.elapsedMs / 1000;
  process.stderr.write(`[sabre] done in ${secs.toFixed(2)}s: ${fmt(summary.recordsIn)} records (${rate(summary.recordsIn / secs)}/s), `
    + `${fmt(summary.results)} results, ${fmt(summary.late)} late, ${fmt(summary.deadLetter)} dead-letter; `
    + `sources paused ${summary.sources.reduce((a, x) => a + x.pauses, 0)} times `
    + `(${summary.sources.reduce((a, x) => a + x.pausedSeconds, 0).toFixed(2)}s)`
    + (summary.checkpoints ? `; ${summary.checkpoints.completed} checkpoints (last ${summary.checkpoints.lastId}, `
      + `max ${summary.checkpoints.maxDurationMs.toFixed(0)} ms, sources held at most ${summary.checkpoints.maxHoldMs.toFixed(1)} ms, `
      + `longest worker pause ${summary.checkpoints.maxWorkerPauseMs.toFixed(0)} ms)` : '') + '\n');
  return 0;
}
