// The record being processed travels through a small Float64Array (an
// operator's `io`, src/operators/operator.ts), not as call arguments: V8
// boxes a double passed to a call it does not inline, which would be an
// allocation per record.

/** Slots of Operator.io written by the caller before processRecord: the record's event time, value and ingest time. */
export const IN_TS = 0;
export const IN_VALUE = 1;
export const IN_INGEST = 2;
/** Wall clock (epoch ms) of the current batch, set by the worker loop once per clock read. */
export const IO_NOW = 6;
/** Job pipelines (--job): byte offset of the record's row body in its ring (src/codec/row-layout.ts). */
export const IN_BODY = 7;
/** Length of an io array. Slots 3, 4 and 5 are the operator's own scratch. */
export const IO_SLOTS = 8;
