// The Kafka source reads keyed JSON values with JsonFieldScanner and falls
// back to JSON.parse + RecordFields whenever the scanner declines. Property:
// whenever the scanner accepts, the slow path accepts too, with the same time
// and value (Object.is: -0 and every last bit included). No broker needed.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JsonFieldScanner } from '../../../../dist/src/codec/json/json-field-scanner.js';
import { RecordFields } from '../../../../dist/src/codec/json/record-fields.js';
import { TradeMessages } from '../../../../dist/src/io/generator/trade-messages.js';

const enc = new TextEncoder();

/**
 * The slow path: JSON.parse + RecordFields. Kafka (keyed message): the value's key field does not matter;
 * NDJSON ingest (`ownKey`): the key is the value's own key member.
 */
function slow(text: string, needsValue: boolean, ownKey = false): { ok: boolean; time?: number; value?: number; key?: string } {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return { ok: false };
  }
  if (!ownKey && obj !== null && typeof obj === 'object' && !Array.isArray(obj)) (obj as Record<string, unknown>).key = 'k';
  const f = new RecordFields('key', 'ts', 'value', needsValue);
  return f.extract(obj) ? { ok: true, time: f.time, value: f.value, key: f.key } : { ok: false };
}

/** Fast-path acceptances, so a property cannot pass by declining everything. */
let accepted = 0;
let acceptedKeyed = 0;
const PAD = enc.encode('{"key":"pad","ts":1}\n');

/** With a key field, scanning a line inside a larger buffer (an NDJSON body): same as the slow path, key bytes included. */
function checkKeyed(text: string, needsValue: boolean): void {
  const line = enc.encode(text);
  const body = new Uint8Array(PAD.length * 2 + line.length);
  body.set(PAD, 0);
  body.set(line, PAD.length);
  body.set(PAD, PAD.length + line.length);
  const s = new JsonFieldScanner('ts', 'value', needsValue, 'key');
  if (!s.scan(body, PAD.length, PAD.length + line.length)) return;
  acceptedKeyed++;
  const r = slow(text, needsValue, true);
  expect(r.ok, text).toBe(true);
  expect(Object.is(s.time, r.time) && Object.is(s.value, r.value), text).toBe(true);
  expect(Buffer.from(body.subarray(s.keyStart, s.keyStart + s.keyLength)).toString('utf8'), text).toBe(r.key);
  expect(s.keyStart).toBeGreaterThanOrEqual(PAD.length);
  expect(s.keyStart + s.keyLength).toBeLessThan(PAD.length + line.length);
}

function check(text: string): boolean {
  for (const needsValue of [true, false]) {
    checkKeyed(text, needsValue);
    const s = new JsonFieldScanner('ts', 'value', needsValue);
    // Kafka hands over Buffers (long numbers take a Buffer-only shortcut); other callers plain Uint8Arrays.
    const fromBuffer = new JsonFieldScanner('ts', 'value', needsValue);
    const ok = s.scan(enc.encode(text));
    expect(fromBuffer.scan(Buffer.from(text, 'utf8')), text).toBe(ok);
    if (!ok) continue;
    expect(Object.is(fromBuffer.time, s.time) && Object.is(fromBuffer.value, s.value), text).toBe(true);
    accepted++;
    const r = slow(text, needsValue);
    expect(r.ok, text).toBe(true);
    expect(Object.is(s.time, r.time), `${text}: time ${s.time} vs ${r.time}`).toBe(true);
    expect(Object.is(s.value, r.value), `${text}: value ${s.value} vs ${r.value}`).toBe(true);
  }
  return true;
}

const numberText = fc.oneof(
  fc.double().filter(Number.isFinite).map((d) => JSON.stringify(d)),
  fc.integer().map(String),
  fc.tuple(fc.boolean(), fc.stringMatching(/^(0|[1-9]\d{0,20})$/), fc.option(fc.stringMatching(/^\d{1,25}$/)), fc.option(fc.integer({ min: -400, max: 400 })))
    .map(([neg, i, f, e]) => `${neg ? '-' : ''}${i}${f !== null ? `.${f}` : ''}${e !== null ? `e${e}` : ''}`),
);
const anyValue = fc.oneof(numberText, fc.json(), fc.string({ maxLength: 6 }).map((k) => JSON.stringify(k)),
  fc.constantFrom('"2023-11-14T22:13:20Z"', 'null', 'true', '"x"', '"SYM7"', '"é"', '"a\\"b"', '""', '[]', '{}', '1e999', '-0'));
