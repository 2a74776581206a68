/** A topic-partition and the next offset to read there (Kafka's commit convention). */
export interface KafkaPosition {
  topic: string;
  partition: number;
  /** Next offset, as a decimal string (Kafka offsets are int64). */
  offset: string;
}

interface Entry {
  topic: string;
  partition: number;
  /** Next offset not yet accepted: every offset below it is in a ring or dead-lettered. */
  next: bigint;
  /** Next offset as last committed by us (-1 = never). */
  committed: bigint;
}

/**
 * What the Kafka source has accepted per topic-partition, and what of it is
 * committed. Invariant: committed ≤ next, both only grow while the partition
 * stays assigned to us. Updated once per batch (and before every await
 * inside one), never per record.
 */
export class OffsetTracker {
  private readonly entries = new Map<string, Entry>();

  private entry(topic: string, partition: number): Entry | undefined {
    return this.entries.get(`${topic}\u0000${partition}`);
  }

  /** Offsets up to and including `lastOffset` are accepted. */
  accept(topic: string, partition: number, lastOffset: string): void {
    const next = BigInt(lastOffset) + 1n;
    const e = this.entry(topic, partition);
    if (e) {
      if (next > e.next) e.next = next;
    } else {
      this.entries.set(`${topic}\u0000${partition}`, { topic, partition, next, committed: -1n });
    }
  }

  /** The next offset not accepted yet, if we have accepted anything of this partition. */
  next(topic: string, partition: number): bigint | undefined {
    return this.entry(topic, partition)?.next;
  }

  /**
   * After a rebalance: forget partitions no longer ours (another member may
   * read them now; what we know of them would be stale if they came back).
   */
  retain(assignment: Record<string, number[]>): void {
    for (const [k, e] of this.entries) {
      if (!assignment[e.topic]?.includes(e.partition)) this.entries.delete(k);
    }
  }

  /** A rewind (--changelog): everything accepted was undone; positions are set anew from the restored state. */
  clear(): void {
    this.entries.clear();
  }

  positions(): KafkaPosition[] {
    return [...this.entries.values()]
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
      .map((e) => ({ topic: e.topic, partition: e.partition, offset: e.next.toString() }));
  }

  /** Positions accepted since the last commit. */
  uncommitted(): KafkaPosition[] {
    return this.positions().filter((p) => BigInt(p.offset) > this.entry(p.topic, p.partition)!.committed);
  }

  /** Kafka confirmed these commits (from the client's commit event). */
  markCommitted(topics: { topic: string; partitions: { partition: number | string; offset: unknown }[] }[]): void {
    for (const t of topics) {
      for (const p of t.partitions) {
        const e = this.entry(t.topic, Number(p.partition));
        const off = BigInt(String(p.offset)); // a string, or kafkajs's Long
        if (e && off > e.committed) e.committed = off;
      }
    }
  }
}
