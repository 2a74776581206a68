// bench:pipeline's `bars` job: one-second OHLC bars with volume and VWAP per
// symbol over the market generator (bench/baselines/pipeline-bars.ts is the
// same logic written plainly in Node).
import { job, generator, tumbling, first, last, max, min, sum } from '../../src/index.js';

export default job({ source: generator('market', { keys: 1000, eventsPerMs: 100, disorder: 50 }), outOfOrderness: 100 })
  .keyBy('symbol')
  .window(tumbling('1s'))
  .aggregate({
    open: first('price'), close: last('price'), high: max('price'), low: min('price'),
    vol: sum('qty'), pv: sum((t: { price: number; qty: number }) => t.price * t.qty),
  })
  .map((b) => ({ ...b, vwap: b.pv / b.vol }));
