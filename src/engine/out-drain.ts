import type { RingBuffer } from '../ring/ring-buffer.js';
import { WRAP_MARKER, align8 } from '../ring/layout.js';
import {
  FRAME_HEADER_BYTES, F_BODY_LEN, F_HASH, F_INGEST, F_KIND, F_TIME, KIND_BARRIER_ACK, KIND_LATE, KIND_OUTPUT, KIND_RESULT, KIND_REWIND_ACK, KIND_WORKER_DONE,
} from '../codec/frame.js';
import {
  FIRE_NAMES, L_KEY, L_KEY_LEN, L_PARTITION, L_VALUE, L_WATERMARK,
  R_COUNT, R_FIRE, R_FIRED_AT, R_INGEST, R_KEY, R_KEY_LEN, R_MAX, R_MIN, R_SUM, R_USER_LEN,
} from '../codec/out-frames.js';
import type { LineSink } from '../io/sinks/line-sink.js';
import { timedLine } from '../codec/timed-line.js';
import { isEpochSink, type EpochSink } from '../io/sinks/epoch-sink.js';
import type { WindowResult } from '../codec/window-result.js';
import { TO_DEFAULT, TO_LATE, TO_NAMED, type JobOutputs } from './job-outputs.js';

/** Per-frame hook for metrics: emit latency = now - firedAt; early latency = now - ingest. */
export interface DrainObserver {
  onResult?(worker: number, fire: number, firedAt: number, ingest: number, now: number): void;
  /** A job's output reached a sink (`ingest`: the newest ingest time behind it; end-to-end latency = now - ingest). */
  onOutput?(worker: number, ingest: number, now: number): void;
}

const decoder = new TextDecoder();
/** Key bytes are copied out of shared memory before decoding: TextDecoder refuses shared views. */
let keyScratch = new Uint8Array(1024);

/** UTF-8 text of `len` bytes at `at` (a job output's JSON). */
function decodeText(u8: Uint8Array, at: number, len: number): string {
  if (len > keyScratch.length) keyScratch = new Uint8Array(len * 2);
  for (let i = 0; i < len; i++) keyScratch[i] = u8[at + i]!;
  return decoder.decode(keyScratch.subarray(0, len));
}

function decodeKey(u8: Uint8Array, at: number, len: number): string {
  if (len > keyScratch.length) keyScratch = new Uint8Array(len * 2);
  let ascii = true;
  for (let i = 0; i < len; i++) {
    const b = u8[at + i]!;
    keyScratch[i] = b;
    if (b >= 0x80) ascii = false;
  }
  if (ascii && len < 64) return String.fromCharCode.apply(null, keyScratch.subarray(0, len) as unknown as number[]);
  return decoder.decode(keyScratch.subarray(0, len));
}

/**
 * The main thread's side of the out-rings: turns result frames into NDJSON
 * lines (built as strings straight from the frame, no intermediate object
 * unless someone registered a callback) and late frames into late-output
 * lines. One write per sink per drain pass.
 */
export class OutDrain {
  resultLines = 0;
  lateLines = 0;
  workersDone = 0;
  readonly callbacks: ((r: WindowResult) => void)[] = [];
  observer: DrainObserver | undefined;
  /** A job run (--job): where its OUTPUT frames go besides the results sink. */
  jobOutputs: JobOutputs | undefined;
  private readonly wantLines: boolean;
  private readonly tails: Int32Array;
  /** Per worker: the checkpoint epoch its next results belong to (checkpoint id that will commit them). */
  readonly epochOf: Float64Array;
  /** Results (and job outputs) of work a rewind undid, dropped before any sink or callback saw them. */
  rewoundResults = 0;
  /**
   * Per worker: the rewind whose REWIND_ACK its out-ring owes (0: none).
   * Until that ack every frame of the ring is dropped: it comes from the work the rewind undid.
   */
  private readonly rewinding: Float64Array;
  /** The epoch a worker's results belong to after its REWIND_ACK. */
  private rewindEpoch = 0;
  /** Workers whose REWIND_ACK is still to be read; `onRewound` runs when the last is. */
  private rewindsOwed = 0;
  private onRewound: (() => void) | undefined;
  /** Called after the pass's results were written, once per BARRIER_ACK read. */
  onBarrierAck: ((worker: number, id: number, bytes: number) => void) | undefined;
  private readonly chunkEpoch: number[] = [];
  private readonly chunkText: string[] = [];
  private readonly chunkLines: number[] = [];
  private readonly acks: number[] = [];
  private readonly epochSink: EpochSink | undefined;
  /** The results sink wants a job's outputs as timed lines (LineSink.timedLines). */
  private readonly timedDefault: boolean;

