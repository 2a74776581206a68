// bench:pipeline baselines' input: the job generator's record sequence
// (src/io/generator/job-records.ts, the draws `sabre run --job` makes), one
// fresh plain object per record, as a Node program gets records from
// JSON.parse or a client library.
import { jobRecordModel, type CardTxn, type JobRecordModel, type MarketTrade } from '../../src/io/generator/job-records.js';
import { SIM_EPOCH_MS } from '../../src/io/generator/trade-model.js';
import type { JobGeneratorKind } from '../../src/job/sources.js';

export interface JobRecordSourceOptions {
  kind: JobGeneratorKind;
  seed: number;
  keys: number;
  disorder: number;
  eventsPerMs: number;
}

export class JobRecordSource {
  private readonly model: JobRecordModel;

  constructor(private readonly o: JobRecordSourceOptions) {
    this.model = jobRecordModel(o);
  }

  /** Record i (call for i = 0, 1, 2, … in order), on the simulated clock as the job generator stamps it. */
  next(i: number): CardTxn | MarketTrade {
    const m = this.model;
    m.draw();
    return { ...m.record, at: SIM_EPOCH_MS + Math.floor(i / this.o.eventsPerMs) - m.jitter };
  }
}
