import type { RingBuffer } from '../ring/ring-buffer.js';
import { PRODUCER_WAITING } from '../ring/layout.js';
import { FRAME_HEADER_BYTES, F_BODY_LEN, F_HASH, F_INGEST, F_KIND, F_TIME, KIND_BARRIER, KIND_END, KIND_RECORD, KIND_REWIND, KIND_STOP, KIND_WATERMARK } from '../codec/frame.js';
import { TIME_AT, VALUE_AT, encodeUtf8, recordBodyBytes, utf8Length, writeKeyBytes, writeRecordLayout } from '../codec/record-writer.js';
import { rowBodyBytes } from '../codec/row-layout.js';
import type { RowProjector } from '../codec/row-writer.js';
import type { PooledRow } from './pooled-row.js';
import { murmur2 } from './murmur2.js';
import type { Partitioner } from './partitioner.js';
import { Counters, P_RECORDS_IN } from '../metrics/counters.js';
import { badTimeDetail, futureTimeDetail, isEventTime } from '../time/event-time-range.js';
import type { RecordFault } from '../errors.js';

/** writeX() results other than a full partition's index. */
export const WRITE_OK = -1;
export const WRITE_TOO_LARGE = -2;
/** The event time is outside the range of src/time/event-time-range.ts (dead-letter reason `bad-time`). */
export const WRITE_BAD_TIME = -3;
/** The event time is more than --max-future-skew ahead of the ingest time (dead-letter reason `future-time`). */
export const WRITE_FUTURE_TIME = -4;
/** The key belongs to another partition than `inputPartition` (dead-letter reason `wrong-partition`). */
export const WRITE_WRONG_PARTITION = -5;

/**
 * Slots of PartitionedWriter.io: a record's doubles are handed over in this
 * array, not as arguments, because V8 boxes a double passed to a call it does
 * not inline — an allocation per record on the hottest path.
 */
export const IO_TIME = 0;
export const IO_VALUE = 1;
export const IO_INGEST = 2;
const IO_MAX_TIME = 3;

interface SpaceWaiter {
  partition: number;
  /** Barrier insertion waits for space even while sources are held. */
  control: boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * The main thread's side of the data path: hash a key, pick its partition,
 * write the frame into that partition's ring. Writes are published per ring
 * once `maxBatch` frames are pending or when the caller calls publishAll()
 * at the end of what it has right now — so a lone record goes out at once
 * and a burst goes out in batches. Never blocks: a full ring is reported and
 * the caller awaits waitForSpace().
 */
export class PartitionedWriter {
  /** Scratch for encoding a key before its partition (hence its ring) is known. */
  private scratch = new Uint8Array(4096);
  private readonly dirty: Int32Array;
  private dirtyCount = 0;
  private readonly isDirty: Uint8Array;
  private waiters: SpaceWaiter[] = [];
  private heldWaiters: SpaceWaiter[] = [];
  /** While true every record write reports its partition as full: a checkpoint is recording positions and barriers. */
  private held = false;
  private holds = 0;
  private failure: unknown = undefined;
  /** The last frame-into-every-ring write (BARRIER, REWIND, END/STOP): the next one starts after it. */
  private controlAll: Promise<void> = Promise.resolve();
  /** Wall clock (ms) of the last record written per partition (idle detection). */
  readonly lastWrite: Float64Array;
  /** io[IO_MAX_TIME]: largest event time written (the source's clock, for idle partitions' watermarks). */
  get maxEventTime(): number {
    return this.io[IO_MAX_TIME]!;
  }
  private readonly recordsIn: number[];
  /** The next record's event time, value and ingest time (IO_*), for writePrepared. */
  readonly io = new Float64Array([0, 0, 0, -Infinity]);

  /**
   * `maxFutureSkew`: records whose event time is more than this many ms after
   * their ingest time (the wall clock when they arrived) are refused (--max-future-skew; Infinity = off).
   */
  constructor(readonly rings: RingBuffer[], readonly partitioner: Partitioner, private readonly counters: Counters,
    private readonly maxBatch: number, private readonly maxFutureSkew = Infinity) {
    this.dirty = new Int32Array(rings.length);
    this.isDirty = new Uint8Array(rings.length);
    this.lastWrite = new Float64Array(rings.length);
    this.recordsIn = rings.map((_, p) => counters.p(p, P_RECORDS_IN));
  }

