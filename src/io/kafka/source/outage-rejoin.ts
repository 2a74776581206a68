import { errorText } from '../kafka-client.js';

/** Wait before running again a consumer kafkajs gave up on because no broker answered. */
export const REJOIN_AFTER_OUTAGE_MS = 1000;

/**
 * A crash that only says no broker answered while the group coordinator was
 * looked up: a KafkaJSGroupCoordinatorNotFound, or (as the consumer's runner
 * reports it) a KafkaJSNonRetriableError made from one, which keeps only its
 * message. The cause chain is walked as kafkajs's own crash handler walks it.
 */
export function isUnreachableCoordinator(e: unknown): boolean {
  for (let c = e as (Error & { cause?: unknown }) | undefined; c; c = c.cause as typeof c) {
    if (c.name === 'KafkaJSGroupCoordinatorNotFound' || c.message === COORDINATOR_NOT_FOUND) return true;
  }
  return false;
}

/** kafkajs's message for it (src/cluster/index.js, findGroupCoordinatorMetadata). */
const COORDINATOR_NOT_FOUND = 'Failed to find group coordinator';

/**
 * kafkajs gives up on a consumer whose group coordinator it cannot reach
 * (KafkaJSGroupCoordinatorNotFound is "non-retriable", so it does not restart
 * it) although that only means the broker is away, e.g. restarting: run the
 * group again, as kafkajs does after a retriable crash. Offsets are where they
 * were: the new generation resumes at the committed ones, and the source skips
 * what it had accepted already.
 */
export function rejoinAfterOutage(name: string, e: unknown, stopping: () => boolean, run: () => Promise<void>,
  fatal: (e: unknown) => void): void {
  if (stopping()) return;
  process.stderr.write(`[sabre kafka] WARN ${name}: ${errorText(e)} (broker unreachable); rejoining the group in ${REJOIN_AFTER_OUTAGE_MS} ms\n`);
  setTimeout(() => {
    if (!stopping()) run().catch(fatal);
  }, REJOIN_AFTER_OUTAGE_MS).unref();
}
