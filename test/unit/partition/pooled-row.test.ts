import { describe, expect, it } from 'vitest';
import { RowProjector } from '../../../dist/src/codec/row-writer.js';
import { rowLayout } from '../../../dist/src/codec/row-layout.js';
import { normalizeFields, type FieldsDecl } from '../../../dist/src/job/fields.js';
import type { KeySpec } from '../../../dist/src/job/plan.js';
import { PooledRow } from '../../../dist/src/partition/pooled-row.js';
import { WRITE_OK } from '../../../dist/src/partition/partitioned-writer.js';
import { drainAll, rig } from '../../helpers/ring-frames.js';

// Numbers and strings interleaved, so slots and schema order differ; pools with multi-byte UTF-8 and an empty string.
const FIELDS: FieldsDecl = { card: 'string', amount: 'number', status: 'string', at: 'time', merchant: 'string', qty: 'number' };
const POOLS: Record<string, string[]> = {
  card: Array.from({ length: 37 }, (_, i) => (i % 5 === 0 ? `kärtchen-${i}-€😀` : `CARD${i}`)),
  status: ['approved', 'declined', '', 'tëst'],
  merchant: Array.from({ length: 11 }, (_, i) => 'M'.repeat(i)),
};
const T0 = 1_700_000_000_000;

function both(key: KeySpec): void {
  const layout = rowLayout(normalizeFields(FIELDS, 'test'));
  const projector = new RowProjector(layout, 'at', key);
  const strNames = layout.fields.filter((f) => f.type === 'string').map((f) => f.name);
  const keySlot = key.kind === 'fields' ? strNames.indexOf(key.fields[0]!) : -1;
  const pooled = new PooledRow(layout, projector.timeSlot, strNames.map((n) => POOLS[n]!), keySlot);
  const a = rig(4);
  const b = rig(4);
  let x = 12345;
  const next = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  for (let i = 0; i < 500; i++) {
    const ids = strNames.map((n) => next(POOLS[n]!.length));
    const rec: Record<string, unknown> = { amount: next(100_000) / 100, at: T0 + i - next(50), qty: next(1000) };
    strNames.forEach((n, s) => { rec[n] = POOLS[n]![ids[s]!]; });
    expect(projector.extract(rec)).toBe(true);
    expect(a.writer.writeRow(projector, T0 + 2000 + i)).toBe(WRITE_OK);
    ids.forEach((id, s) => { pooled.id[s] = id; });
    layout.fields.forEach((f, j) => { if (layout.numSlot[j]! >= 0) pooled.num[layout.numSlot[j]!] = rec[f.name] as number; });
    pooled.next();
    expect(b.writer.writePooledRow(pooled, T0 + 2000 + i)).toBe(WRITE_OK);
  }
  a.writer.publishAll();
  b.writer.publishAll();
  const fa = drainAll(a.rings);
  const fb = drainAll(b.rings);
  expect(fb).toHaveLength(500);
  expect(fb).toEqual(fa);
  expect(b.writer.maxEventTime).toBe(a.writer.maxEventTime);
}

describe('PartitionedWriter.writePooledRow', () => {
  it('writes frames byte for byte as writeRow does for the same records, keyed by a string field (same hash, partition, body)', () => {
    both({ kind: 'fields', fields: ['card'], where: 'w' });
    both({ kind: 'fields', fields: ['merchant'], where: 'w' });
  });

  it('without a key: the same round-robin hashes and partitions as the projector', () => {
    both({ kind: 'none' });
  });
});
