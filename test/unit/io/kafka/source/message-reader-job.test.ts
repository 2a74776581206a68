// Kafka messages for a job: JSON values and flatbuffers Records go through the
// job's RowProjector, and the job's keyBy (not the message key) is the key.
import { describe, expect, it } from 'vitest';
import { MessageReader } from '../../../../../dist/src/io/kafka/source/message-reader.js';
import { IngestPort, INGEST_OK, INGEST_REJECTED } from '../../../../../dist/src/io/sources/ingest-port.js';
import { RowProjector } from '../../../../../dist/src/codec/row-writer.js';
import { rowLayout } from '../../../../../dist/src/codec/row-layout.js';
import { normalizeFields } from '../../../../../dist/src/job/fields.js';
import { singleRecord } from '../../../../helpers/flat-batch.js';
import { decodeRow, drainAll, rig } from '../../../../helpers/ring-frames.js';

const layout = rowLayout(normalizeFields({ key: { type: 'string', optional: true }, user: 'string', at: 'time', value: 'number' }, 't'));

function reader(format: 'json' | 'flatbuffers') {
  const r = rig(2);
  const dead: string[] = [];
  const port = new IngestPort('kafka', r.writer, { key: 'key', time: 'at', value: 'value', needsValue: false,
    extractor: new RowProjector(layout, 'at', { kind: 'fields', fields: ['user'], where: 'w' }) }, (_raw, fault, _d, where) => dead.push(`${fault}@${where}`));
  const mr = new MessageReader(port, format, { time: 'at', value: 'value' });
  mr.beginBatch('t', 0, 5);
  return { ...r, port, mr, dead };
}

const msg = (value: Uint8Array | string, key: string | null, offset: string) =>
  ({ value: Buffer.from(value), key: key === null ? null : Buffer.from(key), offset }) as never;

describe('MessageReader with a job RowProjector', () => {
  it('JSON values: projected, keyed by the job\'s field whatever the message key; bad fields dead-lettered', () => {
    const { mr, rings, dead, port } = reader('json');
    expect(mr.read(msg(JSON.stringify({ user: 'u1', at: 10, value: 2 }), 'message-key', '0'))).toBe(INGEST_OK);
    expect(mr.read(msg(JSON.stringify({ user: 'u2', at: 11, value: 'x' }), null, '1'))).toBe(INGEST_REJECTED);
    expect(mr.read(msg(JSON.stringify({ user: 'u3', at: 12, value: 3 }), null, '2'))).toBe(INGEST_OK);
    expect(dead).toEqual(['bad-field@kafka:t/0@1']);
    port.publish(); // as the Kafka source does after each fetched batch
    const rows = drainAll(rings).map((f) => decodeRow(f.body, layout)).sort((a, b) => a.key.localeCompare(b.key));
    expect(rows.map((r) => [r.key, r.values])).toEqual([
      ['u1', { key: null, user: 'u1', at: 10, value: 2 }],
      ['u3', { key: null, user: 'u3', at: 12, value: 3 }],
    ]);
  });

  it('flatbuffers values: the Record as { key, at: event_time, value, ...attributes }', () => {
    const { mr, rings, dead, port } = reader('flatbuffers');
    const rec = singleRecord({ key: 'rk', ts: 20, value: 4 });
    // singleRecord has no attributes: the job's key field `user` is missing.
    expect(mr.read(msg(rec, 'mk', '7'))).toBe(INGEST_REJECTED);
    expect(dead).toEqual(['missing-key@kafka:t/0@7']);
    expect(mr.read(msg(singleRecord({ key: 'rk', ts: 21, value: 5, attributes: [{ name: 'user', text: 'ann' }] }), 'mk', '8'))).toBe(INGEST_OK);
    port.publish();
    const frames = drainAll(rings);
    expect(frames.map((f) => [f.time, decodeRow(f.body, layout)])).toEqual([
      // strBytes: 'rk' only; the key field's bytes are the key's (row-layout.ts).
      [21, { key: 'ann', values: { key: 'rk', user: 'ann', at: 21, value: 5 }, strBytes: 2 }],
    ]);
  });
});
