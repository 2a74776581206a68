import { RingBuffer } from '../src/ring/ring-buffer.js';
import { Doorbell } from '../src/ring/doorbell.js';
import { SpinThenSleep } from '../src/ring/wait-strategy.js';
import { PRODUCER_WAITING } from '../src/ring/layout.js';
import {
  FRAME_HEADER_BYTES, F_BODY_LEN, F_HASH, F_INGEST, F_KIND, F_TIME, KIND_BARRIER_ACK, KIND_LATE, KIND_OUTPUT, KIND_RESULT, KIND_REWIND_ACK, KIND_WORKER_DONE,
} from '../src/codec/frame.js';
import {
  L_KEY, L_KEY_LEN, L_PARTITION, L_VALUE, L_WATERMARK, LATE_FIXED_BYTES,
  R_COUNT, R_FIRE, R_FIRED_AT, R_INGEST, R_KEY, R_KEY_LEN, R_MAX, R_MIN, R_PARTITION, R_SUM, R_USER_LEN, RESULT_FIXED_BYTES,
} from '../src/codec/out-frames.js';
import type { Emitter, WindowOperator } from '../src/state/window-operator.js';
import type { OutputWriter } from '../src/operators/pipeline/output-writer.js';
import { IO_NOW } from '../src/state/record-io.js';
import { SabreError } from '../src/errors.js';
import {
  F_COUNT, F_MAX_INGEST, F_MAX, F_MIN, F_START, F_STRIDE, F_SUM, I_KEY, I_PARTITION,
} from '../src/state/window-slots.js';

const encoder = new TextEncoder();

/**
 * Writes a worker's firings and late records into its out-ring. When the
 * ring is full the worker waits for the main thread to drain it: a slow sink
 * slows the workers, which fills the input rings, which pauses the sources.
 */
export class OutWriter implements Emitter, OutputWriter {
  fullWaits = 0;
  /**
   * Largest frame: half the out-ring (input rings take a quarter, see
   * RingBuffer.maxFrameBytes). The main thread drains an out-ring completely
   * on every pass, so a waiting worker always finds it empty at last, and an
   * empty ring fits any frame of at most half its size, even one that must
   * wrap. That leaves room for the result of the largest record an input ring
   * accepts whenever --out-ring-size >= --ring-size (the rule in options.ts).
   */
  readonly maxFrameBytes: number;
  /** Waiting for space sleeps at once: the main thread drains on its own schedule, polling would only burn the core. */
  private readonly spaceWait: SpinThenSleep;
  /** The main thread clears PRODUCER_WAITING before ringing us: once it is clear, space came. */
  private readonly spaceReleased = (): boolean => Atomics.load(this.out.header, PRODUCER_WAITING) === 0;
  private readonly tick = (): number => this.tickMs;
  /** OUTPUT bodies are encoded here first (their byte length is known only then); grows to the largest. */
  private scratch = new Uint8Array(1024);

  constructor(private readonly out: RingBuffer, bell: Doorbell,
    private readonly partitions: number[], private readonly maxBatch: number, private readonly tickMs: number) {
    this.maxFrameBytes = out.capacity >> 1;
    this.spaceWait = new SpinThenSleep(bell, 0);
  }

