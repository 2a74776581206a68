// The copy of a row as a plain object (RowView.toObject): what a process
// function, an output, a late or dead-letter record keeps of the current row.
// Generated once per layout as one object literal rather than a loop of
// getter calls and keyed stores: every copy then has one hidden class made at
// compile time, a number is one load (NaN is null, as the view's getters
// read it) and a string one intern-cache probe. Field names reach the source
// only as JSON string literals.
import { ROW_NULL_STRING, type RowLayout } from './row-layout.js';
import type { InternCache } from './string-intern.js';

/** (ring memory, the row's first numeric slot in f64, its first string ref in i32, its body byte offset) → the copy. */
export type RowCopy = (u8: Uint8Array, i32: Int32Array, f64: Float64Array, numIndex: number, refIndex: number, body: number) => Record<string, unknown>;

/**
 * Compile the copy of rows of `layout`; `caches[i]` interns string field i
 * (null for a numeric field).
 */
export function compileRowCopy(layout: RowLayout, caches: readonly (InternCache | null)[]): RowCopy {
  const props = layout.fields.map((f, i) => {
    // A computed key: a literal "__proto__" would set the prototype instead of a field.
    const key = f.name === '__proto__' ? `[${JSON.stringify(f.name)}]` : JSON.stringify(f.name);
    if (f.type === 'string') {
      const w = layout.strSlot[i]! * 2;
      return `${key}: (len = i32[refIndex + ${w + 1}]) === ${ROW_NULL_STRING} ? null : c[${i}].get(u8, body + i32[refIndex + ${w}], len)`;
    }
    const v = `f64[numIndex + ${layout.numSlot[i]!}]`;
    return f.type === 'boolean'
      ? `${key}: (v = ${v}) !== v ? null : v !== 0`
      : `${key}: (v = ${v}) !== v ? null : v`;
  });
  const source = `return function copy(u8, i32, f64, numIndex, refIndex, body) {
  let len = 0;
  let v = 0;
  return {
    ${props.join(',\n    ')}
  };
};`;
  return new Function('c', source)(caches) as RowCopy;
}
