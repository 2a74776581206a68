// The generator's record kinds for job modules (generator('card-txns'),
// generator('market'); their fields are GENERATOR_FIELDS in
// src/job/sources.ts). Each kind draws records into one reused object from
// the xorshift32 sequence of the seed alone, so the records are the same
// whatever the partitions and workers, and replaying the draws resumes at
// any index. Event time is the built-in generator's: the simulated clock
// (SIM_EPOCH_MS + i / --events-per-ms) minus a jitter up to --disorder, or
// the intended send time under --rate.
import type { JobGeneratorKind } from '../../job/sources.js';
import type { JobPlan } from '../../job/plan.js';
import { RowProjector } from '../../codec/row-writer.js';
import { WRITE_OK, type PartitionedWriter } from '../../partition/partitioned-writer.js';
import { PooledRow } from '../../partition/pooled-row.js';
import { CLOCK_NOW, CLOCK_START, GeneratorSource, type GeneratorOptions, type RecordBurst } from './generator-source.js';
import { SIM_EPOCH_MS } from './trade-model.js';
import { Xorshift32, uniform } from './xorshift32.js';

/** A job generator's settings: the built-in generator's, with a job kind instead of trades/cards. */
export interface JobRecordOptions extends Omit<GeneratorOptions, 'kind' | 'keyBytes'> {
  kind: JobGeneratorKind;
}

/** One card transaction (the fraud example's input). */
export interface CardTxn { card: string; merchant: string; amount: number; status: string; at: number }
/** One trade (the market-bars example's input). */
export interface MarketTrade { symbol: string; price: number; qty: number; side: string; at: number }

export const MERCHANTS = 500;
/** One record in this many starts a decline burst on a card: three declines, then an approval. */
const BURST_EVERY = 2500;
const BURST_DECLINES = 3;
/** Per mille: approved below 920, declined below 990, else test. */
const APPROVED_PERMILLE = 920;
const DECLINED_PERMILLE = 990;

const STATUSES = ['approved', 'declined', 'test'] as const;
const STATUS_APPROVED = 0;
const STATUS_DECLINED = 1;
const STATUS_TEST = 2;
const SIDES = ['buy', 'sell'] as const;

/** A string field of a kind, whose values come from a fixed pool. */
export interface PooledField { readonly name: string; readonly values: readonly string[] }

/** Draws a kind's records, in order, into `record` (one object, rewritten by every draw). */
export interface JobRecordModel {
  readonly record: CardTxn | MarketTrade;
  /** Draw the next record's fields; its event time is `at` minus `jitter` (set by the caller). */
  draw(): void;
  readonly jitter: number;
  /** The kind's string fields; after a draw, record[pooled[k].name] is pooled[k].values[ids[k]]. */
  readonly pooled: readonly PooledField[];
  readonly ids: Int32Array;
}

export function jobRecordModel(o: Pick<JobRecordOptions, 'kind' | 'seed' | 'keys' | 'disorder'>): JobRecordModel {
  return o.kind === 'card-txns' ? new CardTxnModel(o.seed, o.keys, o.disorder) : new MarketModel(o.seed, o.keys, o.disorder);
}

class CardTxnModel implements JobRecordModel {
  readonly record: CardTxn = { card: '', merchant: '', amount: 0, status: '', at: 0 };
  jitter = 0;
  readonly pooled: readonly PooledField[];
  /** card, merchant, status. */
  readonly ids = new Int32Array(3);
  private readonly rng: Xorshift32;
  private readonly cards: string[];
  private readonly merchants: string[];
  /** Cards most records go to (a hot tenth), so some cards see many transactions. */
  private readonly hot: number;
  private burstCard = 0;
  private burstLeft = 0;

  constructor(seed: number, private readonly keys: number, private readonly disorder: number) {
    this.rng = new Xorshift32(seed);
    this.cards = Array.from({ length: keys }, (_, k) => `CARD${k}`);
    this.merchants = Array.from({ length: MERCHANTS }, (_, m) => `M${m}`);
    this.hot = Math.max(1, Math.floor(keys / 10));
    this.pooled = [{ name: 'card', values: this.cards }, { name: 'merchant', values: this.merchants }, { name: 'status', values: STATUSES }];
  }

