import { describe, expect, it } from 'vitest';
import { RowProjector } from '../../../dist/src/codec/row-writer.js';
import { ROW_KEY, rowLayout, rowBodyBytes, rowStrRefsAt } from '../../../dist/src/codec/row-layout.js';
import { KIND_RECORD, FRAME_HEADER_BYTES } from '../../../dist/src/codec/frame.js';
import { normalizeFields, type FieldsDecl } from '../../../dist/src/job/fields.js';
import type { KeySpec } from '../../../dist/src/job/plan.js';
import { WRITE_BAD_TIME, WRITE_FUTURE_TIME, WRITE_OK, WRITE_TOO_LARGE } from '../../../dist/src/partition/partitioned-writer.js';
import { P_RECORDS_IN, PARTITION_STRIDE } from '../../../dist/src/metrics/counters.js';
import { decodeRecord, decodeRow, drainAll, rig } from '../../helpers/ring-frames.js';

const FIELDS: FieldsDecl = {
  card: 'string', amount: 'number', approved: 'boolean', at: 'time',
  merchant: { type: 'string', path: 'shop.id' }, note: { type: 'string', optional: true }, score: { type: 'number', optional: true },
};

function projector(key: KeySpec = { kind: 'fields', fields: ['card'], where: 'w' }): RowProjector {
  return new RowProjector(rowLayout(normalizeFields(FIELDS, 'test')), 'at', key);
}

const T0 = 1_700_000_000_000;

function rec(i: number): Record<string, unknown> {
  return {
    card: i % 3 === 0 ? `CARD${i}` : `kärtchen-${i}-€😀`, amount: i * 1.25, approved: i % 2 === 0, at: T0 + i,
    shop: { id: `M${i % 7}` }, note: i % 4 === 0 ? null : 'ünïcode ✓'.repeat(i % 3), score: i % 5 === 0 ? undefined : i / 3,
  };
}

