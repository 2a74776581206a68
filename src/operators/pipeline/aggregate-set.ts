// The accumulators of a job window's `.aggregate({ name: spec, ... })`, as one
// UserAggregate the window operator keeps per (key, window). The window stage
// sets `record` and io[0] (its event time) before each add; the operator's
// own number argument is not used.
import type { AggSpec, CustomAggregate } from '../../job/aggregates.js';
import type { UserAggregate } from '../../state/user-aggregate.js';
import { SabreError } from '../../errors.js';
import {
  K_APPROX, K_AVG, K_COUNT, K_CUSTOM, K_DISTINCT, K_FIRST, K_LAST, K_MAX, K_MIN, K_PERCENTILE, K_STDDEV, K_SUM, K_TOPN,
  K_VARIANCE, TAG_NONE, layoutAggregates, type AggSlot,
} from './aggregate-layout.js';
import { compileAdd, type Acc, type RowNumbers } from './aggregate-add.js';
import { compileResult, type ResultStep } from './aggregate-result.js';
import type { RowLayout } from '../../codec/row-layout.js';
import { hllMerge } from './hyperloglog.js';
import { QuantileSketch, type SavedSketch } from './quantile-sketch.js';
import { loadCounts, mergeCounts, saveCounts } from './top-n.js';
import { decodeValue, encodeValue, type SavedValue } from './value-codec.js';

export type { Acc } from './aggregate-add.js';

/**
 * An accumulator as checkpoints hold it: acc.f as base64 (bit-exact,
 * infinities too), then each object's saved form; `panes: 1` when its
 * distinct sets hold the window's own pane only (AggregateSet.panes).
 */
export interface SavedAcc { f: string; o: unknown[]; panes?: 1 }

/** How the set's window assigns records (AggregateSet's options). */
export interface AggregateSetOptions {
  /**
   * The window is sliding with a size a multiple of its slide: exact
   * distinct counts are kept per pane (UserAggregate.panes), so a record's
   * value goes into one set instead of size ÷ slide of them.
   */
  readonly panes?: boolean;
}

const EMPTY: readonly Acc[] = [];

type Custom = CustomAggregate<never, unknown, unknown>;

export class AggregateSet implements UserAggregate<Acc> {
  readonly name = 'aggregate-set';
  /** The record being added (a row view or a plain object), set by the window stage before each add. */
  record: unknown = undefined;
  /** io[0]: that record's event time (a Float64Array, so setting it never boxes). */
  readonly io = new Float64Array(1);
  /** The row view whose record `record` is (its numbers are read in place), or null. */
  row: RowNumbers | null = null;
  /** The record's non-numeric fields the set reads and its expressions' other values, loaded once per record by prepare(). */
  readonly vals: unknown[] = [];
  /** Its numeric aggregates' expression values (NaN: not a number), loaded once per record by prepare(). */
  readonly nums: Float64Array;
  /** Once per record, before its adds: run its expressions (and with `row` set, load its non-numeric fields); undefined: nothing to do. */
  readonly prepare: (() => void) | undefined;
  /** Fold `record` into acc (generated per set: see aggregate-add.ts); `ownPane`: see UserAggregate.panes. */
  readonly add: (acc: Acc, _value: number, ownPane?: boolean) => Acc;
  /** Its exact distinct counts are kept per pane (AggregateSetOptions.panes, and the set has one). */
  readonly panes: boolean;
  private readonly slots: readonly AggSlot[];
  /** The values into a result (generated per set: see aggregate-result.ts). */
  private readonly resultInto: ResultStep;
  private readonly f0: Float64Array;
  private readonly objects: number;

  /** `rows`: the layout of the job's row bodies, when records may come as row views (see `row`). */
  constructor(specs: Readonly<Record<string, AggSpec>>, rows?: RowLayout, options: AggregateSetOptions = {}) {
    const layout = layoutAggregates(specs);
    this.slots = layout.slots;
    this.panes = options.panes === true && this.slots.some((s) => s.kind === K_DISTINCT);
    this.f0 = layout.f0;
    this.objects = layout.objects;
    this.nums = new Float64Array(this.slots.length);
    const compiled = compileAdd(this.slots, this, rows);
    this.add = compiled.add;
    this.prepare = compiled.prepare;
    this.resultInto = compileResult(this.slots);
  }

