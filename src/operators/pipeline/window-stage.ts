// The keyed 'window' stage of a job: a WindowOperator whose user aggregate is
// the job's AggregateSet. It is the window operator's Emitter: a firing
// becomes { <key fields>, start, end, fire, ...aggregates }, a record past
// allowed lateness becomes a late output of the record itself.
import { WindowOperator, type Emitter } from '../../state/window-operator.js';
import type { OperatorConfig } from '../../state/window-config.js';
import { F_MAX_INGEST, F_STRIDE, I_KEY, I_NEXT } from '../../state/window-slots.js';
import { FIRE_NAMES } from '../../state/fire-kind.js';
import type { UserAggregate } from '../../state/user-aggregate.js';
import type { AggSpec } from '../../job/aggregates.js';
import type { RowNumbers } from './aggregate-add.js';
import { OUT_LATE } from '../../codec/out-frames.js';
import { putKey, type KeyFields } from './key-fields.js';
import type { Emit, StageRef, UserErrors } from './user-errors.js';
import { recordMayEscape } from './record-escape.js';

/** What the window stage needs of an AggregateSet (src/operators/pipeline/aggregate-set.ts). */
export interface RecordAggregate extends UserAggregate {
  /** The record being added (set before WindowOperator.record, which adds it to each of its windows). */
  record: unknown;
  /** io[0]: the record's event time. */
  readonly io: Float64Array;
  /** The row view whose record `record` is, set alongside it (null: a plain object); a set that reads rows in place has it. */
  row?: RowNumbers | null;
  /** Called once per record after `record`, `row` and io[0] are set, before the adds, when the set has it (it may run user code: it may throw). */
  readonly prepare?: (() => void) | undefined;
  /**
   * The aggregates' values, written into `out` when given (then returned),
   * else into a new object. With `panes` (UserAggregate.panes) the stage
   * passes later[0..n): the accumulators of the key's windows that start
   * after acc's window and before its end.
   */
  result(acc: unknown, out?: Record<string, unknown>, later?: readonly unknown[], n?: number): unknown;
}

export interface WindowStageEnv {
  readonly keyFields: KeyFields;
  readonly errors: UserErrors;
  readonly emit: Emit;
  /** A result to pass on (after-stages, then the default sink). */
  readonly onResult: (result: Record<string, unknown>, time: number, ingest: number) => void;
  /** A plain copy of the record being processed (for the late output). */
  readonly current: () => object;
}

const decoder = new TextDecoder();

export class WindowStage implements Emitter {
  readonly window: WindowOperator;
  readonly aggregates: RecordAggregate;
  /** A custom aggregate is in the set: its result() is user code, which may throw halfway through a result. */
  private readonly hasCustom: boolean;
  /**
   * An aggregate's function may keep the record it is given (a custom
   * aggregate's add, an expression such as `last((t) => t)`; record-escape.ts):
   * the set gets plain copies, not the reused view, whose fields change with the next record.
   */
  readonly copiesRecords: boolean;
  /** Per key id (stable for the key table's life): the key's text, decoded at its first firing. */
  private readonly keyText: (string | undefined)[] = [];
  /** The later windows' accumulators of the window being fired, when the window keeps panes (reused). */
  private readonly later: unknown[] = [];

  constructor(config: OperatorConfig, aggs: Readonly<Record<string, AggSpec>>, private readonly stage: StageRef,
    makeAggregates: (aggs: Readonly<Record<string, AggSpec>>) => RecordAggregate, private readonly env: WindowStageEnv) {
    this.aggregates = makeAggregates(aggs);
    const specs = Object.values(aggs);
    this.hasCustom = specs.some((a) => a.kind === 'custom');
    this.copiesRecords = specs.some((a) => (a.custom !== undefined && recordMayEscape(a.custom.add, 1))
      || (a.expr !== undefined && recordMayEscape(a.expr)));
    this.window = new WindowOperator({ ...config, userAggregate: this.aggregates }, this);
  }

  result(op: WindowOperator, s: number, fire: number): void {
    const slots = op.slots;
    const keys = op.keys;
    const keyId = slots.int(s, I_KEY);
    let key = this.keyText[keyId];
    if (key === undefined) {
      const ko = keys.keyOffset(keyId);
      key = decoder.decode(keys.arena.subarray(ko, ko + keys.keyLength(keyId)));
      this.keyText[keyId] = key;
    }
    const out: Record<string, unknown> = {};
    putKey(this.env.keyFields, key, out);
    const start = slots.start(s);
    out.start = start;
    out.end = slots.end(s);
    out.fire = FIRE_NAMES[fire];
    const ingest = slots.f[s * F_STRIDE + F_MAX_INGEST]!;
    const n = op.panes ? this.laterWindows(op, s, keyId, start, out.end as number) : 0;
    const later = this.later;
    if (!this.hasCustom) {
      // Built-in aggregates: values straight into the result (no user code runs, so nothing throws halfway through filling it).
      const values = this.aggregates.result(slots.user[s], out, later, n);
      if (values !== out) Object.assign(out, values);
      this.env.onResult(out, start, ingest);
      return;
    }
    let values: unknown;
    try {
      values = this.aggregates.result(slots.user[s], undefined, later, n);
    } catch (e) {
      this.env.errors.handle(this.stage, e, out, start, ingest);
      return;
    }
    Object.assign(out, values);
    this.env.onResult(out, start, ingest);
  }

  /**
   * Into this.later: the accumulators of the key's windows starting in
   * (start, end), whose own panes complete window s (UserAggregate.panes).
   * They outlive s: their ends are later. Returns how many.
   */
  private laterWindows(op: WindowOperator, s: number, keyId: number, start: number, end: number): number {
    const slots = op.slots;
    const later = this.later;
    let n = 0;
    for (let x = op.keys.firstWindow(keyId); x >= 0; x = slots.int(x, I_NEXT)) {
      const sx = slots.start(x);
      if (x !== s && sx > start && sx < end) later[n++] = slots.user[x];
    }
    // Drop references past n, so a fired window's accumulators are not kept alive here.
    for (let i = n; i < later.length; i++) later[i] = undefined;
    return n;
  }

  late(_hash: number, _src: Uint8Array, _keyStart: number, _keyLen: number, ts: number, _value: number,
    ingest: number, watermark: number): void {
    this.env.emit(OUT_LATE, { ...this.env.current(), reason: 'late', watermark }, ts, ingest);
  }
}
