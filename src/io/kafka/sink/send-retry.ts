import { setTimeout as delay } from 'node:timers/promises';
import { errorText, isTransient, type Message, type Sender } from '../kafka-client.js';

export interface RetryPolicy {
  backoffMs: number;
  maxBackoffMs: number;
}

export const SEND_RETRY: RetryPolicy = { backoffMs: 100, maxBackoffMs: 2000 };

/**
 * producer.send (or a transaction's send) until Kafka acknowledges: transient failures (the broker is
 * down or restarting, connections refused or reset, timeouts) are retried
 * with doubling backoff for as long as it takes — the idempotent producer
 * makes a retry of a send that did land a no-op. Any other error is thrown.
 * `onRetry` is told about each failed attempt (for counters and logs).
 */
export async function sendUntilAcked(producer: Sender, topic: string, messages: Message[],
  onRetry: (attempt: number, error: unknown) => void, policy: RetryPolicy = SEND_RETRY): Promise<void> {
  let backoff = policy.backoffMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await producer.send({ topic, messages, acks: -1 });
      return;
    } catch (e) {
      if (!isTransient(e)) throw e;
      onRetry(attempt, e);
      await delay(backoff);
      backoff = Math.min(backoff * 2, policy.maxBackoffMs);
    }
  }
}

/** A stderr line for the first failure and every 10th after it. */
export function logRetry(what: string, attempt: number, error: unknown, messages: number): void {
  if (attempt % 10 === 1) process.stderr.write(`[sabre kafka] WARN ${what}: send failed (${errorText(error)}); retrying ${messages} messages (attempt ${attempt})\n`);
}
