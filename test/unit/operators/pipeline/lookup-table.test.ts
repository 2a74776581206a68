import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LookupTable, pinnedTableFile, tableVersion } from '../../../../src/operators/pipeline/lookup-table.js';
import { fileTable, kafkaTable } from '../../../../src/job/lookup.js';
import { SabreError } from '../../../../src/errors.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'sabre-lookup-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

/** Write the file and give it an mtime `secs` seconds past the epoch, so a change is seen whatever the clock's resolution. */
function put(name: string, lines: string[], secs: number): string {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + '\n');
  utimesSync(p, secs, secs);
  return p;
}

describe('LookupTable', () => {
  it('loads rows keyed by the spec field; the last row of a key wins; blank lines are skipped; a miss is null', () => {
    put('merchants.ndjson', [
      '{"id":"m1","risk":1}',
      '',
      '{"id":2,"risk":5}',
      '   ',
      '{"id":"m1","risk":9}',
    ], 1000);
    const t = new LookupTable(fileTable('merchants.ndjson', { key: 'id' }), {}, dir);
    expect(t.size).toBe(2);
    expect(t.get('m1')).toEqual({ id: 'm1', risk: 9 });
    expect(t.get(2)).toEqual({ id: 2, risk: 5 });
    expect(t.get('2')).toEqual({ id: 2, risk: 5 });
    expect(t.get('m9')).toBeNull();
    expect(t.get(undefined)).toBeNull();
    expect(t.version).toBe(tableVersion(readFileSync(join(dir, 'merchants.ndjson'), 'utf8')));
    expect(t.version).toMatch(/^[0-9a-f]{16}$/);
    expect(Object.isFrozen(t.get('m1'))).toBe(true);
  });

  it('freezes nested values of shared rows', () => {
    put('t.ndjson', ['{"id":"a","tags":["x"],"geo":{"cc":"DE"}}'], 1000);
    const row = new LookupTable(fileTable('t.ndjson', { key: 'id' }), {}, dir).get('a') as { tags: string[]; geo: { cc: string } };
    expect(Object.isFrozen(row.tags)).toBe(true);
    expect(Object.isFrozen(row.geo)).toBe(true);
  });

  it('a Kafka table reads the file the main thread keeps for its topic', () => {
    const p = put('topic.ndjson', ['{"card":"c1","limit":100}'], 1000);
    const t = new LookupTable(kafkaTable('cards', { key: 'card' }), { cards: p });
    expect(t.get('c1')).toEqual({ card: 'c1', limit: 100 });
    expect(() => new LookupTable(kafkaTable('other', { key: 'card' }), { cards: p })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_JOB' }) as Error);
  });

  it('reloads when the file changes, at most once a second', () => {
    const p = put('t.ndjson', ['{"id":"a","v":1}'], 1000);
    const t = new LookupTable(fileTable(p, { key: 'id' }), {});
    const v1 = t.version;
    t.maybeReload(10_000);
    put('t.ndjson', ['{"id":"a","v":2}', '{"id":"b","v":3}'], 2000);
    t.maybeReload(10_500); // within a second of the last check: not looked at
    expect(t.get('a')).toEqual({ id: 'a', v: 1 });
    t.maybeReload(11_000);
    expect(t.get('a')).toEqual({ id: 'a', v: 2 });
    expect(t.get('b')).toEqual({ id: 'b', v: 3 });
    expect(t.size).toBe(2);
    expect(t.version).not.toBe(v1);
    expect(t.version).toBe(tableVersion(readFileSync(p, 'utf8')));
    expect(t.reloadErrors).toBe(0);
    // Rewritten with the same content: the same version.
    const v2 = t.version;
    put('t.ndjson', ['{"id":"a","v":2}', '{"id":"b","v":3}'], 3000);
    t.maybeReload(12_000);
    expect(t.version).toBe(v2);
  });

  it('switching at checkpoints: a change is read when seen but used only from switchPending() on', () => {
    const p = put('t.ndjson', ['{"id":"a","v":1}'], 1000);
    const t = new LookupTable(fileTable(p, { key: 'id' }), {});
    t.switchAtCheckpoints();
    const v1 = t.version;
    expect(t.switchPending()).toBe(false);
    put('t.ndjson', ['{"id":"a","v":2}'], 2000);
    t.maybeReload(5_000);
    expect(t.get('a')).toEqual({ id: 'a', v: 1 });
    expect(t.version).toBe(v1);
    expect(t.switchPending()).toBe(true);
    expect(t.get('a')).toEqual({ id: 'a', v: 2 });
    expect(t.switchPending()).toBe(false);
    // Changed and changed back before the barrier: nothing to switch.
    const v2 = t.version;
    put('t.ndjson', ['{"id":"a","v":3}'], 3000);
    t.maybeReload(7_000);
    put('t.ndjson', ['{"id":"a","v":2}'], 4000);
    t.maybeReload(9_000);
    expect(t.switchPending()).toBe(false);
    expect(t.version).toBe(v2);
  });

  it('pin keeps a copy of the version in use per checkpoint (linked while unchanged); adopt restores it over the live table', () => {
    const p = put('t.ndjson', ['{"id":"a","v":1}'], 1000);
    const t = new LookupTable(fileTable(p, { key: 'id' }), {});
    const chk1 = join(dir, 'chk-1');
    const chk2 = join(dir, 'chk-2');
    mkdirSync(chk1);
    mkdirSync(chk2);
    const name = t.pin(chk1);
    expect(name).toBe(pinnedTableFile(t.version));
    expect(readFileSync(join(chk1, name), 'utf8')).toBe(readFileSync(p, 'utf8'));
    expect(t.pin(chk1)).toBe(name); // a second worker, or partition, of the same checkpoint
    expect(t.pin(chk2)).toBe(name);
    expect(statSync(join(chk2, name)).ino).toBe(statSync(join(chk1, name)).ino);
    const v1 = t.version;

    // The table changed after the checkpoint; a restarted worker loads the live one, then adopts the checkpoint's.
    put('t.ndjson', ['{"id":"a","v":2}', '{"id":"b","v":5}'], 2000);
    const r = new LookupTable(fileTable(p, { key: 'id' }), {});
    r.switchAtCheckpoints();
    expect(r.get('a')).toEqual({ id: 'a', v: 2 });
    r.adopt(v1, join(chk2, name));
    expect(r.version).toBe(v1);
    expect(r.get('a')).toEqual({ id: 'a', v: 1 });
    expect(r.get('b')).toBeNull();
    // The live table is looked at on the next check and used from the next barrier.
    r.maybeReload(5_000);
    expect(r.get('a')).toEqual({ id: 'a', v: 1 });
    expect(r.switchPending()).toBe(true);
    expect(r.get('b')).toEqual({ id: 'b', v: 5 });
    expect(r.reloadErrors).toBe(0);
  });

  it('a checkpoint copy whose content is not its version is ERR_CHECKPOINT_CORRUPT; a missing one leaves the live table and is counted', () => {
    const p = put('t.ndjson', ['{"id":"a","v":1}'], 1000);
    const t = new LookupTable(fileTable(p, { key: 'id' }), {});
    const chk = join(dir, 'chk-1');
    mkdirSync(chk);
    const name = t.pin(chk);
    const v1 = t.version;
    put('t.ndjson', ['{"id":"a","v":2}'], 2000);
    const r = new LookupTable(fileTable(p, { key: 'id' }), {});
    writeFileSync(join(chk, name), '{"id":"a","v":9}\n');
    expect(() => r.adopt(v1, join(chk, name))).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_CORRUPT' }) as Error);
    rmSync(join(chk, name));
    expect(existsSync(join(chk, name))).toBe(false);
    r.missingCopy(v1, join(chk, name));
    expect(r.reloadErrors).toBe(1);
    expect(r.lastError).toContain(v1);
    expect(r.get('a')).toEqual({ id: 'a', v: 2 });
  });

  it('a bad file fails at first load naming file:line', () => {
    const p = put('bad.ndjson', ['{"id":"a"}', '', '{"id":', '{"id":"c"}'], 1000);
    let err: unknown;
    try { new LookupTable(fileTable(p, { key: 'id' }), {}); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(SabreError);
    expect((err as SabreError).code).toBe('ERR_INVALID_JOB');
    expect((err as SabreError).message).toContain(`${p}:3`);

    const q = put('nokey.ndjson', ['{"id":"a"}', '{"name":"no id"}'], 1000);
    expect(() => new LookupTable(fileTable(q, { key: 'id' }), {})).toThrow(/nokey\.ndjson:2: missing key field 'id'/);
    expect(() => new LookupTable(fileTable(join(dir, 'absent.ndjson'), { key: 'id' }), {})).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_JOB' }) as Error);
  });

  it('a bad reload keeps the previous table and is counted; a good one later replaces it', () => {
    const p = put('t.ndjson', ['{"id":"a","v":1}'], 1000);
    const t = new LookupTable(fileTable(p, { key: 'id' }), {});
    const v1 = t.version;
    put('t.ndjson', ['{"id":"a","v":2}', 'not json'], 2000);
    t.maybeReload(5_000);
    expect(t.reloadErrors).toBe(1);
    expect(t.lastError).toContain('t.ndjson:2');
    expect(t.get('a')).toEqual({ id: 'a', v: 1 });
    expect(t.version).toBe(v1);
    t.maybeReload(7_000); // unchanged since the failed attempt: not parsed again
    expect(t.reloadErrors).toBe(1);
    put('t.ndjson', ['{"id":"a","v":3}'], 3000);
    t.maybeReload(9_000);
    expect(t.get('a')).toEqual({ id: 'a', v: 3 });
    expect(t.reloadErrors).toBe(1);
  });
});
