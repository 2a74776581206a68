import type { ReplayBound, ReplayRange } from '../../../options.js';
import type { Admin } from '../kafka-client.js';

/** What a replay reads of one partition: offsets [from, to). */
export interface PartitionRange {
  readonly partition: number;
  readonly from: number;
  readonly to: number;
}

/**
 * --replay's FROM..TO as offsets per partition of `topic`, decided once when
 * the run starts: earliest = the partition's first offset, latest = its end
 * then, a time = its first offset whose message timestamp is >= it (its end
 * if none), offset:N = N clamped to the partition's [first, end]. A TO below
 * FROM reads nothing. Ascending by partition.
 */
export async function replayOffsets(admin: Admin, topic: string, range: ReplayRange): Promise<PartitionRange[]> {
  const ends = await admin.fetchTopicOffsets(topic);
  const low = new Map(ends.map((p) => [p.partition, Number(p.low)]));
  const high = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  const at = async (b: ReplayBound): Promise<Map<number, number>> => {
    if (b.kind === 'timestamp') {
      return new Map((await admin.fetchTopicOffsetsByTimestamp(topic, b.at)).map((p) => [p.partition, Number(p.offset)]));
    }
    const n = b.kind === 'offset' ? Number(b.offset) : undefined;
    return new Map(ends.map((p) => [p.partition, n ?? (b.kind === 'earliest' ? low : high).get(p.partition)!]));
  };
  const from = await at(range.from);
  const to = await at(range.to);
  return ends.map((e) => e.partition).sort((a, b) => a - b).map((partition) => {
    const lo = low.get(partition)!;
    const hi = high.get(partition)!;
    const clamp = (n: number | undefined): number => (n === undefined || n < 0 || n > hi ? hi : n < lo ? lo : n);
    const f = clamp(from.get(partition));
    return { partition, from: f, to: Math.max(f, clamp(to.get(partition))) };
  });
}