  result(op: WindowOperator, s: number, fire: number): void {
    const slots = op.slots;
    const keys = op.keys;
    const keyId = slots.int(s, I_KEY);
    const keyLen = keys.keyLength(keyId);
    const user = op.config.userAggregate ? userResult(op, s) : undefined;
    const userLen = user ? user.length : 0;
    const size = FRAME_HEADER_BYTES + RESULT_FIXED_BYTES + keyLen + userLen;
    if (size > this.maxFrameBytes) {
      this.tooLarge(size, `a window result of ${size} bytes (key ${keyLen} B, user aggregate result ${userLen} B)`,
        userLen > 0 ? 'make the aggregate\'s result() smaller' : undefined);
    }
    const at = this.reserve(size);
    const out = this.out;
    const i32 = out.i32;
    const f64 = out.f64;
    const u8 = out.u8;
    i32[(at + F_KIND) >> 2] = KIND_RESULT;
    i32[(at + F_HASH) >> 2] = keys.hash(keyId);
    i32[(at + F_BODY_LEN) >> 2] = size - FRAME_HEADER_BYTES;
    const sf = slots.f;
    const sb = s * F_STRIDE;
    f64[(at + F_TIME) >> 3] = sf[sb + F_START]!;
    f64[(at + F_INGEST) >> 3] = slots.end(s);
    const b = at + FRAME_HEADER_BYTES;
    f64[(b + R_COUNT) >> 3] = sf[sb + F_COUNT]!;
    f64[(b + R_SUM) >> 3] = sf[sb + F_SUM]!;
    f64[(b + R_MIN) >> 3] = sf[sb + F_MIN]!;
    f64[(b + R_MAX) >> 3] = sf[sb + F_MAX]!;
    f64[(b + R_FIRED_AT) >> 3] = op.io[IO_NOW]!;
    f64[(b + R_INGEST) >> 3] = sf[sb + F_MAX_INGEST]!;
    i32[(b + R_FIRE) >> 2] = fire;
    i32[(b + R_KEY_LEN) >> 2] = keyLen;
    i32[(b + R_USER_LEN) >> 2] = userLen;
    i32[(b + R_PARTITION) >> 2] = this.partitions[slots.int(s, I_PARTITION)]!;
    const arena = keys.arena;
    const ko = keys.keyOffset(keyId);
    const kd = b + R_KEY;
    for (let i = 0; i < keyLen; i++) u8[kd + i] = arena[ko + i]!;
    if (user) u8.set(user, kd + keyLen);
    if (out.pending >= this.maxBatch) out.publish();
  }

  late(hash: number, src: Uint8Array, keyStart: number, keyLen: number, ts: number, value: number,
    ingest: number, watermark: number, partition: number): void {
    const size = FRAME_HEADER_BYTES + LATE_FIXED_BYTES + keyLen;
    if (size > this.maxFrameBytes) this.tooLarge(size, `a window result of ${size} bytes (key ${keyLen} B, user aggregate result 0 B)`, undefined);
    const at = this.reserve(size);
    const out = this.out;
    out.i32[(at + F_KIND) >> 2] = KIND_LATE;
    out.i32[(at + F_HASH) >> 2] = hash;
    out.i32[(at + F_BODY_LEN) >> 2] = size - FRAME_HEADER_BYTES;
    out.f64[(at + F_TIME) >> 3] = ts;
    out.f64[(at + F_INGEST) >> 3] = ingest;
    const b = at + FRAME_HEADER_BYTES;
    out.f64[(b + L_VALUE) >> 3] = value;
    out.f64[(b + L_WATERMARK) >> 3] = watermark;
    out.i32[(b + L_KEY_LEN) >> 2] = keyLen;
    out.i32[(b + L_PARTITION) >> 2] = partition;
    const u8 = out.u8;
    for (let i = 0; i < keyLen; i++) u8[b + L_KEY + i] = src[keyStart + i]!;
    if (out.pending >= this.maxBatch) out.publish();
  }

  /** An OUTPUT frame: `json` (one object a job's pipeline produced) for `target` (a sink index or OUT_*). */
  output(target: number, time: number, ingest: number, json: string): void {
    let r = encoder.encodeInto(json, this.scratch);
    if (r.read < json.length) {
      this.scratch = new Uint8Array(Math.max(json.length * 3, this.scratch.length * 2));
      r = encoder.encodeInto(json, this.scratch);
    }
    const len = r.written;
    const size = FRAME_HEADER_BYTES + len;
    if (size > this.maxFrameBytes) this.tooLarge(size, `an output of ${size} bytes`, 'make the object smaller');
    const at = this.reserve(size);
    const out = this.out;
    out.i32[(at + F_KIND) >> 2] = KIND_OUTPUT;
    out.i32[(at + F_HASH) >> 2] = target;
    out.i32[(at + F_BODY_LEN) >> 2] = len;
    out.f64[(at + F_TIME) >> 3] = time;
    out.f64[(at + F_INGEST) >> 3] = ingest;
    out.u8.set(this.scratch.subarray(0, len), at + FRAME_HEADER_BYTES);
    if (out.pending >= this.maxBatch) out.publish();
  }

