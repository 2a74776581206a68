import type { Manifest } from '../../checkpoint/manifest.js';
import type { LineSink } from './line-sink.js';
import type { EpochSink } from './epoch-sink.js';
import type { MemberStats } from '../../metrics/stats-snapshot.js';

/**
 * A sink that commits its output downstream together with checkpoints (the
 * transactional Kafka sink), so what it committed — not the newest manifest —
 * decides where a restart resumes. The engine's side of the contract:
 *
 * 1. open the sink before choosing the checkpoint to restore (opening fences
 *    the process it replaces), and restore none newer than `committedCheckpoint`;
 * 2. `begin(epoch)` with the first epoch of the run (the next checkpoint id);
 * 3. `commitCheckpoint(m)` once checkpoint m is complete (manifest written),
 *    before older checkpoints are pruned and before the next one starts;
 *    `abandon(id)` when checkpoint id failed after its barriers went out.
 */
export interface CommittingSink extends EpochSink {
  /** The newest checkpoint whose results are committed downstream (0: none). */
  readonly committedCheckpoint: number;
  /** The source (by name) whose checkpointed positions the sink commits with its results, if any. */
  readonly commitsPositionsOf: string | undefined;
  begin(epoch: number): void;
  accepts(epoch: number): boolean;
  commitCheckpoint(m: Manifest): Promise<void>;
  abandon(id: number): void;
  /** Scale-out (--changelog): a rebalance began; nothing open may commit any more, and results of epochs below `dropBelow` are dropped. */
  fence?(dropBelow?: number): void;
  /** Scale-out: drop everything not committed (abort the open transaction) and every result of an epoch below `dropBelow`. */
  abort?(dropBelow: number): Promise<void>;
  /** Scale-out, after abort() and the engine's rewind: collect `epoch` from now on. */
  resume?(epoch: number): void;
  /** Scale-out: asked right before each commit (Source.stillMember); false: this checkpoint does not commit, the next one may. */
  commitGuard?: () => Promise<boolean>;
  /** Scale-out: its transactions and the changelog written in them, for the stats' member section. */
  memberStats?(): Pick<MemberStats, 'changelog' | 'transactions'>;
}

export function isCommittingSink(s: LineSink): s is CommittingSink {
  return typeof (s as Partial<CommittingSink>).commitCheckpoint === 'function';
}
