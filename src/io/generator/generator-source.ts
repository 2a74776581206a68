import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { murmur2 } from '../../partition/murmur2.js';
import { IO_INGEST, IO_TIME, IO_VALUE, WRITE_OK, type PartitionedWriter } from '../../partition/partitioned-writer.js';
import { SIM_EPOCH_MS, TradeModel, type GeneratorModelOptions } from './trade-model.js';
import { pauseFor, type Source, type SourceContext } from '../sources/source.js';
import { wallNow } from '../../time/wall-clock.js';
import { SpinPause } from './spin-pause.js';

export interface GeneratorOptions extends GeneratorModelOptions {
  /** Records per second; 0 = as fast as possible on the simulated clock. */
  rate: number;
  /** Records to produce; 0 = unbounded. */
  count: number;
  /** Stop after this many ms of wall time; 0 = unbounded. */
  durationMs: number;
  /** Resume after this many records (a checkpoint's position): the sequence continues exactly. */
  startAt?: number;
}

/** Records per burst between yields to the event loop (≈ 0.5 ms of work at full speed). */
const BURST = 4096;
/** …but at least this many records per partition, so each ring still gets a full batch per publish when P is large. */
const PER_RING = 256;
/** Throttled runs: longest stretch of pacing inside one event-loop turn (ms). */
const SLICE_MS = 0.25;
/** Throttled runs: pause between clock reads while ahead of schedule (µs), i.e. how late a record may be sent. */
const PACE_MICROS = 2;
/** slice() results other than a full partition's index. */
const SLICE_YIELD = -1;
const SLICE_SLEEP = -2;
const SLICE_END = -3;

/**
 * What GeneratorSource paces: writes records up to an index, in one
 * synchronous loop (the built-in trades/cards below; a job's record kinds in
 * job-records.ts). `clock` holds CLOCK_START and CLOCK_NOW, set by the source
 * before each run().
 */
export interface RecordBurst {
  /** Index of the next record (records written so far). */
  readonly i: number;
  readonly clock: Float64Array;
  /** Write records up to index `target`; returns -1, or the partition whose ring was full (that record is written first next time). */
  run(target: number): number;
}

/** What GeneratorSource's pacing reads: how many records, how fast, for how long, from which index. */
export type PacingOptions = Pick<GeneratorOptions, 'rate' | 'count' | 'durationMs' | 'startAt'>;

/**
 * The built-in generator (docs/SEMANTICS.md). Keys are encoded, hashed and
 * partitioned once up front, so a record costs three PRNG draws and one frame
 * write. Throttled runs stamp each record's *intended* send time as its
 * ingest time, so latency under load includes any time the generator fell
 * behind (no coordinated omission); unthrottled runs stamp the burst start.
 */
export class GeneratorSource<O extends PacingOptions = GeneratorOptions> implements Source {
  readonly name = 'generator';
  records = 0;
  pauses = 0;
  pausedMs = 0;
  private stopped = false;
  private burst: RecordBurst | undefined;

  /** `makeBurst`: what writes the records, resumed at opts.startAt; this class paces it (--rate, --count, --duration). */
  constructor(readonly opts: O, private readonly makeBurst: (o: O, writer: PartitionedWriter) => RecordBurst) {}

  /** The built-in generator (trades or cards; docs/SEMANTICS.md). */
  static builtin(opts: GeneratorOptions): GeneratorSource {
    return new GeneratorSource(opts, (o, writer) => new GeneratorBurst(o, writer));
  }

  stop(): void {
    this.stopped = true;
  }

  /** Records written so far (checkpoints run between bursts, so this is exact). */
  position(): { records: number } {
    return { records: this.burst?.i ?? this.opts.startAt ?? 0 };
  }

  async run(ctx: SourceContext): Promise<void> {
    const { writer } = ctx;
    const o = this.opts;
    const burst = this.makeBurst(o, writer);
    const burstSize = Math.max(BURST, PER_RING * writer.rings.length);
    this.burst = burst;
    if (o.rate > 0) {
      await this.runPaced(writer, burst, burstSize);
      return;
    }
    const start = wallNow();
    while (!this.stopped && (o.count === 0 || burst.i < o.count)) {
      const now = wallNow();
      if (o.durationMs > 0 && now - start >= o.durationMs) break;
      const target = o.count === 0 ? burst.i + burstSize : Math.min(o.count, burst.i + burstSize);
      burst.clock[CLOCK_START] = start;
      burst.clock[CLOCK_NOW] = now;
      const full = burst.run(target);
      this.records = burst.i;
      writer.publishAll();
      if (full >= 0) await pauseFor(this, writer, full);
      else await yieldToLoop();
    }
    this.records = burst.i;
    writer.publishAll();
  }

  /**
   * Throttled: each record is written when it is due (its intended send
   * time, which is also its ingest stamp). Within one event-loop turn the
   * generator paces for up to SLICE_MS, waiting between clock reads with a
   * spin that allocates nothing, then yields so the pump, the HTTP server and
   * timers run; a wait of a millisecond or more sleeps on a timer instead.
   * (Yielding to the event loop between every record or two, as a plain
   * async loop does at 1M records/s, allocated ~380 MB/s in promises and
   * immediates on the main thread: a scavenge every 17 ms.)
   */
  private async runPaced(writer: PartitionedWriter, burst: RecordBurst, burstSize: number): Promise<void> {
    const o = this.opts;
    const msPerRecord = 1000 / o.rate;
    const start = wallNow() - burst.i * msPerRecord;
    burst.clock[CLOCK_START] = start;
    const pause = new SpinPause(PACE_MICROS);
    while (!this.stopped && (o.count === 0 || burst.i < o.count)) {
      const r = this.slice(writer, burst, burstSize, pause);
      this.records = burst.i;
      if (r === SLICE_END) break;
      if (r >= 0) await pauseFor(this, writer, r);
      else if (r === SLICE_SLEEP) await sleep(Math.max(1, Math.floor(start + burst.i * msPerRecord - wallNow())));
      else await yieldToLoop();
    }
    this.records = burst.i;
    writer.publishAll();
  }