  /** The snapshot for BARRIER(id) is on disk: ordered after every result that precedes the barrier. */
  barrierAck(worker: number, id: number, bytes: number): void {
    const at = this.reserve(FRAME_HEADER_BYTES);
    const out = this.out;
    out.i32[(at + F_KIND) >> 2] = KIND_BARRIER_ACK;
    out.i32[(at + F_HASH) >> 2] = worker;
    out.i32[(at + F_BODY_LEN) >> 2] = 0;
    out.f64[(at + F_TIME) >> 3] = id;
    out.f64[(at + F_INGEST) >> 3] = bytes;
    out.publish();
  }

  /**
   * The state is replaced for REWIND(n): frames reserved but not yet published
   * belong to the undone work and are dropped here (the main thread drops the
   * published ones up to this ack).
   */
  rewound(worker: number, n: number): void {
    this.out.discard();
    const at = this.reserve(FRAME_HEADER_BYTES);
    const out = this.out;
    out.i32[(at + F_KIND) >> 2] = KIND_REWIND_ACK;
    out.i32[(at + F_HASH) >> 2] = worker;
    out.i32[(at + F_BODY_LEN) >> 2] = 0;
    out.f64[(at + F_TIME) >> 3] = n;
    out.f64[(at + F_INGEST) >> 3] = 0;
    out.publish();
  }

  /** Final frame: this worker has processed END on every partition. */
  done(): void {
    const at = this.reserve(FRAME_HEADER_BYTES);
    this.out.i32[(at + F_KIND) >> 2] = KIND_WORKER_DONE;
    this.out.i32[(at + F_BODY_LEN) >> 2] = 0;
    this.out.publish();
  }

  flush(): void {
    this.out.publish();
  }

  /** A frame the out-ring can never hold: waiting for space would hang the worker, so the run fails here. */
  private tooLarge(size: number, what: string, orElse: string | undefined): never {
    let fit = this.out.capacity;
    while (fit >> 1 < size) fit *= 2;
    throw new SabreError('ERR_RESULT_TOO_LARGE', `${what} `
      + `exceeds the out-ring's largest frame (${this.maxFrameBytes} B, half of --out-ring-size ${this.out.capacity}): `
      + `raise --out-ring-size to at least ${fit}${orElse !== undefined ? `, or ${orElse}` : ''}`);
  }

  /** `size` is at most maxFrameBytes (checked by the callers), so the loop ends once the main thread drains. */
  private reserve(size: number): number {
    const out = this.out;
    for (;;) {
      const at = out.reserve(size);
      if (at >= 0) return at;
      out.publish();
      if (!out.announceWaiting(size)) continue;
      this.fullWaits++;
      this.spaceWait.waitFor(this.spaceReleased, this.tick);
    }
  }
}

/**
 * The user aggregate's result as UTF-8 JSON, or undefined when it has no JSON
 * form (undefined, a function, a symbol): the drain then writes null, as it
 * does for NaN and ±Infinity (JSON.stringify's own null). A result() that
 * throws, or a value JSON.stringify refuses (a BigInt, a cycle), fails the run
 * with ERR_USER_AGGREGATE rather than an anonymous crash.
 */
function userResult(op: WindowOperator, s: number): Uint8Array | undefined {
  let json: string | undefined;
  try {
    json = op.userResultJson(s);
  } catch (e) {
    throw new SabreError('ERR_USER_AGGREGATE', `aggregate "${op.config.userAggregate!.name}": result() did not give a JSON value: `
      + `${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
  return json === undefined ? undefined : encoder.encode(json);
}
