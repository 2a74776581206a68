// Aggregate builders for `.aggregate({ name: spec, ... })`. A spec is plain
// data (plus a function for expressions and user aggregates); workers turn
// a window's specs into accumulators (src/operators/pipeline/aggregate-set.ts).
//
// Typing: Agg<R, O> says "needs a record assignable to R, produces O". The
// `need` member is a function type so R is checked contravariantly: a
// sum('status') over records whose status is a string does not compile.

/** The field names of T whose values are numbers. */
export type NumericKeys<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T] & string;
/** A numeric field of the record, or an expression over it. */
export type NumberOf<T> = NumericKeys<T> | ((r: T) => number);

export type AggKind =
  | 'count' | 'sum' | 'min' | 'max' | 'avg' | 'first' | 'last'
  | 'countDistinct' | 'approxCountDistinct' | 'variance' | 'stddev' | 'percentile' | 'topN' | 'custom';

/** A user aggregate over whole records: init/add/merge/result, as in Flink's AggregateFunction. */
export interface CustomAggregate<R, A, O> {
  init(): A;
  add(acc: A, record: R, eventTime: number): A;
  /** Session windows merge: fold b into a. */
  merge(a: A, b: A): A;
  result(acc: A): O;
}

export interface AggSpec {
  readonly kind: AggKind;
  /** The field read (sum('amount')), or undefined for count() and expressions. */
  readonly field?: string | undefined;
  /** An expression over the record (sum((t) => t.price * t.qty)). */
  readonly expr?: ((r: never) => unknown) | undefined;
  /** percentile: the quantile in [0, 1]; topN: how many. */
  readonly param?: number | undefined;
  /** approxCountDistinct: HyperLogLog precision (registers = 2^p). */
  readonly precision?: number | undefined;
  readonly custom?: CustomAggregate<never, unknown, unknown> | undefined;
}

/** An aggregate spec with its record requirement R and output type O (phantoms: types only). */
export interface Agg<R, O> extends AggSpec {
  readonly need?: (r: R) => void;
  readonly out?: O;
}

type FieldOrExpr = string | ((r: never) => unknown);

function spec<R, O>(kind: AggKind, from?: FieldOrExpr, extra: Partial<AggSpec> = {}): Agg<R, O> {
  if (typeof from === 'function') return { kind, expr: from, ...extra };
  return { kind, field: from, ...extra };
}

/** Records in the window. */
export function count(): Agg<unknown, number> {
  return spec('count');
}

type Num<F> = F extends string ? { readonly [K in F]: number } : F extends (r: infer R) => number ? R : never;
type Any<F> = F extends string ? { readonly [K in F]: unknown } : F extends (r: infer R) => unknown ? R : never;
/** The output of first/last/topN: the type of the record's field F, resolved against the record type by AggOutput. */
export interface FieldValue<F extends string> { readonly __fieldOf: F }
type ValueAt<F> = F extends string ? FieldValue<F> : F extends (r: never) => infer V ? V : unknown;
type Resolve<O, T> = O extends FieldValue<infer F> ? (F extends keyof T ? T[F] : unknown)
  : O extends { value: FieldValue<infer F> }[] ? { value: F extends keyof T ? T[F] : unknown; count: number }[] : O;

export function sum<R>(expr: (r: R) => number): Agg<R, number>;
export function sum<F extends string>(field: F): Agg<Num<F>, number>;
export function sum(from: string | ((r: never) => number)): Agg<never, number> {
  return spec('sum', from);
}
/** Smallest value; null for a window without one. */
export function min<R>(expr: (r: R) => number): Agg<R, number>;
export function min<F extends string>(field: F): Agg<Num<F>, number>;
export function min(from: string | ((r: never) => number)): Agg<never, number> {
  return spec('min', from);
}
export function max<R>(expr: (r: R) => number): Agg<R, number>;
export function max<F extends string>(field: F): Agg<Num<F>, number>;
export function max(from: string | ((r: never) => number)): Agg<never, number> {
  return spec('max', from);
}
export function avg<R>(expr: (r: R) => number): Agg<R, number>;
export function avg<F extends string>(field: F): Agg<Num<F>, number>;
export function avg(from: string | ((r: never) => number)): Agg<never, number> {
  return spec('avg', from);
}
/** Population variance. */
export function variance<R>(expr: (r: R) => number): Agg<R, number>;
export function variance<F extends string>(field: F): Agg<Num<F>, number>;
export function variance(from: string | ((r: never) => number)): Agg<never, number> {
  return spec('variance', from);
}
/** Population standard deviation. */
export function stddev<R>(expr: (r: R) => number): Agg<R, number>;
export function stddev<F extends string>(field: F): Agg<Num<F>, number>;
export function stddev(from: string | ((r: never) => number)): Agg<never, number> {
  return spec('stddev', from);
}
/** The value of the record with the smallest event time (the earliest arrival among equal times). */
export function first<F extends string | ((r: never) => unknown)>(from: F): Agg<Any<F>, ValueAt<F>> {
  return spec('first', from);
}
/** The value of the record with the largest event time (the latest arrival among equal times). */
export function last<F extends string | ((r: never) => unknown)>(from: F): Agg<Any<F>, ValueAt<F>> {
  return spec('last', from);
}
/** Exact number of distinct values (memory grows with them). */
export function countDistinct<F extends string | ((r: never) => unknown)>(from: F): Agg<Any<F>, number> {
  return spec('countDistinct', from);
}
/** Approximate number of distinct values: HyperLogLog with 2^precision registers (default 12: about 1.6% error). */
export function approxCountDistinct<F extends string | ((r: never) => unknown)>(from: F, precision = 12): Agg<Any<F>, number> {
  return spec('approxCountDistinct', from, { precision });
}
/** Approximate quantile q ∈ [0, 1] of a numeric field (relative error ≤ 1%). */
export function percentile<R>(expr: (r: R) => number, q: number): Agg<R, number>;
export function percentile<F extends string>(field: F, q: number): Agg<Num<F>, number>;
export function percentile(from: string | ((r: never) => number), q: number): Agg<never, number> {
  return spec('percentile', from, { param: q });
}
/** The n most frequent values with their counts, most frequent first (ties: smaller value first). */
export function topN<F extends string | ((r: never) => unknown)>(from: F, n: number): Agg<Any<F>, { value: ValueAt<F>; count: number }[]> {
  return spec('topN', from, { param: n });
}
/** A user aggregate that sees whole records. */
export function aggregate<R, A, O>(fn: CustomAggregate<R, A, O>): Agg<R, O> {
  return { kind: 'custom', custom: fn as unknown as CustomAggregate<never, unknown, unknown> };
}

/** The output object of an aggregate spec set. */
export type AggOutput<A, T> = { readonly [K in keyof A]: A[K] extends Agg<never, infer O> ? Resolve<O, T> : never };
