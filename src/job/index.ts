// The pipeline API a job module imports as 'sabre-stream'.
export { job } from './job.js';
export type { JobSettings, Stream, KeyedStream, WindowedStream, WindowFields } from './job.js';
export { generator, kafka, file, stdin, http, GENERATOR_FIELDS } from './sources.js';
export type { SourceSpec, JobGeneratorKind } from './sources.js';
export { toStdout, toFile, toKafka } from './sinks.js';
export type { SinkSpec } from './sinks.js';
export { tumbling, sliding, session } from './windows.js';
export {
  count, sum, min, max, avg, first, last, countDistinct, approxCountDistinct, variance, stddev, percentile, topN, aggregate,
} from './aggregates.js';
export type { Agg, CustomAggregate } from './aggregates.js';
export { valueState, listState, mapState } from './process.js';
export type { ProcessFunction, ProcessContext, ValueState, ListState, MapState, Timers } from './process.js';
export { fileTable, kafkaTable } from './lookup.js';
export type { TableSpec } from './lookup.js';
export type { FieldType, FieldsDecl, RowOf } from './fields.js';
