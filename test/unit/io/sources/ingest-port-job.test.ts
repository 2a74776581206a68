// The push ingest door (POST /ingest, WS /ws/ingest bodies) for a job: NDJSON
// lines and flatbuffers Records go through the job's RowProjector (a Record
// as { key, <time>: event_time, value, ...attributes }), never the byte scanner.
import { describe, expect, it } from 'vitest';
import { IngestPort, INGEST_OK } from '../../../../dist/src/io/sources/ingest-port.js';
import { IngestBatch } from '../../../../dist/src/server/ingest/ingest-batch.js';
import { FlatReader } from '../../../../dist/src/codec/flat/flat-reader.js';
import { FlatInput } from '../../../../dist/src/codec/flat/flat-input.js';
import { RowProjector } from '../../../../dist/src/codec/row-writer.js';
import { rowLayout } from '../../../../dist/src/codec/row-layout.js';
import { normalizeFields, type FieldsDecl } from '../../../../dist/src/job/fields.js';
import type { KeySpec } from '../../../../dist/src/job/plan.js';
import { recordBatch } from '../../../helpers/flat-batch.js';
import { decodeRecord, decodeRow, drainAll, rig } from '../../../helpers/ring-frames.js';

interface DeadLetter { raw: string; fault: string; detail: string; where: string }

function portFor(decl: FieldsDecl, time: string, key: KeySpec) {
  const r = rig(3);
  const layout = rowLayout(normalizeFields(decl, 'test'));
  const dead: DeadLetter[] = [];
  const port = new IngestPort('http', r.writer, { key: 'key', time, value: 'value', needsValue: false, extractor: new RowProjector(layout, time, key) },
    (raw, fault, detail, where) => dead.push({ raw, fault, detail, where }));
  return { ...r, layout, dead, port };
}

const readers = () => ({ fast: new FlatReader(), flat: new FlatInput() });
const T0 = 1_700_000_000_000;

