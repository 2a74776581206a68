// bench:pipeline's `fraud` job: per card, transactions in the last 10 s
// (sliding every second), flagged when a card makes more than FRAUD_MIN_TXNS
// of them. 2 records per ms over 2000 cards puts a hot card (a tenth of the
// cards take half the records) near 50 transactions per window, so the filter
// keeps the busiest tail (bench/baselines/pipeline-fraud.ts is the same logic
// written plainly in Node).
import { job, generator, sliding, count, countDistinct, max, sum } from '../../src/index.js';

/** A window with more transactions than this is flagged. */
export const FRAUD_MIN_TXNS = 60;

export default job({ source: generator('card-txns', { keys: 2000, eventsPerMs: 2, disorder: 50 }), outOfOrderness: 100 })
  .filter((t) => t.status !== 'test')
  .keyBy('card')
  .window(sliding('10s', '1s'))
  .aggregate({ n: count(), total: sum('amount'), merchants: countDistinct('merchant'), maxAmount: max('amount') })
  .filter((w) => w.n > FRAUD_MIN_TXNS);
