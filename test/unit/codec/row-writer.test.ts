import { describe, expect, it } from 'vitest';
import { RowProjector } from '../../../dist/src/codec/row-writer.js';
import { rowLayout } from '../../../dist/src/codec/row-layout.js';
import { normalizeFields, type FieldsDecl } from '../../../dist/src/job/fields.js';
import type { KeySpec } from '../../../dist/src/job/plan.js';

const FIELDS: FieldsDecl = {
  card: 'string',
  amount: 'number',
  approved: 'boolean',
  at: 'time',
  merchant: { type: 'string', path: 'shop.id' },
  note: { type: 'string', optional: true },
  score: { type: 'number', optional: true },
  flagged: { type: 'boolean', optional: true },
  seenAt: { type: 'time', optional: true },
};

function projector(key: KeySpec = { kind: 'fields', fields: ['card'], where: 'job.ts:3:4' }, fields: FieldsDecl = FIELDS): RowProjector {
  return new RowProjector(rowLayout(normalizeFields(fields, 'test')), 'at', key);
}

const good = (): Record<string, unknown> => ({
  card: 'CARD7', amount: 12.5, approved: true, at: 1_700_000_000_123, shop: { id: 'M9' },
  note: 'hello', score: 3, flagged: false, seenAt: '2023-11-14T22:13:20.5Z',
});

/** Field name → stashed value (numbers by numeric slot, strings by string slot). */
function stashed(p: RowProjector): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  p.layout.fields.forEach((f, i) => {
    const n = p.layout.numSlot[i]!;
    out[f.name] = n >= 0 ? p.num[n] : p.str[p.layout.strSlot[i]!];
  });
  return out;
}

