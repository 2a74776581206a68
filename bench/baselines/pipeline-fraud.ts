// bench:pipeline's `fraud` baseline: bench/jobs/fraud.ts written plainly in
// Node on one thread: per card, 10 s windows sliding every second, flagged
// above FRAUD_MIN_TXNS transactions.
import type { CardTxn } from '../../src/io/generator/job-records.js';
import { FRAUD_MIN_TXNS } from '../jobs/fraud.js';
import { KeyedWindows } from './keyed-windows.js';

export interface Flag {
  card: string; start: number; end: number; fire: 'watermark';
  n: number; total: number; merchants: number; maxAmount: number;
}

interface FraudAcc { n: number; total: number; merchants: Set<string>; maxAmount: number }

export class FraudBaseline {
  private readonly windows: KeyedWindows<FraudAcc>;

  constructor(outOfOrderness: number, emit: (f: Flag) => void) {
    this.windows = new KeyedWindows<FraudAcc>(10_000, 1000, outOfOrderness,
      () => ({ n: 0, total: 0, merchants: new Set(), maxAmount: -Infinity }),
      ({ key, start, end, acc }) => {
        if (acc.n > FRAUD_MIN_TXNS) {
          emit({ card: key, start, end, fire: 'watermark', n: acc.n, total: acc.total, merchants: acc.merchants.size, maxAmount: acc.maxAmount });
        }
      });
  }

  add(t: CardTxn): void {
    if (t.status === 'test') return;
    this.windows.add(t.card, t.at, (acc) => {
      acc.n++;
      acc.total += t.amount;
      acc.merchants.add(t.merchant);
      if (t.amount > acc.maxAmount) acc.maxAmount = t.amount;
    });
  }

  end(): void {
    this.windows.end();
  }

  get late(): number {
    return this.windows.late;
  }
}
