// bench:pipeline's `bars` baseline: bench/jobs/bars.ts written plainly in
// Node on one thread: one-second OHLC bars with volume and VWAP per symbol.
import type { MarketTrade } from '../../src/io/generator/job-records.js';
import { KeyedWindows } from './keyed-windows.js';

export interface Bar {
  symbol: string; start: number; end: number; fire: 'watermark';
  open: number; close: number; high: number; low: number; vol: number; pv: number; vwap: number;
}

interface BarAcc { firstAt: number; open: number; lastAt: number; close: number; high: number; low: number; vol: number; pv: number }

/** Feed trades with add(); end() fires the open bars. `emit` gets each bar. */
export class BarsBaseline {
  private readonly windows: KeyedWindows<BarAcc>;

  constructor(outOfOrderness: number, emit: (b: Bar) => void) {
    this.windows = new KeyedWindows<BarAcc>(1000, 1000, outOfOrderness,
      () => ({ firstAt: Infinity, open: 0, lastAt: -Infinity, close: 0, high: -Infinity, low: Infinity, vol: 0, pv: 0 }),
      ({ key, start, end, acc }) => emit({
        symbol: key, start, end, fire: 'watermark', open: acc.open, close: acc.close, high: acc.high, low: acc.low,
        vol: acc.vol, pv: acc.pv, vwap: acc.pv / acc.vol,
      }));
  }

  add(t: MarketTrade): void {
    this.windows.add(t.symbol, t.at, (acc) => {
      // open: the earliest event time (ties: the first to arrive); close: the latest (ties: the last to arrive).
      if (t.at < acc.firstAt) { acc.firstAt = t.at; acc.open = t.price; }
      if (t.at >= acc.lastAt) { acc.lastAt = t.at; acc.close = t.price; }
      if (t.price > acc.high) acc.high = t.price;
      if (t.price < acc.low) acc.low = t.price;
      acc.vol += t.qty;
      acc.pv += t.price * t.qty;
    });
  }

  end(): void {
    this.windows.end();
  }

  get late(): number {
    return this.windows.late;
  }
}