describe('PartitionedWriter.writeRow', () => {
  it('writes one record frame per row; decoding gives back every field, the key, times, and the key\'s writeRecord partition', () => {
    const rows = rig(4);
    const recs = rig(4);
    const p = projector();
    const expected = new Map<string, { partition: number; r: Record<string, unknown> }>();
    for (let i = 0; i < 60; i++) {
      const r = rec(i);
      expect(p.extract(r)).toBe(true);
      expect(rows.writer.writeRow(p, T0 + 1000 + i)).toBe(WRITE_OK);
      // The built-in job's frame for the same key: the partition must agree.
      expect(recs.writer.writeRecord(p.key, T0 + i, 0, T0 + 1000 + i)).toBe(WRITE_OK);
      expected.set(p.key, { partition: -1, r });
    }
    rows.writer.publishAll();
    recs.writer.publishAll();
    for (const f of drainAll(recs.rings)) expected.get(decodeRecord(f.body).key)!.partition = f.partition;
    const frames = drainAll(rows.rings);
    expect(frames).toHaveLength(60);
    const layout = p.layout;
    for (const f of frames) {
      const row = decodeRow(f.body, layout);
      const want = expected.get(row.key)!;
      expect(want, row.key).toBeDefined();
      const r = want.r;
      expect(f.kind).toBe(KIND_RECORD);
      expect(f.partition).toBe(want.partition);
      expect(f.time).toBe(r.at);
      expect(f.ingest).toBe((r.at as number) + 1000);
      expect(row.values).toEqual({
        card: r.card, amount: r.amount, approved: r.approved, at: r.at, merchant: (r.shop as { id: string }).id,
        note: r.note ?? null, score: r.score ?? null,
      });
      // The key field (card) is not repeated in the string area: its ref points at the key bytes (row-layout.ts).
      const strBytes = Buffer.byteLength((r.shop as { id: string }).id) + (r.note ? Buffer.byteLength(r.note as string) : 0);
      expect(row.strBytes).toBe(strBytes);
      expect(f.body.length).toBe(rowBodyBytes(layout, Buffer.byteLength(row.key), strBytes));
    }
    // Every partition saw its share, and the counters and clocks say so.
    for (let q = 0; q < 4; q++) {
      expect(rows.counters.f64[q * PARTITION_STRIDE + P_RECORDS_IN]).toBe(frames.filter((f) => f.partition === q).length);
    }
    expect(rows.writer.maxEventTime).toBe(T0 + 59);
    expect(Math.max(...rows.writer.lastWrite)).toBe(T0 + 1059);
  });

  it('a string field that is the whole key is not written twice: its ref is the key bytes; other keys leave every field in the string area', () => {
    const cases: [KeySpec, boolean][] = [
      [{ kind: 'fields', fields: ['card'], where: 'w' }, true],
      [{ kind: 'fields', fields: ['card', 'merchant'], where: 'w' }, false],
      [{ kind: 'fields', fields: ['amount'], where: 'w' }, false],
      [{ kind: 'fn', fn: (r: { card: string }) => r.card, where: 'w' }, false],
    ];
    for (const [key, shared] of cases) {
      const { writer, rings } = rig(1);
      const p = projector(key);
      const r = rec(5);
      expect(p.extract(r)).toBe(true);
      expect(writer.writeRow(p, T0)).toBe(WRITE_OK);
      writer.publishAll();
      const [f] = drainAll(rings);
      const row = decodeRow(f!.body, p.layout);
      expect(row.values.card).toBe(r.card);
      expect(row.values.merchant).toBe('M5');
      const keyLen = Buffer.byteLength(row.key);
      const cardRef = new DataView(f!.body.buffer, f!.body.byteOffset).getInt32(rowStrRefsAt(p.layout, keyLen) + p.layout.strSlot[0]! * 8, true);
      const cardBytes = Buffer.byteLength(r.card as string);
      expect(cardRef === ROW_KEY, JSON.stringify(key)).toBe(shared);
      expect(row.strBytes).toBe(2 + Buffer.byteLength(r.note as string) + (shared ? 0 : cardBytes));
    }
  });

  it('frame hashes are the key\'s murmur2, as writeRecord\'s', () => {
    const rows = rig(2);
    const recs = rig(2);
    const p = projector();
    p.extract(rec(3));
    rows.writer.writeRow(p, T0);
    recs.writer.writeRecord(p.key, T0, 0, T0);
    rows.writer.publishAll();
    recs.writer.publishAll();
    expect(drainAll(rows.rings)[0]!.hash).toBe(drainAll(recs.rings)[0]!.hash);
  });

  it('without a key: an empty key and partitions in turn', () => {
    const { writer, rings } = rig(3);
    const p = projector({ kind: 'none' });
    for (let i = 0; i < 9; i++) {
      p.extract(rec(i));
      expect(writer.writeRow(p, T0)).toBe(WRITE_OK);
    }
    writer.publishAll();
    const frames = drainAll(rings);
    expect(frames.map((f) => f.partition).sort()).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    for (const f of frames) expect(decodeRow(f.body, p.layout).key).toBe('');
  });

  it('refuses times out of range and too far ahead (as writeRecord), with rejection() naming them', () => {
    const { writer, rings } = rig(2, { maxFutureSkew: 1000 });
    const p = projector();
    p.extract({ ...rec(1), at: 1e18 });
    expect(writer.writeRow(p, T0)).toBe(WRITE_BAD_TIME);
    expect(writer.rejection(WRITE_BAD_TIME)!.fault).toBe('bad-time');
    p.extract({ ...rec(1), at: T0 + 5000 });
    expect(writer.writeRow(p, T0)).toBe(WRITE_FUTURE_TIME);
    expect(writer.rejection(WRITE_FUTURE_TIME)!.fault).toBe('future-time');
    writer.publishAll();
    expect(drainAll(rings)).toHaveLength(0);
  });

  it('a row larger than a ring frame is WRITE_TOO_LARGE; a full ring returns its partition and takes the row once drained', () => {
    const { writer, rings } = rig(1, { capacity: 1024 });
    const p = projector();
    p.extract({ ...rec(1), note: 'x'.repeat(300) });
    expect(writer.writeRow(p, T0)).toBe(WRITE_TOO_LARGE);
    p.extract(rec(2));
    const size = FRAME_HEADER_BYTES + rowBodyBytes(p.layout, Buffer.byteLength(p.key), Buffer.byteLength(rec(2).card as string) + 2 + Buffer.byteLength('ünïcode ✓'.repeat(2)));
    let written = 0;
    let r: number;
    while ((r = writer.writeRow(p, T0)) === WRITE_OK) written++;
    expect(r).toBe(0);
    expect(written).toBe(Math.floor(1024 / ((size + 7) & ~7)));
    writer.publishAll();
    expect(drainAll(rings)).toHaveLength(written);
    expect(writer.writeRow(p, T0)).toBe(WRITE_OK);
  });

  it('publishes per batch: frames become visible once maxBatch are pending, the rest at publishAll()', () => {
    const { writer, rings } = rig(1, { maxBatch: 4 });
    const p = projector();
    for (let i = 0; i < 6; i++) {
      p.extract(rec(i));
      writer.writeRow(p, T0);
    }
    expect(drainAll(rings)).toHaveLength(4);
    writer.publishAll();
    expect(drainAll(rings)).toHaveLength(2);
  });

  it('while held, reports the row\'s partition as full and writes nothing', () => {
    const { writer, rings } = rig(2);
    const p = projector();
    p.extract(rec(3));
    writer.hold();
    const r = writer.writeRow(p, T0);
    expect(r).toBeGreaterThanOrEqual(0);
    writer.release();
    expect(writer.writeRow(p, T0)).toBe(WRITE_OK);
    writer.publishAll();
    const frames = drainAll(rings);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.partition).toBe(r);
  });
});