  draw(): void {
    const rng = this.rng;
    const r1 = rng.nextInt32();
    const r2 = rng.nextInt32();
    const r3 = rng.nextInt32();
    const r4 = rng.nextInt32();
    const r5 = rng.nextInt32();
    const rec = this.record;
    const ids = this.ids;
    const m = uniform(r2, MERCHANTS);
    ids[1] = m;
    rec.merchant = this.merchants[m]!;
    rec.amount = (100 + uniform(r3, 199_901)) / 100;
    this.jitter = uniform(r5, this.disorder + 1);
    let k: number;
    let status: number;
    if (this.burstLeft > 0) {
      // A burst: the same card, declined BURST_DECLINES times in a row, then approved.
      k = this.burstCard;
      this.burstLeft--;
      status = this.burstLeft > 0 ? STATUS_DECLINED : STATUS_APPROVED;
    } else {
      k = (r1 & 1) === 0 ? uniform(r1, this.hot) : uniform(r1, this.keys);
      if (uniform(r4, BURST_EVERY) === 0) {
        this.burstCard = k;
        this.burstLeft = BURST_DECLINES;
        status = STATUS_DECLINED;
      } else {
        const permille = uniform(r4 ^ r2, 1000);
        status = permille < APPROVED_PERMILLE ? STATUS_APPROVED : permille < DECLINED_PERMILLE ? STATUS_DECLINED : STATUS_TEST;
      }
    }
    ids[0] = k;
    ids[2] = status;
    rec.card = this.cards[k]!;
    rec.status = STATUSES[status]!;
  }
}

class MarketModel implements JobRecordModel {
  readonly record: MarketTrade = { symbol: '', price: 0, qty: 0, side: '', at: 0 };
  jitter = 0;
  readonly pooled: readonly PooledField[];
  /** symbol, side. */
  readonly ids = new Int32Array(2);
  private readonly rng: Xorshift32;
  private readonly symbols: string[];
  /** Each symbol's price in cents: a random walk pulled back towards 100.00. */
  private readonly cents: Int32Array;

  constructor(seed: number, private readonly keys: number, private readonly disorder: number) {
    this.rng = new Xorshift32(seed);
    this.symbols = Array.from({ length: keys }, (_, k) => `SYM${k}`);
    this.cents = new Int32Array(keys).fill(10_000);
    this.pooled = [{ name: 'symbol', values: this.symbols }, { name: 'side', values: SIDES }];
  }

  draw(): void {
    const rng = this.rng;
    const r1 = rng.nextInt32();
    const r2 = rng.nextInt32();
    const r3 = rng.nextInt32();
    const r4 = rng.nextInt32();
    const k = uniform(r1, this.keys);
    const rec = this.record;
    let c = this.cents[k]! + uniform(r2, 21) - 10;
    // One step in four leans back towards 100.00, so prices wander but stay around it.
    if ((r2 & 3) === 0) c += c > 10_000 ? -5 : c < 10_000 ? 5 : 0;
    if (c < 1) c = 1;
    this.cents[k] = c;
    const side = r3 & 1;
    this.ids[0] = k;
    this.ids[1] = side;
    rec.symbol = this.symbols[k]!;
    rec.price = c / 100;
    rec.qty = 1 + uniform(r3, 1000);
    rec.side = SIDES[side]!;
    this.jitter = uniform(r4, this.disorder + 1);
  }
}

/**
 * The hot loop for a job generator (GeneratorSource paces it): draw the
 * next record and write it. When the job's fields are the kind's own (the
 * usual case), the record goes out as a PooledRow: numbers copied from the
 * model, strings as pool indexes whose bytes and hashes were computed once.
 * Otherwise (fields renamed or retyped, a key function or several key
 * fields) it goes through the job's RowProjector like a parsed record.
 */
class JobRecordBurst implements RecordBurst {
  i = 0;
  readonly clock = new Float64Array(2);
  private readonly model: JobRecordModel;
  /** A record drawn but refused by a full ring: written first next time, not drawn again. */
  private pending = false;
  private readonly pooledRow: PooledRow | undefined;
  /** Copies the drawn record into pooledRow (compiled for the job's layout: see pooledFill). */
  private readonly fill: ((rec: object, ids: Int32Array, row: PooledRow) => void) | undefined;

  constructor(private readonly o: JobRecordOptions, private readonly writer: PartitionedWriter, private readonly projector: RowProjector) {
    this.model = jobRecordModel(o);
    const pooled = pooledFill(projector, this.model);
    this.pooledRow = pooled?.row;
    this.fill = pooled?.fill;
    const startAt = o.startAt ?? 0;
    for (let k = 0; k < startAt; k++) this.model.draw();
    this.i = startAt;
  }

