// A consumer's last moment before it re-joins its group in a rebalance, made
// awaitable. kafkajs 2.2.4 has no partitions-revoked callback: its runner
// emits REBALANCING and re-joins at once, so a member could not commit what
// it did with its partitions before they are handed out again. The group
// coordinator, though, hands nothing out before every member re-joined (or
// was dropped after its session or rebalance timeout): so kafkajs's
// ConsumerGroup.joinAndSync is wrapped to await the hooks registered for its
// group and member first, heartbeating meanwhile so the member stays in the
// group, within a time budget well under both timeouts.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const CONSUMER_GROUP = 'kafkajs/src/consumer/consumerGroup.js';

/** What a hook gets told: how long it may take (the member re-joins then, done or not). */
export type RejoinHook = (budgetMs: number) => Promise<void>;

interface Registered {
  memberId: () => string | null;
  hook: RejoinHook;
}

interface KafkaJsConsumerGroup {
  groupId: string;
  memberId: string | null;
  joinAndSync(): Promise<void>;
  heartbeat(o: { interval: number }): Promise<void>;
}

/**
 * How long a re-join may wait for its hooks: half of kafkajs's rebalance
 * timeout (KAFKA_DEFAULTS.rebalanceTimeout, 20 s), after which the
 * coordinator would drop a member that has not re-joined.
 */
export const REJOIN_BUDGET_MS = 10_000;
/** Heartbeats while waiting, as often as the consumer's own (KAFKA_DEFAULTS.heartbeatInterval): well inside the 6 s session timeout. */
const HEARTBEAT_MS = 1000;

const hooks = new Map<string, Set<Registered>>();
let installed = false;

/** Wrap kafkajs's ConsumerGroup.joinAndSync (its prototype: consumers made before or after alike). Idempotent. */
export function installRejoinHooks(): void {
  if (installed) return;
  installed = true;
  const ConsumerGroup = require(CONSUMER_GROUP) as { prototype: KafkaJsConsumerGroup };
  const proto = ConsumerGroup.prototype;
  const joinAndSync = proto.joinAndSync;
  proto.joinAndSync = async function wrapped(this: KafkaJsConsumerGroup): Promise<void> {
    // A first join, or one after the coordinator dropped us (kafkajs clears memberId): nothing of ours to commit.
    if (this.memberId !== null) await runHooks(this);
    return joinAndSync.call(this);
  };
}

/** Run before `group`'s member re-joins (its member id: the one its last join gave it). Returns the unregister function. */
export function onRejoin(groupId: string, memberId: () => string | null, hook: RejoinHook): () => void {
  let set = hooks.get(groupId);
  if (!set) hooks.set(groupId, (set = new Set()));
  const r = { memberId, hook };
  set.add(r);
  return () => {
    set.delete(r);
    if (set.size === 0) hooks.delete(groupId);
  };
}

async function runHooks(group: KafkaJsConsumerGroup): Promise<void> {
  const mine = [...(hooks.get(group.groupId) ?? [])].filter((r) => r.memberId() === group.memberId);
  if (mine.length === 0) return;
  let done = false;
  const work = Promise.allSettled(mine.map((r) => r.hook(REJOIN_BUDGET_MS))).then(() => { done = true; });
  const deadline = Date.now() + REJOIN_BUDGET_MS;
  while (!done && Date.now() < deadline) {
    // Heartbeats answer REBALANCE_IN_PROGRESS now, but keep our session: the coordinator waits for our re-join.
    await group.heartbeat({ interval: 0 }).catch(() => {});
    await Promise.race([work, new Promise((r) => setTimeout(r, Math.min(HEARTBEAT_MS, Math.max(0, deadline - Date.now()))))]);
  }
}