describe('RowProjector.extract', () => {
  it('stashes every type: numbers and times as numbers, booleans as 1/0, ISO-8601 times as epoch ms, strings by slot', () => {
    const p = projector();
    expect(p.extract(good())).toBe(true);
    expect(p.fault).toBeUndefined();
    expect(stashed(p)).toEqual({
      card: 'CARD7', amount: 12.5, approved: 1, at: 1_700_000_000_123, merchant: 'M9',
      note: 'hello', score: 3, flagged: 0, seenAt: Date.UTC(2023, 10, 14, 22, 13, 20, 500),
    });
    expect(p.time).toBe(1_700_000_000_123);
    expect(p.key).toBe('CARD7');
  });

  it('an ISO-8601 time field without an offset is UTC', () => {
    const p = projector();
    expect(p.extract({ ...good(), at: '2024-02-29T12:00' })).toBe(true);
    expect(p.time).toBe(Date.UTC(2024, 1, 29, 12));
    expect(p.extract({ ...good(), at: '2024-03-01' })).toBe(true);
    expect(p.time).toBe(Date.UTC(2024, 2, 1));
  });

  it('optional fields that are missing or null are null (NaN numbers, null strings)', () => {
    const p = projector();
    const r = good();
    delete r.note;
    r.score = null;
    delete r.flagged;
    r.seenAt = null;
    expect(p.extract(r)).toBe(true);
    const s = stashed(p);
    expect(s.note).toBeNull();
    expect(Number.isNaN(s.score)).toBe(true);
    expect(Number.isNaN(s.flagged)).toBe(true);
    expect(Number.isNaN(s.seenAt)).toBe(true);
  });

  it('a record after a record with values: every slot is rewritten (no value leaks from the last record)', () => {
    const p = projector();
    expect(p.extract(good())).toBe(true);
    expect(p.extract({ card: 'C2', amount: 1, approved: false, at: 5, shop: { id: 'M1' } })).toBe(true);
    const s = stashed(p);
    expect(s.note).toBeNull();
    expect(Number.isNaN(s.score)).toBe(true);
    expect([s.card, s.amount, s.approved, s.at, s.merchant]).toEqual(['C2', 1, 0, 5, 'M1']);
  });

  it('reads nested paths, and a path through a non-object is missing', () => {
    const p = projector();
    expect(p.extract({ ...good(), shop: { id: 'deep', other: 1 } })).toBe(true);
    expect(stashed(p).merchant).toBe('deep');
    expect(p.extract({ ...good(), shop: 'M9' })).toBe(false);
    expect(p.fault).toBe('bad-field');
    expect(p.detail).toBe('field "shop.id" is missing or null');
  });

  it.each([
    ['a number', 42, 'not-an-object', 'expected a JSON object, got number'],
    ['null', null, 'not-an-object', 'expected a JSON object, got null'],
    ['an array', [1], 'not-an-object', 'expected a JSON object, got an array'],
  ])('refuses %s as not-an-object', (_, input, fault, detail) => {
    const p = projector();
    expect(p.extract(input)).toBe(false);
    expect(p.fault).toBe(fault);
    expect(p.detail).toBe(detail);
  });

  it.each([
    ['missing time', { at: undefined }, 'bad-time', 'field "at" is missing or null'],
    ['null time', { at: null }, 'bad-time', 'field "at" is missing or null'],
    ['infinite time', { at: Infinity }, 'bad-time', 'field "at" must be epoch ms or an ISO-8601 string, got Infinity'],
    ['boolean time', { at: true }, 'bad-time', 'field "at" must be epoch ms or an ISO-8601 string, got boolean'],
    ['non-ISO time', { at: 'yesterday' }, 'bad-time', 'field "at" is not an ISO-8601 date: "yesterday"'],
    ['missing key', { card: undefined }, 'missing-key', 'field "card" is missing or null'],
    ['key of another type', { card: 7 }, 'missing-key', 'field "card" must be a string, got 7'],
    ['missing number', { amount: undefined }, 'bad-field', 'field "amount" is missing or null'],
    ['null number', { amount: null }, 'bad-field', 'field "amount" is missing or null'],
    ['string number', { amount: '12' }, 'bad-field', 'field "amount" must be a finite number, got the string "12"'],
    ['NaN-like number', { amount: NaN }, 'bad-field', 'field "amount" must be a finite number, got NaN'],
    ['number boolean', { approved: 1 }, 'bad-field', 'field "approved" must be true or false, got 1'],
    ['missing boolean', { approved: undefined }, 'bad-field', 'field "approved" is missing or null'],
    ['number string', { note: 5 }, 'bad-field', 'field "note" must be a string, got 5'],
    ['object optional number', { score: {} }, 'bad-field', 'field "score" must be a finite number, got object'],
    ['bad optional time', { seenAt: 'soon' }, 'bad-field', 'field "seenAt" must be epoch ms or an ISO-8601 string, got the string "soon"'],
  ])('refuses a %s', (_, patch, fault, detail) => {
    const p = projector();
    const r = { ...good(), ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete r[k];
    expect(p.extract(r)).toBe(false);
    expect(p.fault).toBe(fault);
    expect(p.detail).toBe(detail);
    // …and takes the next good record.
    expect(p.extract(good())).toBe(true);
    expect(p.fault).toBeUndefined();
  });

  it('a time field of type number takes only finite numbers', () => {
    const p = new RowProjector(rowLayout(normalizeFields({ k: 'string', ts: 'number' }, 't')), 'ts', { kind: 'none' });
    expect(p.extract({ k: 'a', ts: 17 })).toBe(true);
    expect(p.time).toBe(17);
    expect(p.extract({ k: 'a', ts: '2024-01-01' })).toBe(false);
    expect(p.fault).toBe('bad-time');
  });
});

describe('RowProjector keys', () => {
  it('one string field: the string; one number field: String(n), as RecordFields keys', () => {
    const p = projector();
    p.extract(good());
    expect(p.key).toBe('CARD7');
    const q = projector({ kind: 'fields', fields: ['amount'], where: 'w' });
    q.extract(good());
    expect(q.key).toBe('12.5');
    expect(q.keyed).toBe(true);
  });

  it('several fields: the JSON array of their values, in order', () => {
    const p = projector({ kind: 'fields', fields: ['merchant', 'amount', 'card'], where: 'w' });
    expect(p.extract({ ...good(), shop: { id: 'M,"x' } })).toBe(true);
    expect(p.key).toBe(JSON.stringify(['M,"x', 12.5, 'CARD7']));
  });

  it('an optional key field that is missing is missing-key, not null', () => {
    const p = projector({ kind: 'fields', fields: ['note'], where: 'w' });
    const r = good();
    delete r.note;
    expect(p.extract(r)).toBe(false);
    expect(p.fault).toBe('missing-key');
    expect(p.detail).toBe('field "note" is missing or null');
  });

  it('a key function: String of what it returns for the parsed record', () => {
    const p = projector({ kind: 'fn', fn: ((r: { card: string; shop: { id: string } }) => `${r.card}/${r.shop.id}`) as never, where: 'w' });
    expect(p.extract(good())).toBe(true);
    expect(p.key).toBe('CARD7/M9');
    const n = projector({ kind: 'fn', fn: ((r: { amount: number }) => r.amount * 2) as never, where: 'w' });
    expect(n.extract(good())).toBe(true);
    expect(n.key).toBe('25');
  });

  it('a key function that throws: user-function, with its message and where the job declared it', () => {
    const p = projector({ kind: 'fn', fn: (() => { throw new Error('no card'); }) as never, where: '/jobs/fraud.ts:12:6' });
    expect(p.extract(good())).toBe(false);
    expect(p.fault).toBe('user-function');
    expect(p.detail).toContain('no card');
    expect(p.detail).toContain('/jobs/fraud.ts:12:6');
  });

  it("'none': an empty key and a round-robin counter, one step per extracted record", () => {
    const p = projector({ kind: 'none' });
    expect(p.keyed).toBe(false);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      expect(p.extract(good())).toBe(true);
      expect(p.key).toBe('');
      seen.push(p.roundRobin);
    }
    expect(p.extract(42)).toBe(false);
    expect(p.extract(good())).toBe(true);
    seen.push(p.roundRobin);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('RowProjector.of(plan) uses the plan\'s fields, time field and key', () => {
    const fields = normalizeFields({ sym: 'string', px: 'number', t: 'time' }, 't');
    const p = RowProjector.of({ fields, timeField: 't', key: { kind: 'fields', fields: ['sym'], where: 'w' } } as never);
    expect(p.extract({ sym: 'S', px: 2, t: 9 })).toBe(true);
    expect([p.key, p.time, p.layout.numCount, p.layout.strCount]).toEqual(['S', 9, 2, 1]);
  });
});
