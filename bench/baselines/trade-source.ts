// The generator as an idiomatic Node source delivers it: one plain object per
// record, with a key string (a real source, e.g. a Kafka consumer or a JSON
// parser, hands over a fresh string per record; here the strings come from a
// table built once, which is the cheapest honest stand-in).
import { TradeModel } from '../../src/io/generator/trade-model.js';

export interface Trade {
  key: string;
  ts: number;
  value: number;
  qty: number;
  side: 'buy' | 'sell';
}

export interface TradeSourceOptions {
  keys: number;
  seed: number;
  disorder: number;
  eventsPerMs: number;
}

export class TradeSource {
  private readonly model: TradeModel;
  private readonly symbols: string[];

  constructor(opts: TradeSourceOptions) {
    this.model = new TradeModel({ kind: 'trades', ...opts });
    this.symbols = Array.from({ length: opts.keys }, (_, k) => this.model.keyString(k));
  }

  /** Record i of the sequence; must be called with i = 0, 1, 2, ... */
  next(i: number): Trade {
    const m = this.model;
    m.draw();
    // qty and side come from the model's attribute draw; the job ignores them.
    return {
      key: this.symbols[m.keyIndex]!,
      ts: m.simulatedTime(i),
      value: m.value,
      qty: (m.attr >>> 1) + 1,
      side: (m.attr & 1) === 0 ? 'buy' : 'sell',
    };
  }
}
