// TableFile: the file a Kafka lookup table is kept in for the workers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableFile } from '../../../src/io/tables/table-file.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'sabre-table-file-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const rows = (path: string): unknown[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

describe('TableFile', () => {
  it('keeps one line per live key: the last value wins, null deletes', () => {
    const t = new TableFile(join(dir, 'merchants.ndjson'));
    t.set('m1', '{"id":"m1","risk":1}');
    t.set('m2', '{"id":"m2","risk":2}');
    t.set('m1', '{"id":"m1","risk":9}');
    t.set('m3', '{"id":"m3","risk":3}');
    t.set('m2', null);
    t.writeNow(0);
    expect(rows(t.path)).toEqual([{ id: 'm1', risk: 9 }, { id: 'm3', risk: 3 }]);
    expect(t.size).toBe(2);
    // Written by rename: no temp file is left beside it.
    expect(readdirSync(dir)).toEqual(['merchants.ndjson']);
  });

  it('an empty table is an empty file (workers start with it)', () => {
    const t = new TableFile(join(dir, 'empty.ndjson'));
    t.writeNow(0);
    expect(readFileSync(t.path, 'utf8')).toBe('');
  });

  it('rewrites at most once per interval, and only after a change', () => {
    const t = new TableFile(join(dir, 't.ndjson'), 1000);
    t.set('a', '{"k":"a"}');
    t.writeIfDue(5000);
    expect(t.writes).toBe(1);
    t.set('b', '{"k":"b"}');
    t.writeIfDue(5500);
    expect(t.writes).toBe(1);
    expect(rows(t.path)).toEqual([{ k: 'a' }]);
    t.writeIfDue(6000);
    expect(t.writes).toBe(2);
    expect(rows(t.path)).toEqual([{ k: 'a' }, { k: 'b' }]);
    // The same value again, or deleting a key that is not there, is no change.
    t.set('a', '{"k":"a"}');
    t.set('zz', null);
    t.writeIfDue(9000);
    expect(t.writes).toBe(2);
  });
});
