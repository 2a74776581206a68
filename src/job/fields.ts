// The fields of a job's records: declared by the job's source (or built into
// a generator kind), projected by the main thread into ring frames
// (src/codec/row-layout.ts), read in place by workers. A job sees a flat
// record whose field names are the schema's keys; `path` maps a name to a
// nested source field ("card.id").
import { SabreError } from '../errors.js';

export type FieldType = 'string' | 'number' | 'boolean' | 'time';

/** A field as a job declares it: its type, or its type and where it is in the source record. */
export type FieldDecl = FieldType | { readonly type: FieldType; readonly path?: string; readonly optional?: boolean };

/** Field name → declaration. */
export type FieldsDecl = Readonly<Record<string, FieldDecl>>;

/** The TypeScript value of a field type ('time' is epoch ms). */
export type ValueOf<F extends FieldType> = F extends 'string' ? string : F extends 'boolean' ? boolean : number;

type TypeOfDecl<D> = D extends FieldType ? D : D extends { type: infer T extends FieldType } ? T : never;
type IsOptional<D> = D extends { optional: true } ? true : false;

/**
 * The record type a schema declares: required fields as their types,
 * optional ones may be null. A schema of no known names (a source whose
 * fields are inferred at run time, src/job/infer-fields.ts) gives untyped
 * records (`any`, as JSON.parse gives): their fields are known only at run time.
 */
export type RowOf<S extends FieldsDecl> = string extends keyof S
  ? any
  : { readonly [K in keyof S]: IsOptional<S[K]> extends true ? ValueOf<TypeOfDecl<S[K]>> | null : ValueOf<TypeOfDecl<S[K]>> };

/** A field after normalisation: what the projection and the workers' views use. */
export interface Field {
  readonly name: string;
  readonly type: FieldType;
  /** Path segments in the source record (["card", "id"] for "card.id"). */
  readonly path: readonly string[];
  readonly optional: boolean;
}

const NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const TYPES: readonly FieldType[] = ['string', 'number', 'boolean', 'time'];

/** Check and normalise a fields declaration; errors name the job file's source. */
export function normalizeFields(decl: FieldsDecl, where: string): Field[] {
  if (decl === null || typeof decl !== 'object' || Array.isArray(decl)) {
    throw new SabreError('ERR_INVALID_JOB', `${where}: fields must be an object of name → type (e.g. { card: 'string', amount: 'number' })`);
  }
  const out: Field[] = [];
  for (const [name, d] of Object.entries(decl)) {
    if (!NAME.test(name)) throw new SabreError('ERR_INVALID_JOB', `${where}: field name "${name}" must be an identifier`);
    const type = typeof d === 'string' ? d : d?.type;
    if (!TYPES.includes(type as FieldType)) {
      throw new SabreError('ERR_INVALID_JOB', `${where}: field "${name}" has type ${JSON.stringify(type)}; use one of ${TYPES.join(', ')}`);
    }
    const path = (typeof d === 'object' && d.path !== undefined ? d.path : name).split('.');
    if (path.some((p) => p.length === 0)) throw new SabreError('ERR_INVALID_JOB', `${where}: field "${name}" has an empty path segment`);
    out.push({ name, type: type as FieldType, path, optional: typeof d === 'object' && d.optional === true });
  }
  if (out.length === 0) throw new SabreError('ERR_INVALID_JOB', `${where}: declare at least one field`);
  return out;
}
