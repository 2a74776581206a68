import type { CounterScope, Operator, OperatorContext, OperatorTotals, StateHandle } from '../src/operators/operator.js';

/**
 * The operators of one worker, in order. Records and watermarks enter at the
 * head (each operator hands what it produces to its successor itself); the
 * lifecycle (restore, open, snapshot, processing-time tick, counters, close)
 * reaches every operator, head first. A chain runs synchronously in one
 * thread, so at a barrier every operator's state is cut at the same record.
 */
export class OperatorChain {
  readonly head: Operator;
  /** The one operator that keeps state: a worker's snapshot file holds one operator's state today. */
  private readonly stateful: Operator | undefined;

  constructor(readonly operators: readonly Operator[]) {
    if (operators.length === 0) throw new Error('an operator chain needs an operator');
    this.head = operators[0]!;
    const stateful = operators.filter((o) => o.snapshotState !== undefined);
    if (stateful.length > 1) throw new Error(`one stateful operator per chain (a snapshot file holds one): ${stateful.map((o) => o.name).join(', ')}`);
    this.stateful = stateful[0];
  }

  restore(files: readonly StateHandle[]): void {
    this.stateful?.restoreState?.(files);
  }

  open(ctx: OperatorContext): void {
    for (const o of this.operators) o.open?.(ctx);
  }

  /** The bytes of the worker's snapshot file for checkpoint `id` (empty if nothing keeps state); of one of its partitions only when given. */
  snapshot(id: number, partition?: number): Uint8Array {
    return this.stateful?.snapshotState?.(id, partition) ?? new Uint8Array(0);
  }

  onProcessingTime(now: number): void {
    for (let i = 0; i < this.operators.length; i++) this.operators[i]!.onProcessingTime?.(now);
  }

  endOfBatch(input: number, counters: CounterScope): void {
    for (let i = 0; i < this.operators.length; i++) this.operators[i]!.endOfBatch?.(input, counters);
  }

  publishCounters(counters: CounterScope): void {
    for (let i = 0; i < this.operators.length; i++) this.operators[i]!.publishCounters?.(counters);
  }

  /** Close every operator; the sum of their totals. */
  close(): OperatorTotals {
    const sum: OperatorTotals = { results: 0, late: 0, keys: 0 };
    for (const o of this.operators) {
      const t = o.close?.();
      if (t === undefined) continue;
      sum.results += t.results;
      sum.late += t.late;
      sum.keys += t.keys;
    }
    return sum;
  }
}
