import { errorText, type Consumer } from '../kafka-client.js';
import type { KafkaPosition, OffsetTracker } from './offset-tracker.js';

/** Default interval between offset commits (a checkpoint feature may drive commit() itself instead). */
export const COMMIT_INTERVAL_MS = 1000;

/**
 * Sends a Kafka source's accepted offsets to its group (auto-commit is off).
 * Commits carry accepted positions only (OffsetTracker): the source calls
 * commit() every COMMIT_INTERVAL_MS, when a heartbeat inside a batch finds a
 * rebalance, and on stop, and beforeRejoin() when the group starts
 * rebalancing; with checkpoints, only the positions a complete checkpoint
 * recorded are committed. Only what the client confirms is marked
 * committed (the COMMIT_OFFSETS event): kafkajs silently skips commits while
 * its runner is not running.
 */
export class OffsetCommitter {
  private inFlight: Promise<void> | undefined;
  private failures = 0;

  constructor(private readonly consumer: Pick<Consumer, 'commitOffsets'>, private readonly offsets: OffsetTracker,
    private readonly name: string) {}

  /**
   * Commit the accepted positions not committed yet, or `positions` (e.g. the
   * ones a checkpoint recorded, once it is complete), after any commit in
   * flight. Rejects if Kafka refused (the periodic commit just tries again).
   */
  async commit(positions?: KafkaPosition[]): Promise<void> {
    while (this.inFlight) await this.inFlight.catch(() => {});
    await this.send(positions ?? this.offsets.uncommitted());
  }

  /**
   * The group started rebalancing (kafkajs emits REBALANCING and calls
   * joinAndSync in the same turn, and offers no hook to wait in): send the
   * accepted positions now, in this turn, not after a commit in flight. The
   * request then reaches the coordinator ahead of our JoinGroup (that one
   * waits for a FindCoordinator round trip first), so it lands while our
   * generation is valid and before any new owner of a revoked partition
   * reads the committed offset. It covers what an in-flight commit carries
   * (positions only grow), and both go over the coordinator connection, in order.
   */
  beforeRejoin(): void {
    void this.send(this.offsets.uncommitted()).catch(() => {});
  }

  private async send(list: KafkaPosition[]): Promise<void> {
    if (list.length === 0) return;
    const p = this.consumer.commitOffsets(list).then(
      () => { this.failures = 0; },
      (e: unknown) => {
        if (this.failures++ % 10 === 0) process.stderr.write(`[sabre kafka] WARN ${this.name}: commit failed (${errorText(e)}); retrying\n`);
        throw e;
      },
    );
    this.inFlight = p;
    try {
      await p;
    } finally {
      if (this.inFlight === p) this.inFlight = undefined;
    }
  }
}
