// How a field of a row body is read from ring memory, as JavaScript source:
// the one place that says a number slot's NaN is null, a boolean is its
// number ≠ 0, and a string whose length is ROW_NULL_STRING is null. The
// view's getters (row-view.ts) and the copy of a row (row-copy.ts) are both
// compiled from these expressions, so they cannot disagree.
//
// An expression uses the locals u8, i32, f64 (views of the ring memory),
// numIndex (the row's first numeric slot in f64), refIndex (its first
// string ref in i32), body (its byte offset) and c (the per-field intern
// caches), and assigns the locals READ_TEMPS declares.
import { ROW_NULL_STRING, type RowLayout } from './row-layout.js';

/** The temporaries fieldRead's expressions assign (declare them once per generated function). */
export const READ_TEMPS = 'let len = 0; let v = 0;';

/** The value of field i of the layout (null where the row holds none). */
export function fieldRead(layout: RowLayout, i: number): string {
  if (layout.fields[i]!.type === 'string') {
    const w = layout.strSlot[i]! * 2;
    return `((len = i32[refIndex + ${w + 1}]) === ${ROW_NULL_STRING} ? null : c[${i}].get(u8, body + i32[refIndex + ${w}], len))`;
  }
  // The assignment is evaluated before the right-hand `v`, so both sides see the slot's value.
  const v = `(v = f64[numIndex + ${layout.numSlot[i]!}])`;
  return layout.fields[i]!.type === 'boolean' ? `(${v} !== v ? null : v !== 0)` : `(${v} !== v ? null : v)`;
}

/** The ring views and offsets fieldRead(layout, i) reads (c, the caches, aside). */
export function readLocals(layout: RowLayout, i: number): readonly string[] {
  return layout.fields[i]!.type === 'string' ? ['u8', 'i32', 'refIndex', 'body'] : ['f64', 'numIndex'];
}
