import { errorText } from '../kafka-client.js';

/** Wait before running again a consumer kafkajs gave up on because no broker answered. */
export const REJOIN_AFTER_OUTAGE_MS = 1000;

/** A crash that only says no broker answered while the group coordinator was looked up. */
export function isUnreachableCoordinator(e: unknown): boolean {
  return (e as Error | undefined)?.name === 'KafkaJSGroupCoordinatorNotFound';
}

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