  /**
   * Write a record whose key is a string. Returns WRITE_OK, the full
   * partition, or a refusal the caller dead-letters: WRITE_TOO_LARGE,
   * WRITE_BAD_TIME, WRITE_FUTURE_TIME (see rejection()).
   */
  writeRecord(key: string, eventTime: number, value: number, ingest: number): number {
    const io = this.io;
    io[IO_TIME] = eventTime;
    io[IO_VALUE] = value;
    io[IO_INGEST] = ingest;
    const t = this.timeCheck();
    if (t !== WRITE_OK) return t;
    const len = this.encodeKey(key);
    if (len < 0) return WRITE_TOO_LARGE;
    const hash = murmur2(this.scratch, 0, len);
    const p = this.route(hash);
    return p < 0 ? p : this.writePrepared(p, hash, this.scratch, 0, len);
  }

  /**
   * The partition the records being written come from and must stay in, or
   * -1 (any). Under --changelog each Kafka partition is one ring and one unit
   * of state: a record whose key Kafka's partitioner would not have put there
   * would be kept in another partition's state, which may be another member's.
   */
  inputPartition = -1;
  /** Where the last key refused by route() belongs (cold: for its dead-letter detail). */
  private wrongPartition = -1;

  /** The partition of `hash`, or WRITE_WRONG_PARTITION when it is not inputPartition. */
  private route(hash: number): number {
    const p = this.partitioner.partitionOf(hash);
    if (this.inputPartition >= 0 && p !== this.inputPartition) {
      this.wrongPartition = p;
      return WRITE_WRONG_PARTITION;
    }
    return p;
  }

  /**
   * Write a record whose key is already UTF-8 bytes, key[keyStart, keyStart+keyLen)
   * (flatbuffers input, Kafka keys); its doubles are in `io`. Results as writeRecord's.
   */
  writeKeyBytes(key: Uint8Array, keyStart: number, keyLen: number): number {
    const t = this.timeCheck();
    if (t !== WRITE_OK) return t;
    const hash = murmur2(key, keyStart, keyLen);
    const p = this.route(hash);
    return p < 0 ? p : this.writePrepared(p, hash, key, keyStart, keyLen);
  }

  /**
   * The event-time checks every input record passes, here where every input
   * path (file, stdin, push ingest, Kafka, the library API) meets: a time out
   * of range (bad-time) or too far ahead (future-time) is refused before it
   * can reach a ring, so it moves no watermark and touches no state.
   */
  private timeCheck(): number {
    const io = this.io;
    const t = io[IO_TIME]!;
    if (!isEventTime(t)) return WRITE_BAD_TIME;
    if (t - io[IO_INGEST]! > this.maxFutureSkew) return WRITE_FUTURE_TIME;
    return WRITE_OK;
  }

  /**
   * The dead-letter reason and detail of a refused write (a result below
   * WRITE_OK), from the record still in `io`; undefined for any other result. Cold path.
   */
  rejection(r: number): { fault: RecordFault; detail: string } | undefined {
    const io = this.io;
    switch (r) {
      case WRITE_TOO_LARGE: return { fault: 'too-large', detail: 'the record does not fit in a ring frame; raise --ring-size' };
      case WRITE_BAD_TIME: return { fault: 'bad-time', detail: badTimeDetail(io[IO_TIME]!) };
      case WRITE_FUTURE_TIME: return { fault: 'future-time', detail: futureTimeDetail(io[IO_TIME]!, io[IO_INGEST]!, this.maxFutureSkew) };
      case WRITE_WRONG_PARTITION: return {
        fault: 'wrong-partition',
        detail: `its key belongs to partition ${this.wrongPartition} (murmur2, as Kafka's default partitioner), not to partition `
          + `${this.inputPartition} it was read from: with --changelog each partition's state is its own; produce records keyed by the job's key `
          + 'with the default partitioner',
      };
      default: return undefined;
    }
  }

  /**
   * Write a record whose key bytes key[keyStart, keyStart+keyLen), hash and
   * partition are already known (the generator, whose times are in range by
   * construction: no time check); its doubles are in `io`.
   */
  writePrepared(p: number, hash: number, key: Uint8Array, keyStart: number, keyLen: number): number {
    if (this.held) return p;
    const ring = this.rings[p]!;
    const size = FRAME_HEADER_BYTES + recordBodyBytes(keyLen);
    if (size > ring.maxFrameBytes) return WRITE_TOO_LARGE;
    const at = ring.reserve(size);
    if (at < 0) return p;
    const i32 = ring.i32;
    const f64 = ring.f64;
    const io = this.io;
    this.recordHeader(ring, at, size, hash);
    const body = at + FRAME_HEADER_BYTES;
    writeRecordLayout(i32, body, keyLen);
    f64[(body + TIME_AT) >> 3] = io[IO_TIME]!;
    f64[(body + VALUE_AT) >> 3] = io[IO_VALUE]!;
    writeKeyBytes(ring.u8, body, key, keyStart, keyLen);
    this.written(p);
    return WRITE_OK;
  }

