import { describe, expect, it } from 'vitest';
import { fieldsText, inferFields } from '../../../dist/src/job/infer-fields.js';
import { normalizeFields } from '../../../dist/src/job/fields.js';

describe('inferFields', () => {
  it('types each top-level scalar field by its values; the time field is time; a field missing or null somewhere is optional', () => {
    const samples = [
      { card: 'c1', amount: 12.5, ok: true, at: 1000, note: 'x', n: 1 },
      { card: 'c2', amount: 3, ok: false, at: '2023-11-14T22:13:20Z', note: null, n: 2 },
      { card: 'c3', amount: 7, ok: true, at: 1002, n: 3 },
    ];
    const { fields, records } = inferFields(samples, 'at', 'file:x');
    expect(records).toBe(3);
    expect(fields).toEqual({ card: 'string', amount: 'number', ok: 'boolean', at: 'time', note: { type: 'string', optional: true }, n: 'number' });
    // What it infers is a declaration the job could have written.
    expect(normalizeFields(fields, 'test').map((f) => f.name)).toEqual(['card', 'amount', 'ok', 'at', 'note', 'n']);
    expect(fieldsText(fields)).toBe('card: string, amount: number, ok: boolean, at: time, note: string?, n: number');
  });

  it('the most common type wins (ties: number, string, boolean), so an odd record does not retype a field', () => {
    const samples = [{ at: 1, v: 1, w: 'a', t: 1 }, { at: 2, v: 'oops', w: 'b', t: 'x' }, { at: 3, v: 3, w: 5 }];
    expect(inferFields(samples, 'at', 's').fields).toEqual({ at: 'time', v: 'number', w: 'string', t: { type: 'number', optional: true } });
  });

  it('skips nested values, arrays, names that are not identifiers, and records that are not objects', () => {
    const samples = [{ at: 1, shop: { id: 'm' }, tags: ['a'], 'card-id': 'x', ok: 'y' }, 'not a record', [1, 2], null, 42];
    const r = inferFields(samples, 'at', 's');
    expect(r.fields).toEqual({ at: 'time', ok: 'string' });
    expect(r.records).toBe(1);
  });

  it('no record, or no time field in any: ERR_INVALID_JOB saying what to declare', () => {
    expect(() => inferFields([], 'at', 'kafka:t')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_JOB', message: expect.stringMatching(/kafka:t has no records yet; declare/) }) as Error);
    expect(() => inferFields(['x', 1], 'at', 'f')).toThrow(/has no records yet/);
    expect(() => inferFields([{ ts: 1, card: 'a' }], 'at', 'file:f')).toThrow(/time field "at" is in none of the first 1 records of file:f \(their fields: ts, card\)/);
  });
});
