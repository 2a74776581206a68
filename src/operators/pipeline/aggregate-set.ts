// STAND-IN (branch `pipe` only): the `agg` branch owns this file and its real
// AggregateSet (every AggKind). This one knows count/sum/min/max/avg/custom so
// the pipeline operator compiles and runs; at merge, take the `agg` version.
import type { AggSpec } from '../../job/aggregates.js';
import type { UserAggregate } from '../../state/user-aggregate.js';

type Acc = unknown[];

export class AggregateSet implements UserAggregate<Acc> {
  readonly name = 'aggregate';
  /** The record being added: set before WindowOperator.record (which calls add once per window). */
  record: unknown = undefined;
  /** io[0]: the record's event time. */
  readonly io = new Float64Array(1);
  private readonly names: string[];
  private readonly specs: AggSpec[];

  constructor(specs: Readonly<Record<string, AggSpec>>) {
    this.names = Object.keys(specs);
    this.specs = Object.values(specs);
    for (const s of this.specs) {
      if (!['count', 'sum', 'min', 'max', 'avg', 'custom'].includes(s.kind)) throw new Error(`stand-in AggregateSet: ${s.kind} needs the agg branch`);
    }
  }

  private value(s: AggSpec): number {
    const r = this.record as Record<string, unknown>;
    return Number(s.expr ? s.expr(r as never) : r[s.field!]);
  }

  init(): Acc {
    return this.specs.map((s) => (s.kind === 'custom' ? s.custom!.init() : s.kind === 'min' ? Infinity : s.kind === 'max' ? -Infinity : s.kind === 'avg' ? [0, 0] : 0));
  }

  add(acc: Acc, _value: number): Acc {
    this.specs.forEach((s, i) => {
      switch (s.kind) {
        case 'count': acc[i] = (acc[i] as number) + 1; break;
        case 'sum': acc[i] = (acc[i] as number) + this.value(s); break;
        case 'min': acc[i] = Math.min(acc[i] as number, this.value(s)); break;
        case 'max': acc[i] = Math.max(acc[i] as number, this.value(s)); break;
        case 'avg': { const a = acc[i] as number[]; a[0]! += this.value(s); a[1]! += 1; break; }
        default: acc[i] = s.custom!.add(acc[i], this.record as never, this.io[0]!);
      }
    });
    return acc;
  }

  merge(a: Acc, b: Acc): Acc {
    this.specs.forEach((s, i) => {
      switch (s.kind) {
        case 'count': case 'sum': a[i] = (a[i] as number) + (b[i] as number); break;
        case 'min': a[i] = Math.min(a[i] as number, b[i] as number); break;
        case 'max': a[i] = Math.max(a[i] as number, b[i] as number); break;
        case 'avg': { const x = a[i] as number[]; const y = b[i] as number[]; x[0]! += y[0]!; x[1]! += y[1]!; break; }
        default: a[i] = s.custom!.merge(a[i], b[i]);
      }
    });
    return a;
  }

  result(acc: Acc): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    this.specs.forEach((s, i) => {
      const v = acc[i];
      o[this.names[i]!] = s.kind === 'custom' ? s.custom!.result(v)
        : s.kind === 'avg' ? ((v as number[])[1]! > 0 ? (v as number[])[0]! / (v as number[])[1]! : null)
        : (s.kind === 'min' || s.kind === 'max') && !Number.isFinite(v) ? null : v;
    });
    return o;
  }

  save(acc: Acc): unknown {
    return acc.map((v) => (v === Infinity || v === -Infinity ? String(v) : v));
  }

  load(json: unknown): Acc {
    return (json as unknown[]).map((v) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v));
  }
}
