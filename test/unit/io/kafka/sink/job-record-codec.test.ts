// A job's outputs under --format flatbuffers: each a sabre.fb.Record, read
// back here with the generated reader (through decodeJobRecord) and with the
// reader a job's Kafka source uses (FlatInput.toObject).
import { describe, expect, it } from 'vitest';
import * as flatbuffers from 'flatbuffers';
import { JobRecordEncoder, decodeJobRecord } from '../../../../../src/io/kafka/sink/job-record-codec.js';
import { resultEncoder, resultMessage } from '../../../../../src/io/kafka/sink/result-message.js';
import { timedLine } from '../../../../../src/codec/timed-line.js';
import { FlatInput } from '../../../../../src/codec/flat/flat-input.js';
import { Record as FlatRecord } from '../../../../../src/codec/flat/generated/sabre/fb/record.js';
import { WindowResultEncoder } from '../../../../../src/io/kafka/sink/window-result-codec.js';

const OUTPUT = {
  rule: 'over-limit', card: 'c7', start: 1_700_000_000_000, n: 0, total: 12.5, declines: -3, flagged: true, quiet: false,
  limit: null, profile: { tier: 'gold', limit: 500 }, tags: ['a', 'b'], name: 'Zoë ✓',
};

describe('JobRecordEncoder', () => {
  it('key, event time, NaN value, and one attribute per field: strings as text, numbers (0 too) as numbers, booleans as 1/0, the rest as JSON text', () => {
    const bytes = new JobRecordEncoder().encode('c7', 1_700_000_000_123, OUTPUT);
    const r = decodeJobRecord(bytes);
    expect(r.key).toBe('c7');
    expect(r.eventTime).toBe(1_700_000_000_123);
    expect(r.value).toBeNaN();
    expect(r.attributes).toEqual({
      rule: 'over-limit', card: 'c7', start: 1_700_000_000_000, n: 0, total: 12.5, declines: -3, flagged: 1, quiet: 0,
      limit: 'null', profile: '{"tier":"gold","limit":500}', tags: '["a","b"]', name: 'Zoë ✓',
    });
    // In the output's field order.
    const rec = FlatRecord.getRootAsRecord(new flatbuffers.ByteBuffer(bytes));
    expect(Array.from({ length: rec.attributesLength() }, (_, i) => rec.attributes(i)!.name())).toEqual(Object.keys(OUTPUT));
  });

  it('an unkeyed job\'s output has no key; the builder is reused, each call returns its own bytes', () => {
    const enc = new JobRecordEncoder();
    const a = enc.encode(null, 5, { x: 1 });
    const b = enc.encode('k', 6, { y: 'two' });
    expect(decodeJobRecord(a)).toEqual({ key: null, eventTime: 5, value: NaN, attributes: { x: 1 } });
    expect(decodeJobRecord(b)).toEqual({ key: 'k', eventTime: 6, value: NaN, attributes: { y: 'two' } });
  });

  it('a job reading such a topic (--format flatbuffers) gets the fields back: FlatInput.toObject', () => {
    const bytes = new JobRecordEncoder().encode('c7', 42, { card: 'c7', amount: 9.5, ok: true, status: 'approved' });
    const input = new FlatInput();
    expect(input.single(bytes, false)).toBe(true);
    const obj = input.toObject('at')!;
    // (Its `value` is the reader's: a job's records need none, so it does not read it.)
    expect(obj).toMatchObject({ key: 'c7', at: 42, card: 'c7', amount: 9.5, ok: 1, status: 'approved' });
  });
});

describe('resultMessage with --format flatbuffers', () => {
  it('a job\'s sink (key fields given) encodes timed lines as Records keyed by the job key; window results stay WindowResults', () => {
    const enc = resultEncoder('flatbuffers', ['count'], ['card']);
    expect(enc).toBeInstanceOf(JobRecordEncoder);
    const m = resultMessage(timedLine(1_700_000_000_000, JSON.stringify(OUTPUT)), enc, ['card']);
    expect(m.key).toBe('c7');
    const r = decodeJobRecord(m.value as Buffer);
    expect(r.eventTime).toBe(1_700_000_000_000);
    expect(r.attributes.rule).toBe('over-limit');
    expect(m.bytes).toBe(2 + (m.value as Buffer).length);
    expect(resultEncoder('flatbuffers', ['count'], undefined)).toBeInstanceOf(WindowResultEncoder);
    expect(resultEncoder('json', ['count'], ['card'])).toBeUndefined();
  });
});