  /** One event-loop turn of paced writing: returns a SLICE_* code, or the partition whose ring was full. */
  private slice(writer: PartitionedWriter, burst: RecordBurst, burstSize: number, pause: SpinPause): number {
    const o = this.opts;
    const rate = o.rate;
    const start = burst.clock[CLOCK_START]!;
    const sliceEnd = wallNow() + SLICE_MS;
    for (;;) {
      const now = wallNow();
      if (o.durationMs > 0 && now - start >= o.durationMs) return SLICE_END;
      let target = Math.floor(((now - start) * rate) / 1000) + 1;
      if (o.count > 0 && target > o.count) target = o.count;
      if (target > burst.i) {
        if (target > burst.i + burstSize) target = burst.i + burstSize;
        burst.clock[CLOCK_NOW] = now;
        const full = burst.run(target);
        writer.publishAll();
        if (full >= 0) return full;
        if (o.count > 0 && burst.i >= o.count) return SLICE_END;
        if (this.stopped) return SLICE_YIELD;
      }
      if (now >= sliceEnd) return SLICE_YIELD;
      if (start + (burst.i * 1000) / rate - now >= 1) return SLICE_SLEEP;
      pause.pause();
    }
  }
}

/** RecordBurst.clock slots: wall ms at the start of the run, and of this burst. */
export const CLOCK_START = 0;
export const CLOCK_NOW = 1;

/**
 * The generator's hot loop, kept out of the async run() so V8 optimises it
 * as a plain loop: no await inside, doubles in locals or typed arrays, one
 * frame write per record and no allocation.
 */
class GeneratorBurst implements RecordBurst {
  i = 0;
  /** CLOCK_START: wall ms at start; CLOCK_NOW: wall ms of this burst (doubles, so kept unboxed). */
  readonly clock = new Float64Array(2);
  private readonly model: TradeModel;
  private readonly arena: Uint8Array;
  private readonly keyAt: Int32Array;
  private readonly keyLen: Int32Array;
  private readonly keyHash: Int32Array;
  private readonly keyPart: Int32Array;
  /** A record drawn but refused by a full ring: written first next time, not drawn again. */
  private pending = false;

  constructor(private readonly o: GeneratorOptions, private readonly writer: PartitionedWriter) {
    this.model = new TradeModel(o);
    const keyCount = o.keys;
    // Key table: bytes in one arena, plus hash and partition per key.
    const keyStrings = Array.from({ length: keyCount }, (_, k) => this.model.keyString(k));
    this.keyLen = new Int32Array(keyCount);
    this.keyAt = new Int32Array(keyCount);
    let total = 0;
    for (let k = 0; k < keyCount; k++) { this.keyAt[k] = total; this.keyLen[k] = keyStrings[k]!.length; total += this.keyLen[k]!; }
    this.arena = new Uint8Array(total);
    for (let k = 0; k < keyCount; k++) {
      const s = keyStrings[k]!;
      for (let j = 0; j < s.length; j++) this.arena[this.keyAt[k]! + j] = s.charCodeAt(j);
    }
    this.keyHash = new Int32Array(keyCount);
    this.keyPart = new Int32Array(keyCount);
    for (let k = 0; k < keyCount; k++) {
      this.keyHash[k] = murmur2(this.arena, this.keyAt[k]!, this.keyLen[k]!);
      this.keyPart[k] = writer.partitioner.partitionOf(this.keyHash[k]!);
    }
    // Resuming: replay the PRNG to where the checkpoint left off (three draws a record, ~10 ns each).
    const startAt = o.startAt ?? 0;
    for (let k = 0; k < startAt; k++) this.model.draw();
    this.i = startAt;
  }

  /** Write records up to index `target`; returns -1, or the partition whose ring was full. */
  run(target: number): number {
    const { model, writer, arena, keyAt, keyLen, keyHash, keyPart } = this;
    const io = writer.io;
    const rate = this.o.rate;
    const msPerRecord = rate > 0 ? 1000 / rate : 0;
    const epm = this.o.eventsPerMs;
    const start = this.clock[CLOCK_START]!;
    const now = this.clock[CLOCK_NOW]!;
    const drawnValue = model.drawnValue;
    let pending = this.pending;
    let full = -1;
    let i = this.i;
    for (; i < target; i++) {
      if (!pending) model.draw();
      pending = false;
      const k = model.keyIndex;
      io[IO_TIME] = rate > 0 ? start + Math.floor(i * msPerRecord) - model.jitter : SIM_EPOCH_MS + Math.floor(i / epm) - model.jitter;
      io[IO_VALUE] = drawnValue[0]!;
      io[IO_INGEST] = rate > 0 ? start + i * msPerRecord : now;
      const r = writer.writePrepared(keyPart[k]!, keyHash[k]!, arena, keyAt[k]!, keyLen[k]!);
      if (r !== WRITE_OK) {
        full = r;
        pending = true;
        break;
      }
    }
    // State is written back once, on every exit, so no property store sits on a path V8 has never seen.
    this.i = i;
    this.pending = pending;
    return full;
  }
}