  constructor(private readonly rings: RingBuffer[], private readonly aggregates: readonly string[],
    private readonly userAggregate: string | undefined, private readonly sink: LineSink, private readonly lateSink: LineSink,
    wantLines: boolean) {
    this.wantLines = wantLines;
    this.tails = new Int32Array(rings.map((r) => r.loadTail()));
    this.epochOf = new Float64Array(rings.length).fill(1);
    this.rewinding = new Float64Array(rings.length);
    this.epochSink = isEpochSink(sink) ? sink : undefined;
    this.timedDefault = sink.timedLines === true;
  }

  /** Worker w's out-ring stays unread for now (see EpochSink.accepts); never while a rewind drops what it holds, or the rewind would never end. */
  private held(w: number): boolean {
    if (this.rewinding[w] !== 0) return false;
    const s = this.epochSink;
    const epoch = this.epochOf[w]!;
    return (s?.accepts !== undefined && !s.accepts(epoch)) || (this.jobOutputs !== undefined && !this.jobOutputs.accepts(epoch));
  }

  /** Results from now on belong to `epoch` (after a restore from checkpoint epoch - 1). */
  startEpoch(epoch: number): void {
    this.epochOf.fill(epoch);
  }

  /**
   * Rewind `n` was just decided (Engine.rewind, before its REWIND frames go
   * out): from now until each of `workers` acknowledges it, their out-frames
   * are dropped; after the ack their results belong to `epoch`. `done` runs
   * once every ack was read.
   */
  beginRewind(n: number, epoch: number, workers: readonly number[], done: () => void): void {
    if (this.rewindsOwed > 0) throw new Error(`rewind ${n} began while ${this.rewindsOwed} acks of another are owed`);
    this.rewindEpoch = epoch;
    this.rewindsOwed = workers.length;
    this.onRewound = done;
    for (const w of workers) this.rewinding[w] = n;
    if (workers.length === 0) done();
  }

  /**
   * Drop worker w's frames in [tail, head) up to its REWIND_ACK; returns frames
   * read. Apart from the ack only WORKER_DONE counts (a worker that ends has
   * no state left to rewind; it cannot end before the ack while the run goes on).
   */
  private dropRewound(w: number, ring: RingBuffer, head: number): number {
    const { i32, f64, mask, capacity } = ring;
    let tail = this.tails[w]!;
    let frames = 0;
    while (tail !== head && this.rewinding[w] !== 0) {
      const at = tail & mask;
      const size = i32[at >> 2]!;
      if (size === WRAP_MARKER) {
        tail = (tail + capacity - at) | 0;
        continue;
      }
      const kind = i32[(at + F_KIND) >> 2]!;
      if (kind === KIND_RESULT || kind === KIND_OUTPUT) this.rewoundResults++;
      else if (kind === KIND_WORKER_DONE) this.workersDone++;
      else if (kind === KIND_REWIND_ACK && f64[(at + F_TIME) >> 3] === this.rewinding[w]) {
        this.rewinding[w] = 0;
        this.epochOf[w] = this.rewindEpoch;
        if (--this.rewindsOwed === 0) this.onRewound?.();
      }
      frames++;
      tail = (tail + align8(size)) | 0;
    }
    this.tails[w] = tail;
    ring.release(tail);
    return frames;
  }