  init(): Acc {
    const o: unknown[] = new Array<unknown>(this.objects).fill(undefined);
    for (const s of this.slots) {
      switch (s.kind) {
        case K_DISTINCT: o[s.o] = new Set<unknown>(); break;
        case K_APPROX: o[s.o] = new Uint8Array(1 << s.param); break;
        case K_PERCENTILE: o[s.o] = new QuantileSketch(); break;
        case K_TOPN: o[s.o] = new Map<unknown, number>(); break;
        case K_CUSTOM: o[s.o] = (s.spec.custom as Custom).init(); break;
        default: break;
      }
    }
    return { f: this.f0.slice(), o };
  }

  /** `acc` of a purged window back at init()'s state (objects cleared in place; a custom aggregate's made anew). */
  reset(acc: Acc): Acc {
    const f = acc.f;
    const f0 = this.f0;
    for (let i = 0; i < f0.length; i++) f[i] = f0[i]!;
    const o = acc.o;
    for (const s of this.slots) {
      switch (s.kind) {
        case K_DISTINCT: o[s.o] = new Set<unknown>(); break; // clear() is a runtime call that allocates a table anyway
        case K_APPROX: (o[s.o] as Uint8Array).fill(0); break;
        case K_PERCENTILE: o[s.o] = new QuantileSketch(); break;
        case K_TOPN: o[s.o] = new Map<unknown, number>(); break;
        case K_FIRST: case K_LAST: o[s.o] = undefined; break;
        case K_CUSTOM: o[s.o] = (s.spec.custom as Custom).init(); break;
        default: break;
      }
    }
    return acc;
  }

  /** Fold b into a (session windows merging; a and b may hold records of any times). */
  merge(a: Acc, b: Acc): Acc {
    const fa = a.f;
    const fb = b.f;
    for (const s of this.slots) {
      const f = s.f;
      const o = s.o;
      switch (s.kind) {
        case K_COUNT: case K_SUM: fa[f]! += fb[f]!; break;
        case K_MIN: fa[f]! += fb[f]!; if (fb[f + 1]! < fa[f + 1]!) fa[f + 1] = fb[f + 1]!; break;
        case K_MAX: fa[f]! += fb[f]!; if (fb[f + 1]! > fa[f + 1]!) fa[f + 1] = fb[f + 1]!; break;
        case K_AVG: fa[f]! += fb[f]!; fa[f + 1]! += fb[f + 1]!; break;
        case K_VARIANCE: case K_STDDEV: mergeMoments(fa, fb, f); break;
        case K_FIRST: case K_LAST: {
          if (fb[f + 2] === TAG_NONE) break;
          // Equal times: first keeps a's (a holds the earlier records when windows merge in start order), last takes b's.
          const take = fa[f + 2] === TAG_NONE || (s.kind === K_FIRST ? fb[f]! < fa[f]! : fb[f]! >= fa[f]!);
          if (take) {
            fa[f] = fb[f]!;
            fa[f + 1] = fb[f + 1]!;
            fa[f + 2] = fb[f + 2]!;
            a.o[o] = b.o[o];
          }
          break;
        }
        case K_DISTINCT: { const set = a.o[o] as Set<unknown>; for (const v of b.o[o] as Set<unknown>) set.add(v); break; }
        case K_APPROX: hllMerge(a.o[o] as Uint8Array, b.o[o] as Uint8Array); break;
        case K_PERCENTILE: (a.o[o] as QuantileSketch).merge(b.o[o] as QuantileSketch); break;
        case K_TOPN: mergeCounts(a.o[o] as Map<unknown, number>, b.o[o] as Map<unknown, number>); break;
        case K_CUSTOM: a.o[o] = (s.spec.custom as Custom).merge(a.o[o], b.o[o]); break;
        default: break;
      }
    }
    return a;
  }