const ws = fc.constantFrom('', ' ', '\n', '\t ', '\r\n');
const member = fc.tuple(fc.constantFrom('ts', 'value', 'key', 'qty', 't\\u0073', 'va lue', 'ts '), anyValue, ws)
  .map(([name, v, w]) => `${w}"${name}"${w}:${w}${v}${w}`);
const objectText = fc.tuple(fc.array(member, { maxLength: 7 }), ws).map(([ms, w]) => `${w}{${ms.join(',')}}${w}`);

describe('JsonFieldScanner: accepts only what JSON.parse + RecordFields accept, with the same numbers', () => {
  it('objects built from interesting members (duplicates, escapes in names, ISO times, nesting, huge and tiny numbers)', () => {
    accepted = 0;
    acceptedKeyed = 0;
    fc.assert(fc.property(objectText, check), { numRuns: 20_000, seed: 42 });
    expect(accepted).toBeGreaterThan(1000);
    expect(acceptedKeyed).toBeGreaterThan(100);
  });

  it('mutated valid lines (a byte inserted, removed or changed) and arbitrary JSON', () => {
    const base = '{"key":"SYM7","ts":1700000000123,"value":149.82,"qty":12,"side":"buy","nested":{"a":[1,2.5,"x\\"y"]}}';
    fc.assert(fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 127 }), fc.constantFrom('ins', 'del', 'set'), (at, ch, op) => {
      const c = String.fromCharCode(ch);
      const text = op === 'ins' ? base.slice(0, at) + c + base.slice(at) : op === 'del' ? base.slice(0, at) + base.slice(at + 1) : base.slice(0, at) + c + base.slice(at + 1);
      return check(text);
    }), { numRuns: 20_000, seed: 7 });
    fc.assert(fc.property(fc.json(), check), { numRuns: 5000, seed: 3 });
  });

  it('numbers: every decimal form converts to the exact double JSON.parse gives', () => {
    accepted = 0;
    fc.assert(fc.property(numberText, (n) => check(`{"ts":${n},"value":${n}}`)), { numRuns: 50_000, seed: 11 });
    expect(accepted).toBeGreaterThan(50_000); // both needsValue settings, nearly every number
  });

  it('numbers around 2^53 digits and ±22 exponents (where the exact shortcut ends) convert exactly', () => {
    accepted = 0;
    const edges: string[] = [];
    for (const m of ['9007199254740991', '9007199254740992', '9007199254740993', '9007199254740999', '18348000000000002', '999999999999999', '1000000000000000']) {
      for (const dot of [0, 1, 3, 8, 15]) {
        if (dot >= m.length) continue;
        const t = dot === 0 ? m : `${m.slice(0, m.length - dot)}.${m.slice(m.length - dot)}`;
        for (const e of ['', 'e22', 'e-22', 'e23', 'e-23', 'e7']) edges.push(t + e, `-${t}${e}`);
      }
    }
    for (const n of edges) check(`{"ts":${n},"value":${n}}`);
    expect(accepted).toBe(edges.length * 2);
  });

  it('takes the fast path for the generator\'s lines, and declines a time given as ISO-8601 (the slow path reads it)', () => {
    const gen = new TradeMessages({ kind: 'trades', seed: 1, keys: 100, disorder: 100, eventsPerMs: 10, format: 'json', rate: 0, startWallMs: 0 });
    const s = new JsonFieldScanner('ts', 'value', true);
    const keyed = new JsonFieldScanner('ts', 'value', true, 'key');
    for (let i = 0; i < 10_000; i++) {
      const line = enc.encode(gen.next(i) as string);
      expect(s.scan(line)).toBe(true);
      expect(s.time).toBe(gen.ts);
      expect(s.value).toBe(gen.value);
      expect(keyed.scan(line)).toBe(true);
      expect([keyed.time, keyed.value]).toEqual([gen.ts, gen.value]);
      expect(Buffer.from(line.subarray(keyed.keyStart, keyed.keyStart + keyed.keyLength)).toString()).toBe(gen.key);
    }
    expect(s.scan(enc.encode('{"ts":"2023-11-14T22:13:20Z","value":1}'))).toBe(false);
    expect(slow('{"ts":"2023-11-14T22:13:20Z","value":1}', true)).toEqual({ ok: true, time: 1700000000000, value: 1, key: 'k' });
  });
});
