// The per-record stages without state (filter, map, lookup, to), run in
// order on one record. A record may be a RowView's `record` (valid only until
// the view moves): anything that outlives the call gets a plain copy, and so
// does a filter or map whose function may keep its record (returned, stored,
// wrapped in what it returns: record-escape.ts).
import type { StatelessStage } from '../../job/plan.js';
import type { TableSpec } from '../../job/lookup.js';
import { LookupTable } from './lookup-table.js';
import { notAnObject, type Emit, type UserErrors } from './user-errors.js';
import { recordMayEscape } from './record-escape.js';

export interface StageEnv {
  readonly sinkNames: readonly string[];
  readonly emit: Emit;
  readonly errors: UserErrors;
  /** A plain object for `rec` (a copy if it is a view's record, else rec itself). */
  readonly plain: (rec: unknown) => object;
  /** Lookup tables by spec (shared by every stage that uses the same table). */
  readonly table: (spec: TableSpec<unknown>) => LookupTable;
}

export class StatelessStages {
  /** Per stage: the sink index of a `to`, else -1. */
  private readonly sinkOf: Int32Array;
  private readonly tables: (LookupTable | undefined)[];
  /** Per stage: its function (a filter's or map's) may keep the record it is given (record-escape.ts), so it gets a plain copy. */
  private readonly copies: Uint8Array;
  /** Per stage: records it passed on since the counts were last published (publish). */
  private readonly passed: Float64Array;

  constructor(private readonly stages: readonly StatelessStage[], private readonly env: StageEnv) {
    this.sinkOf = Int32Array.from(stages, (s) => (s.op === 'to' ? env.sinkNames.indexOf(s.sink) : -1));
    this.tables = stages.map((s) => (s.op === 'lookup' ? env.table(s.table) : undefined));
    this.copies = Uint8Array.from(stages, (s) => ((s.op === 'filter' || s.op === 'map') && recordMayEscape(s.fn) ? 1 : 0));
    this.passed = new Float64Array(stages.length);
  }

  get empty(): boolean {
    return this.stages.length === 0;
  }

  get length(): number {
    return this.stages.length;
  }

  /** Add each stage's count since the last call to cf[at + i], and start again from 0. */
  publish(cf: Float64Array, at: number): void {
    const passed = this.passed;
    for (let i = 0; i < passed.length; i++) {
      cf[at + i]! += passed[i]!;
      passed[i] = 0;
    }
  }

  /**
   * Run the stages on `rec` (event time `time`, newest ingest time `ingest`):
   * the record that comes out, or undefined when a filter dropped it or a
   * function threw (and the record was dead-lettered).
   */
  run(rec: unknown, time: number, ingest: number): unknown {
    const stages = this.stages;
    for (let i = 0; i < stages.length; i++) {
      const st = stages[i]!;
      try {
        switch (st.op) {
          case 'filter':
            if (!(st.fn as (r: unknown) => unknown)(this.copies[i] === 1 ? this.env.plain(rec) : rec)) return undefined;
            break;
          case 'map': {
            const out = (st.fn as (r: unknown) => unknown)(this.copies[i] === 1 ? this.env.plain(rec) : rec);
            if (out === null || typeof out !== 'object') throw notAnObject(out);
            rec = out;
            break;
          }
          case 'lookup': {
            const key = (rec as Record<string, unknown>)[st.on];
            const row = key === null || key === undefined ? null : this.tables[i]!.get(key);
            rec = { ...(rec as object), [st.as]: row };
            break;
          }
          case 'to':
            this.env.emit(this.sinkOf[i]!, this.env.plain(rec), time, ingest);
            break;
        }
        this.passed[i]!++;
      } catch (e) {
        this.env.errors.handle(st, e, this.env.plain(rec), time, ingest);
        return undefined;
      }
    }
    return rec;
  }
}