  private append(epoch: number, line: string): void {
    const n = this.chunkEpoch.length;
    for (let i = 0; i < n; i++) {
      if (this.chunkEpoch[i] === epoch) {
        this.chunkText[i] += line;
        this.chunkLines[i]!++;
        return;
      }
    }
    this.chunkEpoch.push(epoch);
    this.chunkText.push(line);
    this.chunkLines.push(1);
  }

  /** true when some out-ring has unread frames. */
  hasData(): boolean {
    for (let w = 0; w < this.rings.length; w++) if (this.rings[w]!.loadHead() !== this.tails[w] && !this.held(w)) return true;
    return false;
  }

  /**
   * Drain every out-ring once (up to what was published when we looked).
   * Returns frames read and whether a sink asked to wait (backpressure).
   */
  drain(now: number): { frames: number; blocked: boolean } {
    let frames = 0;
    let resultFrames = 0;
    let late = '';
    let lateLines = 0;
    for (let w = 0; w < this.rings.length; w++) {
      const ring = this.rings[w]!;
      const head = ring.loadHead();
      if (this.rewinding[w] !== 0 && this.tails[w] !== head) frames += this.dropRewound(w, ring, head);
      let tail = this.tails[w]!;
      if (tail === head || this.held(w)) continue;
      const { i32, f64, u8, mask, capacity } = ring;
      while (tail !== head) {
        const at = tail & mask;
        const size = i32[at >> 2]!;
        if (size === WRAP_MARKER) {
          tail = (tail + capacity - at) | 0;
          continue;
        }
        const kind = i32[(at + F_KIND) >> 2]!;
        const b = at + FRAME_HEADER_BYTES;
        if (kind === KIND_RESULT) {
          const line = this.result(u8, i32, f64, at, b);
          if (line !== undefined) this.append(this.epochOf[w]!, line);
          resultFrames++;
          this.resultLines++;
          this.observer?.onResult?.(w, i32[(b + R_FIRE) >> 2]!, f64[(b + R_FIRED_AT) >> 3]!, f64[(b + R_INGEST) >> 3]!, now);
        } else if (kind === KIND_LATE) {
          const keyLen = i32[(b + L_KEY_LEN) >> 2]!;
          late += `{"reason":"ERR_LATE_RECORD","key":${JSON.stringify(decodeKey(u8, b + L_KEY, keyLen))},"ts":${f64[(at + F_TIME) >> 3]},`
            + `"value":${f64[(b + L_VALUE) >> 3]},"watermark":${f64[(b + L_WATERMARK) >> 3]},"partition":${i32[(b + L_PARTITION) >> 2]}}\n`;
          lateLines++;
          this.lateLines++;
        } else if (kind === KIND_OUTPUT) {
          const jo = this.jobOutputs!;
          const target = i32[(at + F_HASH) >> 2]!;
          const len = i32[(at + F_BODY_LEN) >> 2]!;
          // The default sink's outputs are decoded only when someone reads them (not for --sink null without listeners).
          const json = target !== jo.defaultIndex || this.wantLines || this.callbacks.length > 0 ? decodeText(u8, b, len) : '';
          const time = f64[(at + F_TIME) >> 3]!;
          const to = jo.route(target, json, w, this.epochOf[w]!, time);
          if (to === TO_DEFAULT) {
            if (this.wantLines) this.append(this.epochOf[w]!, (this.timedDefault ? timedLine(time, json) : json) + '\n');
            if (this.callbacks.length > 0) {
              const obj = JSON.parse(json) as WindowResult;
              for (const cb of this.callbacks) cb(obj);
            }
            resultFrames++;
          } else if (to === TO_LATE) {
            late += json + '\n';
            lateLines++;
            this.lateLines++;
          }
          if (to === TO_DEFAULT || to === TO_NAMED) {
            this.resultLines++;
            this.observer?.onOutput?.(w, f64[(at + F_INGEST) >> 3]!, now);
          }
        } else if (kind === KIND_WORKER_DONE) {
          this.workersDone++;
        } else if (kind === KIND_BARRIER_ACK) {
          const id = f64[(at + F_TIME) >> 3]!;
          this.epochOf[w] = id + 1;
          this.acks.push(i32[(at + F_HASH) >> 2]!, id, f64[(at + F_INGEST) >> 3]!);
        }
        frames++;
        tail = (tail + align8(size)) | 0;
      }
      this.tails[w] = tail;
      ring.release(tail);
    }
    let blocked = false;
    if (!this.wantLines) {
      if (resultFrames > 0) blocked = !this.sink.write('', resultFrames);
    } else {
      const epochSink = this.epochSink;
      for (let i = 0; i < this.chunkEpoch.length; i++) {
        const ok = epochSink
          ? epochSink.writeEpoch(this.chunkEpoch[i]!, this.chunkText[i]!, this.chunkLines[i]!)
          : this.sink.write(this.chunkText[i]!, this.chunkLines[i]!);
        blocked = !ok || blocked;
      }
      this.chunkEpoch.length = 0;
      this.chunkText.length = 0;
      this.chunkLines.length = 0;
    }
    if (this.jobOutputs) blocked = !this.jobOutputs.flush() || blocked;
    if (lateLines > 0) blocked = !this.lateSink.write(late, lateLines) || blocked;
    // Acknowledgements last: a checkpoint completes only after its epoch's results were handed to the sink.
    for (let i = 0; i < this.acks.length; i += 3) this.onBarrierAck?.(this.acks[i]!, this.acks[i + 1]!, this.acks[i + 2]!);
    this.acks.length = 0;
    return { frames, blocked };
  }