describe('IngestPort with a RowProjector', () => {
  it('NDJSON: every line is parsed and projected (even ones the scanner could read); bad ones are listed and dead-lettered', () => {
    const { port, rings, layout, dead } = portFor({ user: 'string', ms: 'number', ok: 'boolean', ts: 'time' }, 'ts', { kind: 'fields', fields: ['user'], where: 'w' });
    const body = [
      JSON.stringify({ key: 'k', ts: T0, value: 1, user: 'ann', ms: 12, ok: true }),
      JSON.stringify({ key: 'k', ts: T0 + 1, value: 1, user: 'bob', ms: 'slow', ok: true }),
      '',
      JSON.stringify({ user: 'cy', ms: 7.5, ok: false, ts: '2023-11-14T22:13:20Z' }),
      JSON.stringify({ ms: 1, ok: false, ts: T0 }),
    ].join('\n');
    const batch = IngestBatch.of('ndjson', Buffer.from(body), 'http');
    expect(batch.advance(port, readers())).toBe(INGEST_OK);
    port.publish();
    expect(batch.summary()).toEqual({
      accepted: 2, rejected: 2, errors: [
        { line: 2, reason: 'bad-field', detail: 'field "ms" must be a finite number, got the string "slow"' },
        { line: 5, reason: 'missing-key', detail: 'field "user" is missing or null' },
      ],
    });
    expect(dead.map((d) => [d.fault, d.where])).toEqual([['bad-field', 'http:2'], ['missing-key', 'http:5']]);
    expect(port.records).toBe(2);
    expect(port.rejected).toBe(2);
    const rows = drainAll(rings).map((f) => ({ time: f.time, ...decodeRow(f.body, layout) }));
    rows.sort((a, b) => a.key.localeCompare(b.key));
    expect(rows.map((r) => [r.key, r.time, r.values])).toEqual([
      ['ann', T0, { user: 'ann', ms: 12, ok: true, ts: T0 }],
      ['cy', Date.UTC(2023, 10, 14, 22, 13, 20), { user: 'cy', ms: 7.5, ok: false, ts: Date.UTC(2023, 10, 14, 22, 13, 20) }],
    ]);
  });

  it('a JSON body (one object) goes through the projector too', () => {
    const { port, rings, layout } = portFor({ user: 'string', ts: 'time' }, 'ts', { kind: 'none' });
    const batch = IngestBatch.of('json', Buffer.from(JSON.stringify({ user: 'dee', ts: T0 })), 'http');
    expect(batch.advance(port, readers())).toBe(INGEST_OK);
    port.publish();
    const frames = drainAll(rings);
    expect(frames.map((f) => decodeRow(f.body, layout))).toEqual([{ key: '', values: { user: 'dee', ts: T0 }, strBytes: 3 }]);
  });

  it('flatbuffers: each Record becomes { key, <time field>: event_time, value, ...attributes } and is projected', () => {
    const { port, rings, layout, dead } = portFor(
      { key: 'string', at: 'time', value: 'number', city: 'string', n: 'number', note: { type: 'string', optional: true } },
      'at', { kind: 'fields', fields: ['city'], where: 'w' });
    const body = recordBatch([
      { key: 'a', ts: T0, value: 1.5, attributes: [{ name: 'city', text: 'Zürich' }, { name: 'n', number: 4 }, { name: 'note', text: 'hi' }] },
      { key: 'b', ts: T0 + 5, value: 0, attributes: [{ name: 'city', text: 'Oslo' }, { name: 'n', number: -2.25 }] },
      { key: 'c', ts: T0 + 6, value: 3, attributes: [{ name: 'n', number: 1 }] }, // no city: its key field
      { key: 'd', ts: T0 + 7, value: 3, attributes: [{ name: 'city', text: 'Rome' }] }, // no n
      { key: 'e', value: 3, attributes: [{ name: 'city', text: 'Rome' }, { name: 'n', number: 1 }] }, // no event_time
    ]);
    const batch = IngestBatch.of('flatbuffers', body, 'ws');
    expect(batch.advance(port, readers())).toBe(INGEST_OK);
    port.publish();
    expect(batch.summary().accepted).toBe(2);
    expect(batch.summary().errors.map((e) => [e.index, e.reason])).toEqual([[2, 'missing-key'], [3, 'bad-field'], [4, 'bad-time']]);
    expect(dead.map((d) => d.where)).toEqual(['ws[2]', 'ws[3]', 'ws[4]']);
    const rows = drainAll(rings).map((f) => decodeRow(f.body, layout));
    rows.sort((x, y) => x.key.localeCompare(y.key));
    expect(rows).toEqual([
      // strBytes leaves out the key field (city): its bytes are the key's (row-layout.ts).
      { key: 'Oslo', values: { key: 'b', at: T0 + 5, value: 0, city: 'Oslo', n: -2.25, note: null }, strBytes: 1 },
      { key: 'Zürich', values: { key: 'a', at: T0, value: 1.5, city: 'Zürich', n: 4, note: 'hi' }, strBytes: 1 + 2 },
    ]);
  });

  it('flatbuffers Records refused for full rings are dead-lettered as the object the job would have read', () => {
    const { port, dead } = portFor({ key: 'string', at: 'time', city: 'string' }, 'at', { kind: 'fields', fields: ['city'], where: 'w' });
    const batch = IngestBatch.of('flatbuffers', recordBatch([{ key: 'a', ts: T0, value: 1, attributes: [{ name: 'city', text: 'Bern' }] }]), 'ws');
    expect(batch.refuseRest(port, readers(), 'rings full')).toBe(1);
    expect(dead).toEqual([{ raw: JSON.stringify({ key: 'a', at: T0, value: 1, city: 'Bern' }), fault: 'refused-full', detail: 'rings full', where: 'ws[0]' }]);
  });

  it('without an extractor the port is the built-in one: scanner fast path, flatbuffers Records as record frames', () => {
    const r = rig(2);
    const port = new IngestPort('http', r.writer, { key: 'key', time: 'ts', value: 'value', needsValue: true }, () => {});
    expect(port.scannable).toBe(true);
    const batch = IngestBatch.of('flatbuffers', recordBatch([{ key: 'k1', ts: T0, value: 2 }]), 'ws');
    expect(batch.advance(port, readers())).toBe(INGEST_OK);
    port.publish();
    expect(drainAll(r.rings).map((f) => decodeRecord(f.body))).toEqual([{ key: 'k1', time: T0, value: 2 }]);
  });
});
