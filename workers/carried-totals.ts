import { P_LATE, P_RESULTS, W_LATE, W_RESULTS_OUT } from '../src/metrics/counters.js';
import type { CounterScope } from '../src/operators/operator.js';

/**
 * The counters a worker's chain publishes as running totals (results, late
 * records; per partition and for the worker) restart at 0 in the fresh chain
 * a rewind builds. What the chains before it counted is carried here and
 * added after each publish, so the totals only grow (Prometheus counters),
 * and the worker's summary counts every chain's results.
 */
export class CarriedTotals {
  /** Indices into the shared counters; [0] the worker's results, [1] its late records. */
  private readonly slots: Int32Array;
  private readonly carried: Float64Array;
  /** No rewind yet: nothing to add. */
  private any = false;

  constructor(scope: CounterScope) {
    this.slots = Int32Array.from([scope.worker + W_RESULTS_OUT, scope.worker + W_LATE, ...scope.partition.flatMap((p) => [p + P_RESULTS, p + P_LATE])]);
    this.carried = new Float64Array(this.slots.length);
  }

  /** The chain is about to be replaced: its totals, just published (carried ones included), carry over. */
  carry(f64: Float64Array): void {
    for (let i = 0; i < this.slots.length; i++) this.carried[i] = f64[this.slots[i]!]!;
    this.any = true;
  }

  /** After the current chain published its own totals. */
  add(f64: Float64Array): void {
    if (!this.any) return;
    for (let i = 0; i < this.slots.length; i++) f64[this.slots[i]!]! += this.carried[i]!;
  }

  get results(): number {
    return this.carried[0]!;
  }

  get late(): number {
    return this.carried[1]!;
  }
}
