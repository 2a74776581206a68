// Fields for a job whose source declares none (kafka/file without `fields`):
// inferred from the source's first records at start, then checked on every
// record like declared ones (a record that does not fit is dead-lettered
// with its reason). Only top-level fields with scalar values are inferred; a
// nested field, or one whose name is not an identifier, must be declared
// (with a `path`).
//
// A field's type is its values' most common JSON type among the sampled
// records (ties: number, then string, then boolean), so one odd record in
// the sample does not retype a field; records of the other type are
// dead-lettered later. The time field is 'time' (epoch ms or ISO-8601). A
// field missing or null in some sampled record is optional.
import { SabreError } from '../errors.js';
import type { FieldDecl, FieldsDecl } from './fields.js';

/** Records read to infer fields from (fewer when the source has fewer). */
export const INFER_SAMPLE = 1000;

const NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const ORDER = ['number', 'string', 'boolean'] as const;
type Scalar = (typeof ORDER)[number];

/** What inferFields saw: the declaration, and how many records it came from. */
export interface InferredFields {
  readonly fields: FieldsDecl;
  readonly records: number;
}

/**
 * The fields of `samples` (parsed records; anything but an object is
 * skipped), with `time` as the time field. `from` names the source in
 * errors. Fails with ERR_INVALID_JOB when no record was read or the time
 * field is in none of them.
 */
export function inferFields(samples: readonly unknown[], time: string, from: string): InferredFields {
  const counts = new Map<string, Record<Scalar, number>>();
  let records = 0;
  for (const r of samples) {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) continue;
    records++;
    for (const [name, v] of Object.entries(r)) {
      const t = typeof v;
      if (!NAME.test(name) || (t !== 'number' && t !== 'string' && t !== 'boolean')) continue;
      let c = counts.get(name);
      if (c === undefined) counts.set(name, (c = { number: 0, string: 0, boolean: 0 }));
      c[t as Scalar]++;
    }
  }
  if (records === 0) {
    throw new SabreError('ERR_INVALID_JOB', `cannot infer the job's fields: ${from} has no records yet; declare them in the source's \`fields\``);
  }
  if (!counts.has(time)) {
    throw new SabreError('ERR_INVALID_JOB', `the time field "${time}" is in none of the first ${records} records of ${from} `
      + `(their fields: ${[...counts.keys()].join(', ') || 'none'}); declare the source's \`fields\``);
  }
  const fields: Record<string, FieldDecl> = {};
  for (const [name, c] of counts) {
    let type: Scalar = ORDER[0];
    for (const t of ORDER) if (c[t] > c[type]) type = t;
    const seen = c.number + c.string + c.boolean;
    if (name === time) {
      fields[name] = 'time';
    } else {
      fields[name] = seen < records ? { type, optional: true } : type;
    }
  }
  return { fields, records };
}

/** The declaration as one line for the run's output: `card: string, amount: number, note: string?`. */
export function fieldsText(fields: FieldsDecl): string {
  return Object.entries(fields)
    .map(([n, d]) => `${n}: ${typeof d === 'string' ? d : `${d.type}${d.optional === true ? '?' : ''}`}`)
    .join(', ');
}