  /**
   * Write a job's record (--job): the row `row` stashed by its last
   * extract(), as a row frame (src/codec/row-layout.ts). The key is hashed
   * as writeRecord hashes it, so a key lands in the same partition as in the
   * built-in job; without a key (KeySpec 'none') records go round robin.
   * Time checks and results as writeRecord's.
   */
  writeRow(row: RowProjector, ingest: number): number {
    const io = this.io;
    io[IO_TIME] = row.num[row.timeSlot]!;
    io[IO_VALUE] = 0;
    io[IO_INGEST] = ingest;
    const t = this.timeCheck();
    if (t !== WRITE_OK) return t;
    let keyLen = 0;
    let hash: number;
    if (row.keyed) {
      keyLen = this.encodeKey(row.key);
      if (keyLen < 0) return WRITE_TOO_LARGE;
      hash = murmur2(this.scratch, 0, keyLen);
    } else {
      hash = row.roundRobin;
    }
    // Without a key (a stateless job) a record stays in the partition it came from, if it came from one.
    const p = !row.keyed && this.inputPartition >= 0 ? this.inputPartition : this.route(hash);
    if (p < 0) return p;
    if (this.held) return p;
    const ring = this.rings[p]!;
    const strBytes = row.stringBytes();
    const size = FRAME_HEADER_BYTES + rowBodyBytes(row.layout, keyLen, strBytes);
    if (size > ring.maxFrameBytes) return WRITE_TOO_LARGE;
    const at = ring.reserve(size);
    if (at < 0) return p;
    this.recordHeader(ring, at, size, hash);
    row.encode(ring.u8, ring.i32, ring.f64, at + FRAME_HEADER_BYTES, this.scratch, keyLen, strBytes);
    this.written(p);
    return WRITE_OK;
  }

  /**
   * Write a job's record whose string fields are pooled (the job
   * generator): a PooledRow the caller filled (then called next()). Same frame, hash, time
   * checks and results as writeRow with the same record.
   */
  writePooledRow(row: PooledRow, ingest: number): number {
    const io = this.io;
    io[IO_TIME] = row.num[row.timeSlot]!;
    io[IO_VALUE] = 0;
    io[IO_INGEST] = ingest;
    const t = this.timeCheck();
    if (t !== WRITE_OK) return t;
    const hash = row.hash;
    const p = this.partitioner.partitionOf(hash);
    if (this.held) return p;
    const ring = this.rings[p]!;
    const size = FRAME_HEADER_BYTES + row.bodyBytes;
    if (size > ring.maxFrameBytes) return WRITE_TOO_LARGE;
    const at = ring.reserve(size);
    if (at < 0) return p;
    this.recordHeader(ring, at, size, hash);
    row.encode(ring.u8, ring.i32, ring.f64, at + FRAME_HEADER_BYTES);
    this.written(p);
    return WRITE_OK;
  }

  /** UTF-8 of `key` into the scratch buffer (grown for a rare key over 4 KiB): its length, or -1 when no ring frame could hold it. */
  private encodeKey(key: string): number {
    const len = utf8Length(key);
    if (len > this.scratch.length) {
      if (len > this.rings[0]!.maxFrameBytes) return -1;
      this.scratch = new Uint8Array(len * 2);
    }
    encodeUtf8(this.scratch, 0, key, len);
    return len;
  }

  /** The header of a record frame of `size` bytes at `at`; its times come from `io` (doubles as arguments would be boxed). */
  private recordHeader(ring: RingBuffer, at: number, size: number, hash: number): void {
    const i32 = ring.i32;
    const f64 = ring.f64;
    i32[(at + F_KIND) >> 2] = KIND_RECORD;
    i32[(at + F_HASH) >> 2] = hash;
    i32[(at + F_BODY_LEN) >> 2] = size - FRAME_HEADER_BYTES;
    f64[(at + F_TIME) >> 3] = this.io[IO_TIME]!;
    f64[(at + F_INGEST) >> 3] = this.io[IO_INGEST]!;
  }

  /**
   * A record frame went into partition p's ring: count it, note its times
   * (from `io`: doubles passed as arguments would be boxed) and publish per batch.
   */
  private written(p: number): void {
    const io = this.io;
    const eventTime = io[IO_TIME]!;
    this.counters.f64[this.recordsIn[p]!]! += 1;
    this.lastWrite[p] = io[IO_INGEST]!;
    if (eventTime > io[IO_MAX_TIME]!) io[IO_MAX_TIME] = eventTime;
    const ring = this.rings[p]!;
    if (ring.pending >= this.maxBatch) ring.publish();
    else if (this.isDirty[p] === 0) {
      this.isDirty[p] = 1;
      this.dirty[this.dirtyCount++] = p;
    }
  }

