// The job module of README.md ("Your own pipeline"), kept compiling.
import { job, file, toFile, tumbling, count, sum, first, last, max, min } from '../../src/job/index.js';

export default job({
  source: file('trades.ndjson', { time: 'ts', fields: { symbol: 'string', price: 'number', qty: 'number', ts: 'time' } }),
  sink: toFile('bars.ndjson'),
})
  .filter((t) => t.qty > 0)
  .keyBy('symbol')
  .window(tumbling('1s'))
  .aggregate({ open: first('price'), high: max('price'), low: min('price'), close: last('price'),
    volume: sum('qty'), pv: sum((t) => t.price * t.qty), trades: count() })
  .map((b) => ({ ...b, vwap: b.pv / b.volume }));
