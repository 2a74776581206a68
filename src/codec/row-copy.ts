// The copy of a row as a plain object (RowView.toObject): what a process
// function, an output, a late or dead-letter record keeps of the current row.
// Generated once per layout as straight-line named stores rather than a loop
// of getter calls and keyed stores: each store has its own site that sees one
// map, a number is one load and a string one intern-cache probe (the reads
// are row-reads.ts's, as the view's getters'). Not an object literal: V8
// (Node 20) then stores a price that happens to be whole (a small integer)
// into a field it laid out for a double by deoptimizing, again and again
// (it never learns). Field names reach the source only as JSON string
// literals.
import type { RowLayout } from './row-layout.js';
import type { InternCache } from './string-intern.js';
import { fieldRead, READ_TEMPS } from './row-reads.js';

/** (ring memory, the row's first numeric slot in f64, its first string ref in i32, its body byte offset) → the copy. */
export type RowCopy = (u8: Uint8Array, i32: Int32Array, f64: Float64Array, numIndex: number, refIndex: number, body: number) => Record<string, unknown>;

function define(o: object, name: string, value: unknown): void {
  Object.defineProperty(o, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Compile the copy of rows of `layout`; `caches[i]` interns string field i
 * (null for a numeric field).
 */
export function compileRowCopy(layout: RowLayout, caches: readonly (InternCache | null)[]): RowCopy {
  const stores = layout.fields.map((f, i) => {
    const name = JSON.stringify(f.name);
    // A store to "__proto__" would set the prototype instead of a field.
    return f.name === '__proto__' ? `define(o, ${name}, ${fieldRead(layout, i)});` : `o[${name}] = ${fieldRead(layout, i)};`;
  });
  const source = `return function copy(u8, i32, f64, numIndex, refIndex, body) {
  const o = {};
  ${READ_TEMPS}
  ${stores.join('\n  ')}
  return o;
};`;
  return new Function('c', 'define', source)(caches, define) as RowCopy;
}
