// Records of aborted transactions, dropped from what a read_committed fetch
// returned. Kafka's answer lists each aborted transaction that overlaps the
// fetched range (its producer id and first offset), in the order of their
// abort markers — not of their first offsets — and a producer's aborted
// range ends at its abort marker (a control record). kafkajs 2.2.4's filter
// takes the list as sorted by first offset and steps into at most one range
// per record, so when two producers' aborted transactions interleave (two
// members of a scaled-out job writing one output topic), the records of one
// of them leak to a read_committed reader. The Java client keeps the list in
// a priority queue by first offset; so does this.

/** An aborted transaction as the fetch response lists it. */
export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

/** What this needs of a fetched record (kafkajs's message shape, or Sabre's RecordView). */
export interface FetchedRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly isControlRecord?: boolean;
  readonly batchContext: { producerId: string; inTransaction: boolean; isControlBatch?: boolean };
}

/** A control record whose key is an abort marker (version 0, type 0). */
function isAbortMarker(m: FetchedRecord): boolean {
  const k = m.key;
  return k !== null && k !== undefined && k.length >= 4 && k[0] === 0 && k[1] === 0 && k[2] === 0 && k[3] === 0;
}

/** `messages` (one partition, in offset order) without the records of `aborted` transactions; control records stay. */
export function withoutAborted<T extends FetchedRecord>(messages: readonly T[], aborted: readonly AbortedTransaction[] | undefined): T[] {
  if (!aborted || aborted.length === 0) return messages as T[];
  const pending = [...aborted].sort((a, b) => (BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : 1));
  const open = new Set<string>();
  let next = 0;
  const out: T[] = [];
  for (const m of messages) {
    const offset = BigInt(m.offset);
    while (next < pending.length && offset >= BigInt(pending[next]!.firstOffset)) open.add(pending[next++]!.producerId);
    const { producerId, inTransaction, isControlBatch } = m.batchContext;
    if ((m.isControlRecord ?? isControlBatch) === true && isAbortMarker(m)) {
      open.delete(producerId);
      out.push(m);
    } else if (!(inTransaction && open.has(producerId))) {
      out.push(m);
    }
  }
  return out;
}
