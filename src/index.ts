// Public API: re-exports only.
export { createEngine, Engine } from './engine/engine.js';
export type { EngineOptions, RewindStats, RunSummary, SourceStats } from './engine/engine.js';
export type { WindowResult } from './codec/window-result.js';
export { SabreError } from './errors.js';
export type { ErrorCode, Fault, RecordFault } from './errors.js';
export { resolveOptions, OPTION_SPECS, optionsHelp } from './options.js';
export type { RawOptions, ResolvedOptions } from './options.js';
export { parseWindow } from './time/window-spec.js';
export type { WindowSpec } from './time/window-spec.js';
export { parseDuration } from './time/duration.js';
export type { UserAggregate } from './state/user-aggregate.js';
export { RingBuffer } from './ring/ring-buffer.js';
export type { RingHandle } from './ring/ring-buffer.js';
export { Doorbell } from './ring/doorbell.js';
export { murmur2, toPositive } from './partition/murmur2.js';
export { Partitioner } from './partition/partitioner.js';
export { TradeModel, SIM_EPOCH_MS } from './io/generator/trade-model.js';
export { Xorshift32, uniform } from './io/generator/xorshift32.js';
// The pipeline API (job modules import it as 'sabre-stream').
export * from './job/index.js';
