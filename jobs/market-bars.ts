// Market bars: one-second OHLC bars with VWAP and volume per symbol, and a
// moving-average crossover signal.
//
//   sabre run --job jobs/market-bars.ts                       # alerts on stdout
//   sabre run --job jobs/market-bars.ts --sink kafka:alerts   # alerts to Kafka
//
// Two pipelines over one source, both keyed by symbol (a job module may
// export a list of them; each sees every trade):
//  - bars: every symbol's one-second bar goes to market-bars.ndjson (in the working directory; --sinks bars=TARGET moves it); a
//    bar whose price moved more than JUMP from open to close is an alert;
//  - crossover: the fast and slow moving averages of each symbol's
//    one-second closes; when the fast one crosses the slow one, an alert.
// Alerts (objects with a `rule` field) go to the default sink.
//
// The thresholds assume the built-in generator's defaults with about 10
// trades per ms of event time over 100 symbols (both set below; --events-per-ms
// and --keys override them): about 100 trades per symbol per bar. At that
// pace alerts are a small fraction of the bars.
import {
  job, generator, toStdout, toFile, tumbling, count, sum, min, max, first, last, valueState, mapState,
} from 'sabre-stream';

/** A bar whose close is this far (relative) from its open is an alert. */
const JUMP = 0.009;
const SECOND = 1_000;
/** Moving averages over this many one-second closes. */
const FAST = 5;
const SLOW = 20;
/** The fast average must be this far (relative) above or below the slow one to count as on that side: noise inside the band crosses nothing. */
const BAND = 0.001;

const trades = job({
  source: generator('market', { keys: 100, eventsPerMs: 10 }),
  sink: toStdout(),
  sinks: { bars: toFile('market-bars.ndjson') },
  outOfOrderness: '200ms',
});

const bars = trades
  .keyBy('symbol')
  .window(tumbling('1s'))
  .aggregate({
    open: first('price'),
    high: max('price'),
    low: min('price'),
    close: last('price'),
    volume: sum('qty'),
    notional: sum((t) => t.price * t.qty),
    trades: count(),
  })
  .map((b) => ({
    symbol: b.symbol, start: b.start, end: b.end, fire: b.fire,
    open: b.open, high: b.high, low: b.low, close: b.close,
    volume: b.volume, vwap: b.notional / b.volume, trades: b.trades,
  }))
  .to('bars')
  .filter((b) => Math.abs(b.close - b.open) > JUMP * b.open)
  .map((b) => ({
    rule: 'price-jump' as const, symbol: b.symbol, at: b.end, direction: b.close > b.open ? 'up' : 'down',
    open: b.open, close: b.close, change: (b.close - b.open) / b.open,
  }));

interface Trade { symbol: string; price: number; qty: number; side: string; at: number }
interface Crossover { rule: 'ma-crossover'; symbol: string; direction: 'up' | 'down'; at: number; fast: number; slow: number }
const crossState = {
  /** Per open second: the latest trade by event time (its price closes the second). */
  open: mapState<number, { at: number; price: number }>(),
  /** The last SLOW one-second closes, oldest first. */
  closes: valueState<number[]>([]),
  /** The last second closed: trades of it or before come too late for a close. */
  closedUpTo: valueState<number>(-Infinity),
  /** Whether the fast average was last clearly above the slow one (null until it was clearly on one side). */
  fastAbove: valueState<boolean | null>(null),
};

const crossover = trades
  .keyBy('symbol')
  .process<typeof crossState, Crossover>({
    state: crossState,
    onRecord(t: Trade, ctx) {
      const sec = Math.floor(ctx.timestamp / SECOND);
      if (sec <= ctx.state.closedUpTo.get()) return;
      const last = ctx.state.open.get(sec);
      if (last === undefined || ctx.timestamp >= last.at) ctx.state.open.set(sec, { at: ctx.timestamp, price: t.price });
      // The second closes when the watermark passes its end.
      ctx.timers.eventTime((sec + 1) * SECOND);
    },
    onTimer(time, _domain, ctx) {
      const sec = time / SECOND - 1;
      const bar = ctx.state.open.get(sec);
      ctx.state.open.delete(sec);
      ctx.state.closedUpTo.set(sec);
      if (bar === undefined) return;
      const closes = [...ctx.state.closes.get(), bar.price].slice(-SLOW);
      ctx.state.closes.set(closes);
      if (closes.length < SLOW) return;
      const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
      const fast = mean(closes.slice(-FAST));
      const slow = mean(closes);
      if (Math.abs(fast - slow) <= BAND * slow) return;
      const above = fast > slow;
      const before = ctx.state.fastAbove.get();
      ctx.state.fastAbove.set(above);
      if (before !== null && before !== above) {
        ctx.emit({ rule: 'ma-crossover', symbol: ctx.key, direction: above ? 'up' : 'down', at: time, fast, slow });
      }
    },
  });

export default [bars, crossover];