  /**
   * { name: value } in spec order, into `out` when given (a window result
   * being built). With `panes`, later[0..n) are the accumulators of the
   * key's windows that start after acc's and before its end.
   */
  result(acc: Acc, out: Record<string, unknown> = {}, later: readonly Acc[] = EMPTY, n = 0): Record<string, unknown> {
    return this.resultInto(acc, out, later, n);
  }

  save(acc: Acc): SavedAcc {
    const o: unknown[] = [];
    for (const s of this.slots) {
      if (s.o < 0) continue;
      const obj = acc.o[s.o];
      switch (s.kind) {
        case K_FIRST: case K_LAST: o[s.o] = obj === undefined ? null : encodeValue(obj); break;
        case K_DISTINCT: o[s.o] = Array.from(obj as Set<unknown>, encodeValue); break;
        case K_APPROX: o[s.o] = Buffer.from(obj as Uint8Array).toString('base64'); break;
        case K_PERCENTILE: o[s.o] = (obj as QuantileSketch).save(); break;
        case K_TOPN: o[s.o] = saveCounts(obj as Map<unknown, number>); break;
        default: o[s.o] = obj; break; // custom: its accumulator, JSON-stringified as a plain user aggregate's is
      }
    }
    const f = Buffer.from(acc.f.buffer, acc.f.byteOffset, acc.f.byteLength).toString('base64');
    return this.panes ? { f, o, panes: 1 } : { f, o };
  }

  load(json: unknown): Acc {
    const saved = json as Partial<SavedAcc> | null;
    const bytes = typeof saved?.f === 'string' ? Buffer.from(saved.f, 'base64') : undefined;
    if (bytes === undefined || bytes.length !== this.f0.byteLength || !Array.isArray(saved!.o) || saved!.o.length !== this.objects) {
      mismatch();
    }
    if (this.panes !== (saved!.panes === 1)) {
      // Whole-window sets unioned with later windows' would count values past the window's end; own-pane sets alone miss some.
      throw new SabreError('ERR_CHECKPOINT_CORRUPT', this.panes
        ? 'the checkpoint\'s sliding windows keep whole distinct-count sets (written by a Sabre before distinct counts were kept per pane): restore it with that Sabre, or start without it'
        : 'the checkpoint keeps distinct counts per pane of a sliding window, and this job\'s window is not one: restore with the job that wrote the checkpoint, or start without it');
    }
    const f = new Float64Array(this.f0.length);
    new Uint8Array(f.buffer).set(bytes);
    const so = saved!.o;
    const o: unknown[] = new Array<unknown>(this.objects).fill(undefined);
    for (const s of this.slots) {
      if (s.o < 0) continue;
      const x = so[s.o];
      switch (s.kind) {
        case K_FIRST: case K_LAST: o[s.o] = x === null ? undefined : decodeValue(x as SavedValue); break;
        case K_DISTINCT: o[s.o] = new Set((x as SavedValue[]).map(decodeValue)); break;
        case K_APPROX: {
          const regs = new Uint8Array(Buffer.from(String(x), 'base64'));
          if (regs.length !== 1 << s.param) mismatch();
          o[s.o] = regs;
          break;
        }
        case K_PERCENTILE: o[s.o] = QuantileSketch.load(x as SavedSketch); break;
        case K_TOPN: o[s.o] = loadCounts(x as [SavedValue, number][]); break;
        default: o[s.o] = x; break;
      }
    }
    return { f, o };
  }
}

function mismatch(): never {
  throw new SabreError('ERR_CHECKPOINT_CORRUPT',
    'a window\'s aggregate state in the checkpoint does not match this job\'s aggregates: restore with the job that wrote the checkpoint, or start without it');
}

/** Chan et al.'s parallel update of (n, mean, M2) at f..f+2: fold b into a. */
function mergeMoments(a: Float64Array, b: Float64Array, f: number): void {
  const nb = b[f]!;
  if (nb === 0) return;
  const na = a[f]!;
  const n = na + nb;
  const d = b[f + 1]! - a[f + 1]!;
  a[f] = n;
  a[f + 1] = a[f + 1]! + (d * nb) / n;
  a[f + 2] = a[f + 2]! + b[f + 2]! + (d * d * na * nb) / n;
}
