// bench:pipeline's `market-bars` baseline: the whole of jobs/market-bars.ts
// written plainly in Node on one thread, with the job's thresholds (repeated
// here: the job imports 'sabre-stream', which the bench build does not
// resolve; the bench-smoke test checks both compute the same objects).
//  - bars: one-second OHLC bars with volume, VWAP and trade count per symbol,
//    every bar to the `bars` output; a bar that moved more than JUMP is an alert;
//  - crossover: each symbol's one-second closes (its latest trade by event
//    time in each second, taken when the watermark passes the second's end,
//    as the job's event-time timer does), fast and slow moving averages, an
//    alert when the fast one crosses the slow one outside the band.
// One global watermark (max event time − the job's bound) stands in for the
// engine's per-partition ones: with no late record both see the same input
// per symbol in the same order, so they compute the same outputs.
import type { MarketTrade } from '../../src/io/generator/job-records.js';
import { KeyedWindows } from './keyed-windows.js';

const JUMP = 0.009;
const SECOND = 1_000;
const FAST = 5;
const SLOW = 20;
const BAND = 0.001;

/** The job's output names: alerts go to the default output (''), every bar to `bars`. */
export type Emit = (output: '' | 'bars', record: object) => void;

interface BarAcc { firstAt: number; open: number; lastAt: number; close: number; high: number; low: number; volume: number; notional: number; trades: number }
interface CloseAcc { at: number; price: number }
interface Signal { closes: number[]; fastAbove: boolean | null }

const mean = (xs: number[], from: number): number => {
  let s = 0;
  for (let i = from; i < xs.length; i++) s += xs[i]!;
  return s / (xs.length - from);
};

export class MarketBarsBaseline {
  private readonly bars: KeyedWindows<BarAcc>;
  private readonly seconds: KeyedWindows<CloseAcc>;
  private readonly signals = new Map<string, Signal>();

  constructor(bound: number, private readonly emit: Emit) {
    this.bars = new KeyedWindows<BarAcc>(SECOND, SECOND, bound,
      () => ({ firstAt: Infinity, open: 0, lastAt: -Infinity, close: 0, high: -Infinity, low: Infinity, volume: 0, notional: 0, trades: 0 }),
      ({ key, start, end, acc: a }) => {
        emit('bars', {
          symbol: key, start, end, fire: 'watermark', open: a.open, high: a.high, low: a.low, close: a.close,
          volume: a.volume, vwap: a.notional / a.volume, trades: a.trades,
        });
        if (Math.abs(a.close - a.open) > JUMP * a.open) {
          emit('', {
            rule: 'price-jump', symbol: key, at: end, direction: a.close > a.open ? 'up' : 'down',
            open: a.open, close: a.close, change: (a.close - a.open) / a.open,
          });
        }
      });
    this.seconds = new KeyedWindows<CloseAcc>(SECOND, SECOND, bound, () => ({ at: -Infinity, price: 0 }),
      ({ key, end, acc }) => this.close(key, end, acc.price));
  }

  add(t: MarketTrade): void {
    this.bars.add(t.symbol, t.at, (a) => {
      // open: the earliest event time (ties: the first to arrive); close: the latest (ties: the last to arrive).
      if (t.at < a.firstAt) { a.firstAt = t.at; a.open = t.price; }
      if (t.at >= a.lastAt) { a.lastAt = t.at; a.close = t.price; }
      if (t.price > a.high) a.high = t.price;
      if (t.price < a.low) a.low = t.price;
      a.volume += t.qty;
      a.notional += t.price * t.qty;
      a.trades++;
    });
    this.seconds.add(t.symbol, t.at, (c) => {
      if (t.at >= c.at) { c.at = t.at; c.price = t.price; }
    });
  }

  /** A second of `symbol` closed at `at` with price `price`: the moving averages, and a crossover alert. */
  private close(symbol: string, at: number, price: number): void {
    let s = this.signals.get(symbol);
    if (s === undefined) {
      s = { closes: [], fastAbove: null };
      this.signals.set(symbol, s);
    }
    s.closes.push(price);
    if (s.closes.length > SLOW) s.closes.shift();
    if (s.closes.length < SLOW) return;
    const fast = mean(s.closes, SLOW - FAST);
    const slow = mean(s.closes, 0);
    if (Math.abs(fast - slow) <= BAND * slow) return;
    const above = fast > slow;
    const before = s.fastAbove;
    s.fastAbove = above;
    if (before !== null && before !== above) {
      this.emit('', { rule: 'ma-crossover', symbol, direction: above ? 'up' : 'down', at, fast, slow });
    }
  }

  end(): void {
    this.bars.end();
    this.seconds.end();
  }

  get late(): number {
    return this.bars.late;
  }
}
