// The generator's records (docs/SEMANTICS.md) as reference input: key, ts and
// value only, drawn straight from the model, not through any baseline's source.
import { TradeModel } from '../../src/io/generator/trade-model.js';
import type { RefRecord } from './reference-job.js';

export interface GeneratedRecordsOptions {
  count: number;
  keys: number;
  seed: number;
  disorder: number;
  eventsPerMs: number;
}

export function generatedRecords(opts: GeneratedRecordsOptions): RefRecord[] {
  const model = new TradeModel({ kind: 'trades', ...opts });
  const out: RefRecord[] = [];
  for (let i = 0; i < opts.count; i++) {
    model.draw();
    out.push({ key: model.keyString(model.keyIndex), ts: model.simulatedTime(i), value: model.value });
  }
  return out;
}
