import type { StartFrom } from '../../../options.js';
import type { Admin } from '../kafka-client.js';
import type { KafkaPosition } from './offset-tracker.js';

/**
 * Where --start-from starts each partition of `topic` that `group` has no
 * committed offset for, decided once, when the source starts (before it
 * joins the group): latest = the partition's end then, timestamp:T = its
 * first offset whose timestamp is >= T (its end if there is none). Empty for
 * committed and earliest: the consumer's own reset (fromBeginning) starts
 * those at the beginning. Partitions with a committed offset are left out,
 * so the group's commits always win.
 */
export async function startPositions(admin: Admin, group: string, topic: string, from: StartFrom): Promise<KafkaPosition[]> {
  if (from.kind === 'committed' || from.kind === 'earliest') return [];
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const uncommitted = new Set((committed?.partitions ?? []).filter((p) => BigInt(p.offset) < 0n).map((p) => p.partition));
  const offsets = from.kind === 'timestamp'
    ? await admin.fetchTopicOffsetsByTimestamp(topic, from.at)
    : (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.high }));
  return offsets.filter((p) => uncommitted.has(p.partition)).map((p) => ({ topic, partition: p.partition, offset: p.offset }));
}
