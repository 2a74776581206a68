import { describe, expect, it } from 'vitest';
import { withoutAborted, type FetchedRecord } from '../../../../../dist/src/io/kafka/source/aborted-records.js';

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
const rec = (offset: number, producerId: string, inTransaction = true): FetchedRecord =>
  ({ offset: String(offset), key: Buffer.from('k'), isControlRecord: false, batchContext: { producerId, inTransaction, isControlBatch: false } });
const marker = (offset: number, producerId: string, key: Buffer): FetchedRecord =>
  ({ offset: String(offset), key, isControlRecord: true, batchContext: { producerId, inTransaction: true, isControlBatch: true } });

describe('withoutAborted (read_committed: records of aborted transactions are dropped)', () => {
  it('two producers whose aborted transactions interleave, listed in abort-marker order: no record of either leaks', () => {
    // The layout a scaled-out job left in an output partition: A commits, B and C abort (C's marker first).
    const log = [
      rec(10, 'A'), rec(11, 'B'), rec(12, 'B'), rec(13, 'C'), rec(14, 'B'), rec(15, 'C'),
      marker(16, 'A', COMMIT), marker(17, 'C', ABORT), marker(18, 'B', ABORT),
      rec(19, 'B'), rec(20, 'C'), marker(21, 'B', COMMIT), marker(22, 'C', COMMIT),
    ];
    // As the broker lists them: by abort marker (C at 17, then B at 18), not by first offset (B 11, C 13).
    const aborted = [{ producerId: 'C', firstOffset: '13' }, { producerId: 'B', firstOffset: '11' }];
    const kept = withoutAborted(log, aborted).filter((m) => !m.isControlRecord).map((m) => `${m.offset}${m.batchContext.producerId}`);
    expect(kept).toEqual(['10A', '19B', '20C']);
  });

  it('nothing aborted: every record stays; a producer\'s records after its abort marker are kept again', () => {
    const log = [rec(0, 'A'), rec(1, 'A'), marker(2, 'A', ABORT), rec(3, 'A'), rec(4, 'X', false)];
    expect(withoutAborted(log, [])).toEqual(log);
    expect(withoutAborted(log, [{ producerId: 'A', firstOffset: '0' }]).map((m) => m.offset)).toEqual(['2', '3', '4']);
  });
});
