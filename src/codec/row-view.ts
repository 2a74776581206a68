// A worker's reused view over a row body in a ring (layout: row-layout.ts).
// `record` is the object a job's functions see: one own, enumerable getter
// per field that reads the field in place, so `{ ...r }`, Object.keys(r)
// and JSON.stringify(r) behave as on a plain record, and a field may be
// named anything (the view's own API — at, toObject, keyStart — lives on the
// RowView, not on the record). The getters are made once per view (a
// worker has one, pointed at each record of any of its rings), never per record; strings go
// through a per-field intern cache, so repeated values allocate nothing.
// The getters, and toObject, the copy a process function or an output keeps
// (row-copy.ts), are generated per layout from the same field reads
// (row-reads.ts).
import { ROW_KEY, ROW_KEY_LEN, rowNumAt, rowStrRefsAt, type RowLayout } from './row-layout.js';
import { InternCache } from './string-intern.js';
import { compileRowCopy, type RowCopy } from './row-copy.js';
import { fieldRead, READ_TEMPS, readLocals } from './row-reads.js';

const EMPTY_U8 = new Uint8Array(8);
const EMPTY_I32 = new Int32Array(EMPTY_U8.buffer);
const EMPTY_F64 = new Float64Array(EMPTY_U8.buffer);

export class RowView {
  /** The current row as the job sees it: valid until the next at(). Copy it (toObject) to keep it. */
  readonly record: Record<string, unknown>;
  keyStart = 0;
  keyLength = 0;
  private u8: Uint8Array = EMPTY_U8;
  private i32: Int32Array = EMPTY_I32;
  /** The ring memory of the current row; its numeric field in slot k is f64[numIndex + k] (compiled aggregates read it so). */
  f64: Float64Array = EMPTY_F64;
  numIndex = 0;
  private body = 0;
  /** The current row's first string ref, as an index into i32. */
  private refIndex = 0;
  /** Per field (schema order): its intern cache, or null for a numeric field; the getters and the copy share them. */
  private readonly caches: (InternCache | null)[];
  private readonly copy: RowCopy;

  constructor(readonly layout: RowLayout) {
    this.caches = layout.fields.map((f) => (f.type === 'string' ? new InternCache() : null));
    this.copy = compileRowCopy(layout, this.caches);
    const record: Record<string, unknown> = {};
    layout.fields.forEach((f, i) => Object.defineProperty(record, f.name, { get: this.getter(i), enumerable: true }));
    this.record = record;
  }

  /** Point at the row body starting at byte `body` (8-aligned) of u8/i32/f64 (views of the same memory). */
  at(u8: Uint8Array, i32: Int32Array, f64: Float64Array, body: number): void {
    this.u8 = u8;
    this.i32 = i32;
    this.f64 = f64;
    this.body = body;
    const keyLen = i32[(body + ROW_KEY_LEN) >> 2]!;
    this.keyStart = body + ROW_KEY;
    this.keyLength = keyLen;
    this.numIndex = (body + rowNumAt(keyLen)) >> 3;
    this.refIndex = (body + rowStrRefsAt(this.layout, keyLen)) >> 2;
  }

  /** The current row as a plain object (outputs, late and dead-letter records): it allocates. */
  toObject(): Record<string, unknown> {
    return this.copy(this.u8, this.i32, this.f64, this.numIndex, this.refIndex, this.body);
  }

  /** Field i's getter: the current row's value, read in place (generated: only the view fields its read needs). */
  private getter(i: number): () => unknown {
    const locals = readLocals(this.layout, i).map((l) => `const ${l} = view.${l};`);
    return new Function('view', 'c', `return function get() {
  ${locals.join(' ')}
  ${READ_TEMPS}
  return ${fieldRead(this.layout, i)};
};`)(this, this.caches) as () => unknown;
  }
}