  private result(u8: Uint8Array, i32: Int32Array, f64: Float64Array, at: number, b: number): string | undefined {
    if (!this.wantLines && this.callbacks.length === 0) return undefined;
    const key = decodeKey(u8, b + R_KEY, i32[(b + R_KEY_LEN) >> 2]!);
    const start = f64[(at + F_TIME) >> 3]!;
    const end = f64[(at + F_INGEST) >> 3]!;
    const count = f64[(b + R_COUNT) >> 3]!;
    const sum = f64[(b + R_SUM) >> 3]!;
    const fire = FIRE_NAMES[i32[(b + R_FIRE) >> 2]!]!;
    const userLen = i32[(b + R_USER_LEN) >> 2]!;
    let user: string | undefined;
    if (userLen > 0) {
      const keyLen = i32[(b + R_KEY_LEN) >> 2]!;
      const s = b + R_KEY + keyLen;
      if (userLen > keyScratch.length) keyScratch = new Uint8Array(userLen * 2);
      for (let i = 0; i < userLen; i++) keyScratch[i] = u8[s + i]!;
      user = decoder.decode(keyScratch.subarray(0, userLen));
    }
    let line = `{"key":${JSON.stringify(key)},"start":${start},"end":${end}`;
    let obj: WindowResult | undefined;
    if (this.callbacks.length > 0) obj = { key, start, end, fire } as WindowResult;
    for (const a of this.aggregates) {
      let v: number | string;
      switch (a) {
        case 'count': v = count; break;
        case 'sum': v = sum; break;
        case 'min': v = f64[(b + R_MIN) >> 3]!; break;
        case 'max': v = f64[(b + R_MAX) >> 3]!; break;
        case 'avg': v = sum / count; break;
        // The user aggregate's JSON; null when its result has no JSON form (undefined, a function, a symbol; NaN and ±Infinity stringify as null).
        default: v = a === this.userAggregate && user !== undefined ? user : 'null';
      }
      line += `,"${a}":${v}`;
      if (obj) {
        // Rebuild the object with aggregates before `fire`, in the requested order.
        obj[a] = typeof v === 'number' ? v : JSON.parse(v);
      }
    }
    if (obj) {
      delete (obj as Partial<WindowResult>).fire;
      obj.fire = fire;
      for (const cb of this.callbacks) cb(obj);
    }
    return `${line},"fire":"${fire}"}\n`;
  }
}

