// The job generator kinds (card-txns, market) as text: `sabre generate`'s
// NDJSON lines and `sabre produce`'s Kafka messages. A line is the record the
// job generator writes into the rings (jobRecordModel's draw, event time as
// JobRecordBurst sets it), its fields in GENERATOR_FIELDS order, so a file or
// topic of them gives a job the input generator(kind) would.
import { jobRecordModel, type CardTxn, type JobRecordModel, type MarketTrade } from './job-records.js';
import type { JobGeneratorKind } from '../../job/sources.js';
import { SIM_EPOCH_MS } from './trade-model.js';

export interface JobRecordMessagesOptions {
  kind: JobGeneratorKind;
  seed: number;
  keys: number;
  disorder: number;
  eventsPerMs: number;
  /** > 0: event time is the intended send time at this rate from startWallMs (as the job generator under --rate). */
  rate: number;
  startWallMs: number;
}

/**
 * Record i of a job generator kind as its JSON text. Call next() for
 * i = 0, 1, 2, … in order (the model draws as it goes); `key` is then the
 * record's card or symbol (the Kafka message key, the jobs' keyBy field).
 */
export class JobRecordMessages {
  private readonly model: JobRecordModel;
  private readonly msPerRecord: number;
  key = '';

  constructor(readonly opts: JobRecordMessagesOptions) {
    this.model = jobRecordModel(opts);
    this.msPerRecord = opts.rate > 0 ? 1000 / opts.rate : 0;
  }

  next(i: number): string {
    const m = this.model;
    const o = this.opts;
    m.draw();
    const rec = m.record;
    // The same arithmetic as JobRecordBurst.run, so the times are the rings' to the millisecond.
    rec.at = o.rate > 0 ? o.startWallMs + Math.floor(i * this.msPerRecord) - m.jitter : SIM_EPOCH_MS + Math.floor(i / o.eventsPerMs) - m.jitter;
    if (o.kind === 'card-txns') {
      const t = rec as CardTxn;
      this.key = t.card;
      return `{"card":"${t.card}","merchant":"${t.merchant}","amount":${t.amount},"status":"${t.status}","at":${t.at}}`;
    }
    const t = rec as MarketTrade;
    this.key = t.symbol;
    return `{"symbol":"${t.symbol}","price":${t.price},"qty":${t.qty},"side":"${t.side}","at":${t.at}}`;
  }
}
