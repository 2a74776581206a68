// The copy of a row as a plain object (RowView.toObject): what a process
// function, an output, a late or dead-letter record keeps of the current row.
// Generated once per layout as straight-line named stores rather than a loop
// of getter calls and keyed stores: each store has its own site that sees one
// map, a number is one load (NaN is null, as the view's getters read it) and
// a string one intern-cache probe. Not an object literal: V8 (Node 20) then
// stores a price that happens to be whole (a small integer) into a field it
// laid out for a double by deoptimizing, again and again (it never learns).
// Field names reach the source only as JSON string literals.
import { ROW_NULL_STRING, type RowLayout } from './row-layout.js';
import type { InternCache } from './string-intern.js';

/** (ring memory, the row's first numeric slot in f64, its first string ref in i32, its body byte offset) → the copy. */
export type RowCopy = (u8: Uint8Array, i32: Int32Array, f64: Float64Array, numIndex: number, refIndex: number, body: number) => Record<string, unknown>;

/**
 * Compile the copy of rows of `layout`; `caches[i]` interns string field i
 * (null for a numeric field).
 */
function define(o: object, name: string, value: unknown): void {
  Object.defineProperty(o, name, { value, enumerable: true, writable: true, configurable: true });
}

export function compileRowCopy(layout: RowLayout, caches: readonly (InternCache | null)[]): RowCopy {
  const stores = layout.fields.map((f, i) => {
    const name = JSON.stringify(f.name);
    // A store to "__proto__" would set the prototype instead of a field.
    const put = (x: string): string => (f.name === '__proto__' ? `define(o, ${name}, ${x});` : `o[${name}] = ${x};`);
    if (f.type === 'string') {
      const w = layout.strSlot[i]! * 2;
      return `len = i32[refIndex + ${w + 1}]; ${put(`len === ${ROW_NULL_STRING} ? null : c[${i}].get(u8, body + i32[refIndex + ${w}], len)`)}`;
    }
    const v = `v = f64[numIndex + ${layout.numSlot[i]!}];`;
    return `${v} ${put(f.type === 'boolean' ? 'v !== v ? null : v !== 0' : 'v !== v ? null : v')}`;
  });
  const source = `return function copy(u8, i32, f64, numIndex, refIndex, body) {
  const o = {};
  let len = 0;
  let v = 0;
  ${stores.join('\n  ')}
  return o;
};`;
  return new Function('c', 'define', source)(caches, define) as RowCopy;
}