  /**
   * The kind's own record refused by the writer (a time out of range): a bug, not bad input, so the run
   * fails — retrying it as if its ring were full would spin forever writing nothing.
   */
  private refused(r: number, i: number): never {
    const why = this.writer.rejection(r);
    throw new Error(`generator ${this.o.kind}: record ${i} refused: ${why ? `${why.fault}: ${why.detail}` : `write result ${r}`}`);
  }

  run(target: number): number {
    const { model, writer, projector } = this;
    // Pooled rows when the layout allows (see pooledFill), else the projector; one branch a record, always the same way.
    const row = this.pooledRow;
    const fill = this.fill;
    const rec = model.record;
    const ids = model.ids;
    const rate = this.o.rate;
    const msPerRecord = rate > 0 ? 1000 / rate : 0;
    const epm = this.o.eventsPerMs;
    const start = this.clock[CLOCK_START]!;
    const now = this.clock[CLOCK_NOW]!;
    let pending = this.pending;
    let full = -1;
    let i = this.i;
    for (; i < target; i++) {
      if (!pending) {
        model.draw();
        rec.at = rate > 0 ? Math.floor(start + i * msPerRecord) - model.jitter : SIM_EPOCH_MS + Math.floor(i / epm) - model.jitter;
        if (row !== undefined) {
          fill!(rec, ids, row);
          row.next();
        } else if (!projector.extract(rec)) {
          // The kind's records always have its fields: a refusal means the job declared fields the kind has not (fails the run).
          throw new Error(`generator ${this.o.kind}: ${projector.fault}: ${projector.detail}`);
        }
      }
      pending = false;
      const ingest = rate > 0 ? start + i * msPerRecord : now;
      const r = row !== undefined ? writer.writePooledRow(row, ingest) : writer.writeRow(projector, ingest);
      if (r !== WRITE_OK) {
        if (r < 0) this.refused(r, i);
        full = r;
        pending = true;
        break;
      }
    }
    this.i = i;
    this.pending = pending;
    return full;
  }
}

/**
 * The PooledRow of a job over a model and the function that fills it from a
 * drawn record, or undefined when the job's fields are not the kind's own
 * (a field renamed by a path, retyped, or missing), or its key is not one
 * string field or none. The fill is compiled per layout, so each number is a
 * named load and a store (no per-field loop, no boxing).
 */
function pooledFill(projector: RowProjector, model: JobRecordModel): { row: PooledRow; fill: (rec: object, ids: Int32Array, row: PooledRow) => void } | undefined {
  const { layout, keySpec } = projector;
  const rec = model.record as unknown as Record<string, unknown>;
  const pools: (readonly string[])[] = new Array<readonly string[]>(layout.strCount);
  const steps: string[] = [];
  for (let i = 0; i < layout.fields.length; i++) {
    const f = layout.fields[i]!;
    if (f.path.length !== 1) return undefined;
    const name = f.path[0]!;
    const k = model.pooled.findIndex((p) => p.name === name);
    if (f.type === 'string') {
      if (k < 0) return undefined;
      const s = layout.strSlot[i]!;
      pools[s] = model.pooled[k]!.values;
      steps.push(`id[${s}] = ids[${k}];`);
    } else if ((f.type === 'number' || f.type === 'time') && k < 0 && typeof rec[name] === 'number') {
      steps.push(`num[${layout.numSlot[i]!}] = rec[${JSON.stringify(name)}];`);
    } else {
      return undefined;
    }
  }
  let keySlot = -1;
  if (keySpec.kind === 'fields') {
    const i = keySpec.fields.length === 1 ? layout.fields.findIndex((f) => f.name === keySpec.fields[0]) : -1;
    if (i < 0 || layout.strSlot[i]! < 0) return undefined;
    keySlot = layout.strSlot[i]!;
  } else if (keySpec.kind !== 'none') {
    return undefined;
  }
  const row = new PooledRow(layout, projector.timeSlot, pools, keySlot);
  const fill = new Function('rec', 'ids', 'row', `const num = row.num;\nconst id = row.id;\n${steps.join('\n')}`) as
    (rec: object, ids: Int32Array, row: PooledRow) => void;
  return { row, fill };
}

/** The generator source of a job whose source is generator(kind): GeneratorSource's pacing over the kind's records. */
export function jobGeneratorSource(o: JobRecordOptions, plan: JobPlan): GeneratorSource<JobRecordOptions> {
  return new GeneratorSource(o, (opts, writer) => new JobRecordBurst(opts, writer, RowProjector.of(plan)));
}
