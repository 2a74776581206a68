import { setTimeout as delay } from 'node:timers/promises';
import { SabreError } from '../../../errors.js';
import { KAFKA_DEFAULTS, type Consumer } from '../kafka-client.js';

/**
 * With checkpoints: how long the group may keep another member before the job
 * fails with ERR_KAFKA_GROUP_SHARED. Two session timeouts: a member that was
 * SIGKILLed (a crashed run being restarted) is evicted within one, so only a
 * live second process is still there after them.
 */
export const SHARED_GROUP_GRACE_MS = 2 * KAFKA_DEFAULTS.sessionTimeout;

/**
 * A checkpointed job keeps the state of every partition it read in this
 * process's checkpoints, and state does not move between processes yet
 * without --changelog (DESIGN.md §7, docs/SCALING.md): a second live member of the group would take partitions
 * whose windows stay here. So the group must have one member:
 * - a join that takes away a partition this run has read fails the run at
 *   once (tookPartitions, from the source's GROUP_JOIN handler), before any
 *   checkpoint records the split; a restart restores the last checkpoint,
 *   whose state and offsets agree;
 * - another member seen after a join (a newcomer's view of a running job)
 *   is given SHARED_GROUP_GRACE_MS to vanish — a killed run's member times
 *   out — and one still there fails the run (check).
 * A partial assignment at start (a killed member still holds partitions) is
 * fine: those partitions arrive later and are sought to the checkpoint.
 */
export class SoleMember {
  /** Kafka partitions this run has accepted records from (not those a restore only positioned). */
  readonly readHere = new Set<number>();

  constructor(private readonly consumer: Pick<Consumer, 'describeGroup'>, private readonly source: string,
    private readonly topic: string, private readonly group: string,
    private readonly stopping: () => boolean, private readonly fail: (e: SabreError) => void) {}

  /** True (and the run failed) when `assignment` lacks a partition this run has read. */
  tookPartitions(assignment: Record<string, number[]>): boolean {
    const lost = [...this.readHere].filter((tp) => !assignment[this.topic]?.includes(Number(tp)));
    if (lost.length === 0) return false;
    // Keep the positions: a checkpoint still running records state and offsets that agree.
    this.fail(sharedGroupError(this.source, `another member of consumer group "${this.group}" took partition(s) ${lost.join(', ')}, whose windows are in this process`));
    return true;
  }

  /** After a join: fail the run if another member is still in the group after SHARED_GROUP_GRACE_MS. */
  async check(): Promise<void> {
    const others = await this.otherMembers();
    if (others === 0) return;
    await delay(SHARED_GROUP_GRACE_MS, undefined, { ref: false });
    if (this.stopping()) return;
    const still = await this.otherMembers();
    if (still > 0) this.fail(sharedGroupError(this.source, `consumer group "${this.group}" has ${still} other member(s) after ${SHARED_GROUP_GRACE_MS / 1000} s`));
  }

  /** Members of the group other than this one (0 when the broker cannot tell right now: a later join checks again). */
  private async otherMembers(): Promise<number> {
    try {
      const d = await this.consumer.describeGroup();
      return Math.max(0, d.members.length - 1);
    } catch {
      return 0;
    }
  }
}

export function sharedGroupError(source: string, what: string): SabreError {
  return new SabreError('ERR_KAFKA_GROUP_SHARED', `${source}: ${what}; with `
    + '--checkpoint-dir alone a job must be its group\'s only member (one process per --group). To scale out over several '
    + 'processes, keep the state in Kafka with --changelog auto (docs/SCALING.md), or run without checkpoints to share '
    + 'partitions at-least-once. A restart restores the last checkpoint, whose state and offsets agree');
}