  /** A control frame with one time value (WATERMARK). Returns false if the ring is full. */
  writeWatermark(p: number, t: number): boolean {
    return this.writeControl(p, KIND_WATERMARK, t);
  }

  private writeControl(p: number, kind: number, t: number): boolean {
    const ring = this.rings[p]!;
    const at = ring.reserve(FRAME_HEADER_BYTES);
    if (at < 0) return false;
    ring.i32[(at + F_KIND) >> 2] = kind;
    ring.i32[(at + F_HASH) >> 2] = p;
    ring.i32[(at + F_BODY_LEN) >> 2] = 0;
    ring.f64[(at + F_TIME) >> 3] = t;
    ring.f64[(at + F_INGEST) >> 3] = 0;
    ring.publish();
    return true;
  }

  /** Publish every ring with pending frames: call when the source has nothing more right now. */
  publishAll(): void {
    for (let i = 0; i < this.dirtyCount; i++) {
      const p = this.dirty[i]!;
      this.isDirty[p] = 0;
      this.rings[p]!.publish();
    }
    this.dirtyCount = 0;
  }

  /** Resolves once partition p's ring has drained to its low-water mark (and sources are not held). */
  waitForSpace(p: number, frameBytes = 256, control = false): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.publishAll();
    // While held, a source waits for release() (which resolves it), not for the ring.
    if (this.held && !control) return new Promise((resolve, reject) => this.heldWaiters.push({ partition: p, control, resolve, reject }));
    if (!this.rings[p]!.announceWaiting(frameBytes)) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ partition: p, control, resolve, reject }));
  }

  /**
   * Stop sources from writing (they see full rings) until release(). Holds
   * nest: a checkpoint abandoned by a rewind may still be writing its barriers
   * when the next one holds the sources, and its release must not end that hold.
   */
  hold(): void {
    this.holds++;
    this.held = true;
    this.publishAll();
  }

  release(): void {
    if (--this.holds > 0) return;
    this.held = false;
    const ws = this.heldWaiters;
    this.heldWaiters = [];
    for (const w of ws) w.resolve(); // they retry their write; a really full ring makes them wait properly
    this.wakeWaiters();
  }

  /** BARRIER(id) into every ring, in partition order, waiting where a ring is full. */
  writeBarrierAll(id: number): Promise<void> {
    return this.writeControlAll(KIND_BARRIER, id);
  }

  /** REWIND(n) into every ring (Engine.rewind), as BARRIER. */
  writeRewindAll(n: number): Promise<void> {
    return this.writeControlAll(KIND_REWIND, n);
  }

  /**
   * `kind`(t) into every ring, in partition order, waiting where a ring is
   * full. Such writes run one after the other, never interleaved: a worker
   * aligns on them (workers/barrier-aligner.ts), and with two in flight one
   * ring could get a BARRIER first and another a REWIND, and its worker would
   * wait for both forever.
   */
  private writeControlAll(kind: number, t: number, then?: (p: number) => void): Promise<void> {
    const write = async (): Promise<void> => {
      for (let p = 0; p < this.rings.length; p++) {
        while (!this.writeControl(p, kind, t)) await this.waitForSpace(p, FRAME_HEADER_BYTES, true);
        then?.(p);
      }
    };
    const run = this.controlAll.then(write);
    this.controlAll = run.catch(() => {});
    return run;
  }

  /**
   * Forget the event time of the records written so far (a rewind replaced
   * the state they built): idle partitions get no watermark derived from them,
   * and idle time counts from now.
   */
  forgetEventTime(now: number): void {
    this.io[IO_MAX_TIME] = -Infinity;
    this.lastWrite.fill(now);
  }

  get waiting(): number {
    return this.waiters.length + this.heldWaiters.length;
  }

  /** Called by the engine's pump whenever it wakes: release waiters whose ring drained. */
  wakeWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: SpaceWaiter[] = [];
    for (const w of this.waiters) {
      // The consumer clears PRODUCER_WAITING when it drains below half (RingBuffer.release).
      if (Atomics.load(this.rings[w.partition]!.header, PRODUCER_WAITING) === 0) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Fail every waiter (a worker crashed or the engine stopped). */
  fail(error: unknown): void {
    this.failure = error;
    const ws = [...this.waiters, ...this.heldWaiters];
    this.waiters = [];
    this.heldWaiters = [];
    for (const w of ws) w.reject(error);
  }

  /**
   * END into every ring (fire everything), or with `fire` false STOP (keep
   * windows open: a stop after a final checkpoint). Waits where a ring is full.
   */
  end(fire = true): Promise<void> {
    this.publishAll();
    return this.writeControlAll(fire ? KIND_END : KIND_STOP, Infinity, (p) => this.rings[p]!.close());
  }
}
