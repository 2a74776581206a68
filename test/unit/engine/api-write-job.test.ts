// engine.write()/tryWrite() for a job: records are projected to its fields;
// a bad field throws ERR_BAD_RECORD (reason bad-field) and is dead-lettered.
import { describe, expect, it } from 'vitest';
import { ApiWriter } from '../../../dist/src/engine/api-write.js';
import { RowProjector } from '../../../dist/src/codec/row-writer.js';
import { rowLayout } from '../../../dist/src/codec/row-layout.js';
import { normalizeFields } from '../../../dist/src/job/fields.js';
import { decodeRow, drainAll, rig } from '../../helpers/ring-frames.js';

describe('ApiWriter with a job RowProjector', () => {
  it('writes rows, refuses bad fields with ERR_BAD_RECORD and dead-letters them', async () => {
    const { writer, rings } = rig(2);
    const layout = rowLayout(normalizeFields({ user: 'string', n: 'number', at: 'time' }, 't'));
    const dead: string[] = [];
    const api = new ApiWriter(() => 'running', (raw, fault, _d, where) => dead.push(`${fault}@${where}:${raw}`));
    api.bind(writer, new RowProjector(layout, 'at', { kind: 'fields', fields: ['user'], where: 'w' }));
    expect(api.tryWrite({ user: 'a', n: 1, at: 100 })).toBe(true);
    await api.write({ user: 'b', n: 2.5, at: '1970-01-01T00:00:01Z' });
    expect(() => api.tryWrite({ user: 'c', n: null, at: 100 })).toThrow(expect.objectContaining({ code: 'ERR_BAD_RECORD', reason: 'bad-field' }));
    expect(dead).toEqual(['bad-field@api:{"user":"c","n":null,"at":100}']);
    expect(api.source.records).toBe(2);
    const rows = drainAll(rings).map((f) => decodeRow(f.body, layout)).sort((x, y) => x.key.localeCompare(y.key));
    expect(rows.map((r) => r.values)).toEqual([{ user: 'a', n: 1, at: 100 }, { user: 'b', n: 2.5, at: 1000 }]);
  });
});
