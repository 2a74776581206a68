import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import * as flatbuffers from 'flatbuffers';
import { Record } from '../../../dist/src/codec/flat/generated/sabre/fb/record.js';
import { Attribute } from '../../../dist/src/codec/flat/generated/sabre/fb/attribute.js';
import { encodeUtf8, recordBodyBytes, utf8Length, writeKeyBytes, writeRecordHead } from '../../../dist/src/codec/record-writer.js';
import { RecordView } from '../../../dist/src/codec/record-view.js';

/** A SharedArrayBuffer-backed region, like a ring's data region. */
function region(bytes: number) {
  const sab = new SharedArrayBuffer(bytes);
  return { u8: new Uint8Array(sab), i32: new Int32Array(sab), f64: new Float64Array(sab) };
}

describe('flatbuffers record frames', () => {
  it('bodies written in place are read back by the flatc-generated classes and by RecordView (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.double({ noNaN: true }), fc.double({ noNaN: true }),
      fc.integer({ min: 0, max: 64 }), (key, ts, value, pad) => {
        const r = region(4096);
        const at = pad * 8;
        const len = utf8Length(key);
        expect(len).toBe(Buffer.byteLength(key));
        const scratch = new Uint8Array(len);
        encodeUtf8(scratch, 0, key, len);
        writeRecordHead(r.i32, r.f64, at, len, ts, value);
        writeKeyBytes(r.u8, at, scratch, 0, len);
        // flatc's reader, in place over shared memory.
        const bb = new flatbuffers.ByteBuffer(r.u8);
        bb.setPosition(at);
        const rec = Record.getRootAsRecord(bb);
        expect(rec.key()).toBe(Buffer.from(key).toString());
        expect(Object.is(rec.eventTime(), ts)).toBe(true);
        expect(Object.is(rec.value(), value)).toBe(true);
        expect(rec.attributesLength()).toBe(0);
        const view = new RecordView(r.u8, r.i32, r.f64);
        view.at(at);
        expect(view.keyLength).toBe(len);
        expect(Buffer.from(r.u8.slice(view.keyStart, view.keyStart + view.keyLength)).toString()).toBe(Buffer.from(key).toString());
        expect(Object.is(view.value, value)).toBe(true);
        expect(recordBodyBytes(len)).toBeGreaterThanOrEqual(44 + len + 1);
      }));
  });

  it('RecordView reads Builder-made records (other layouts, with attributes) through the generated accessors', () => {
    const b = new flatbuffers.Builder(256);
    const name = b.createString('venue');
    const text = b.createString('XNAS');
    Attribute.startAttribute(b);
    Attribute.addName(b, name);
    Attribute.addText(b, text);
    const attr = Attribute.endAttribute(b);
    const attrs = Record.createAttributesVector(b, [attr]);
    const key = b.createString('ÄBC-ключ');
    Record.startRecord(b);
    Record.addKey(b, key);
    Record.addEventTime(b, 1700000000123);
    Record.addValue(b, 42.5);
    Record.addAttributes(b, attrs);
    b.finish(Record.endRecord(b));
    const bytes = b.asUint8Array();
    const r = region(1024);
    r.u8.set(bytes, 64);
    const view = new RecordView(r.u8, r.i32, r.f64);
    view.at(64);
    expect(Buffer.from(r.u8.slice(view.keyStart, view.keyStart + view.keyLength)).toString()).toBe('ÄBC-ключ');
    expect(view.eventTime).toBe(1700000000123);
    expect(view.value).toBe(42.5);
    expect(view.hasValue).toBe(true);
  });

  it('the committed generated code is exactly what scripts/gen-flatbuffers.sh produces', () => {
    const out = mkdtempSync(join(tmpdir(), 'sabre-fb-'));
    execFileSync('bash', ['scripts/gen-flatbuffers.sh', out], { stdio: 'pipe' });
    const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
    const fresh = walk(out).map((f) => relative(out, f)).sort();
    const committed = walk('src/codec/flat/generated').map((f) => relative('src/codec/flat/generated', f)).sort();
    expect(fresh).toEqual(committed);
    for (const f of fresh) expect(readFileSync(join(out, f), 'utf8')).toBe(readFileSync(join('src/codec/flat/generated', f), 'utf8'));
  });
});
