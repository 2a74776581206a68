import { existsSync, readdirSync } from 'node:fs';
import type { ResolvedOptions } from '../options.js';
import { CheckpointAbandoned, Checkpointer } from '../checkpoint/checkpointer.js';
import { findRestorePoint, jobFingerprint, listCheckpoints, type RestorePoint } from '../checkpoint/manifest.js';
import type { Counters } from '../metrics/counters.js';
import type { PartitionedWriter } from '../partition/partitioned-writer.js';
import type { Source } from '../io/sources/source.js';
import type { Doorbell } from '../ring/doorbell.js';
import type { OutDrain } from './out-drain.js';
import type { SinkSet } from './sink-wiring.js';

export interface Recovery {
  /** The checkpoint to restore, if any. */
  restored: RestorePoint | undefined;
  /** Id of this run's first checkpoint (the epoch its first results belong to). */
  nextId: number;
}

/**
 * Checkpoints: find what to restore before anything else is opened (a corrupt
 * dir fails here, cleanly). `committed`: the last checkpoint a transactional
 * sink committed (`committingSink`, for messages); none newer is restored.
 */
export function findRecovery(o: ResolvedOptions, committed: number | undefined, committingSink = o.sink): Recovery {
  // --changelog: nothing is restored at start; each assignment restores its partitions from the changelog (the source's GroupMember).
  const restored = o.changelog !== undefined ? undefined : findRestorePoint(o, committed);
  const restoredId = restored?.manifest.id ?? 0;
  for (const why of restored?.skipped ?? []) process.stderr.write(`[sabre] skipped a corrupt checkpoint: ${why}\n`);
  if (committed !== undefined && o.changelog === undefined) reportUncommitted(o.checkpointDir!, committingSink, committed, restoredId);
  // Ids only grow, past every checkpoint directory and the sink's last commit, so no id is ever reused.
  const nextId = o.checkpointDir
    ? Math.max(restoredId, committed ?? 0, ...listCheckpoints(o.checkpointDir), ...chkDirIds(o.checkpointDir)) + 1 : 1;
  return { restored, nextId };
}

export interface CheckpointWiring {
  o: ResolvedOptions;
  nextId: number;
  counters: Counters;
  writer: PartitionedWriter;
  sources: Source[];
  drain: OutDrain;
  sinks: SinkSet;
  bell: Doorbell;
  fail: (e: unknown) => void;
}

/**
 * The checkpointer, hooked up: the out-drain hands it the workers' barrier
 * acks, the sinks flush and commit with it (./sink-wiring.ts), and sources
 * that commit upstream (Kafka offsets) do so only for records of a complete
 * checkpoint (unless the transactional sink committed them already,
 * atomically with the results).
 */
export function createCheckpointer(x: CheckpointWiring): Checkpointer {
  const o = x.o;
  const cp = new Checkpointer({
    dir: o.checkpointDir!, retained: o.checkpointsRetained, job: jobFingerprint(o), keyGroups: o.keyGroups,
    partitions: o.partitions, workers: o.workers, nextId: x.nextId, counters: x.counters, perPartition: o.changelog !== undefined,
  }, x.writer, () => x.sources);
  x.drain.onBarrierAck = (w, id, bytes) => cp.onAck(w, id, bytes);
  x.sinks.wireCheckpoints(cp, x.fail, x.bell);
  const committing = x.sinks.committing;
  cp.onComplete.push(async (m) => {
    for (const src of x.sources) {
      const at = m.sources.find((s) => s.name === src.name);
      if (at && src.commitCheckpoint && src.name !== committing?.commitsPositionsOf) await src.commitCheckpoint(at.position);
    }
  });
  return cp;
}

/** Every `interval` ms while the run goes on, a checkpoint (skipped while one is under way). */
export function startCheckpointTimer(cp: Checkpointer, interval: number, running: () => boolean): NodeJS.Timeout {
  const timer = setInterval(() => {
    if (cp.busy || cp.suspended || !running()) return;
    cp.trigger().catch((e: unknown) => {
      if (running() && !(e instanceof CheckpointAbandoned)) process.stderr.write(`[sabre] checkpoint failed: ${(e as Error).message}\n`);
    });
  }, interval);
  timer.unref();
  return timer;
}

/**
 * With a transactional sink: say which complete checkpoints were passed over
 * because their transaction never committed (a crash between the manifest and
 * the commit), and warn when the sink committed more than the restored state
 * covers (its newest checkpoint is corrupt or missing, or an older one was
 * restored by path): those results will be committed a second time.
 */
function reportUncommitted(dir: string, sink: string, committed: number, restored: number): void {
  const newer = listCheckpoints(dir).filter((id) => id > committed).sort((a, b) => a - b);
  if (newer.length > 0) {
    process.stderr.write(`[sabre] checkpoint ${newer.join(', ')} not restored: its results never committed to ${sink} (transaction aborted)\n`);
  }
  if (committed > restored) {
    process.stderr.write(`[sabre] WARN ${sink} committed the results of checkpoint ${committed}, newer than the state restored `
      + `(${restored > 0 ? `checkpoint ${restored}` : 'none'}): results after that will be committed again\n`);
  }
}

/** Ids of every checkpoint directory, complete or not, so new checkpoints never reuse one. */
function chkDirIds(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => /^chk-(\d+)$/.exec(f)).filter((m) => m !== null).map((m) => Number(m![1]));
}
