import { Doorbell } from './doorbell.js';
import {
  CAPACITY, END_FLAG, HEAD, HEADER_BYTES, HEADER_WORDS, MAX_CAPACITY, MIN_CAPACITY,
  PRODUCER_WAITING, TAIL, WRAP_MARKER, align8,
} from './layout.js';
import { SabreError } from '../errors.js';

/** What a thread needs to attach to a ring: plain data, so it can be posted to a worker. */
export interface RingHandle {
  sab: SharedArrayBuffer;
  /** Rung when frames are published: the consumer's doorbell. */
  consumerBell: SharedArrayBuffer;
  /** Rung when space is released while the producer waits: the producer's doorbell. */
  producerBell: SharedArrayBuffer;
}

/**
 * Single-producer/single-consumer ring of variable-length frames over one
 * SharedArrayBuffer. Positions are wrapping int32 byte counters; a frame
 * never straddles the end of the buffer (a WRAP marker sends the reader back
 * to offset 0). The producer writes frames with `reserve` and makes them
 * visible with one `publish` per batch; the consumer reads up to the head it
 * loaded and releases space with one `release` per batch.
 *
 * Memory ordering: frame bytes are written with plain stores before the
 * Atomics.store of HEAD that publishes them, and Atomics operations are
 * sequentially consistent, so a consumer that Atomics.loads HEAD sees every
 * byte below it. The same holds for TAIL in the other direction.
 */
export class RingBuffer {
  readonly header: Int32Array;
  /** Views over the data region (offset HEADER_BYTES). Index with byte offset >> 2 / >> 3. */
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly capacity: number;
  readonly mask: number;
  readonly consumerBell: Doorbell;
  readonly producerBell: Doorbell;

  // Producer-local state: the head being written and the last tail seen.
  private head = 0;
  private cachedTail = 0;
  private published = 0;
  /** Frames written since the last publish. */
  pending = 0;

  constructor(readonly handle: RingHandle) {
    this.header = new Int32Array(handle.sab, 0, HEADER_WORDS);
    this.capacity = this.header[CAPACITY]!;
    this.mask = this.capacity - 1;
    this.u8 = new Uint8Array(handle.sab, HEADER_BYTES, this.capacity);
    this.i32 = new Int32Array(handle.sab, HEADER_BYTES, this.capacity >> 2);
    this.f64 = new Float64Array(handle.sab, HEADER_BYTES, this.capacity >> 3);
    this.consumerBell = new Doorbell(handle.consumerBell);
    this.producerBell = new Doorbell(handle.producerBell);
    this.head = this.published = Atomics.load(this.header, HEAD);
    this.cachedTail = Atomics.load(this.header, TAIL);
  }

  static create(capacityBytes: number, consumerBell: Doorbell, producerBell: Doorbell): RingBuffer {
    if (!Number.isInteger(capacityBytes) || capacityBytes < MIN_CAPACITY || capacityBytes > MAX_CAPACITY
      || (capacityBytes & (capacityBytes - 1)) !== 0) {
      throw new SabreError('ERR_INVALID_OPTION',
        `ring capacity must be a power of two between ${MIN_CAPACITY} and ${MAX_CAPACITY} bytes, got ${capacityBytes}`);
    }
    const sab = new SharedArrayBuffer(HEADER_BYTES + capacityBytes);
    new Int32Array(sab, 0, HEADER_WORDS)[CAPACITY] = capacityBytes;
    return new RingBuffer({ sab, consumerBell: consumerBell.sab, producerBell: producerBell.sab });
  }

  /**
   * Largest frame accepted. A quarter of the ring, so that once the consumer
   * has drained to the low-water mark (half) any frame fits even when it must
   * wrap: a woken producer never has to wait twice.
   */
  get maxFrameBytes(): number {
    return this.capacity >> 2;
  }

  /** Bytes a frame of `size` needs at the current head (its padding to the end if it must wrap). */
  private need(size: number): number {
    const total = align8(size);
    const toEnd = this.capacity - (this.head & this.mask);
    return total <= toEnd ? total : toEnd + total;
  }

  // ───────────────────────────── producer side ─────────────────────────────

  /**
   * Reserve a frame of `size` bytes and write its size word. Returns the byte
   * offset of the frame in the data views, or -1 when the ring is full (the
   * caller pauses; nothing is written). The frame is visible after publish().
   */
  reserve(size: number): number {
    const total = align8(size);
    let head = this.head;
    let idx = head & this.mask;
    const toEnd = this.capacity - idx;
    const need = total <= toEnd ? total : toEnd + total;
    if (this.capacity - ((head - this.cachedTail) | 0) < need) {
      // Re-read the consumer's tail only when the ring looks full.
      this.cachedTail = Atomics.load(this.header, TAIL);
      if (this.capacity - ((head - this.cachedTail) | 0) < need) return -1;
    }
    if (total > toEnd) {
      this.i32[idx >> 2] = WRAP_MARKER;
      head = (head + toEnd) | 0;
      idx = 0;
    }
    this.i32[idx >> 2] = size;
    this.head = (head + total) | 0;
    this.pending++;
    return idx;
  }

  /** Make every reserved frame visible to the consumer (one store per batch). */
  publish(): void {
    if (this.head === this.published) return;
    this.published = this.head;
    this.pending = 0;
    Atomics.store(this.header, HEAD, this.head);
    this.consumerBell.ring();
  }

  /** Drop the frames reserved since the last publish (the consumer never saw them). */
  discard(): void {
    this.head = this.published;
    this.pending = 0;
  }

  /** No more frames: the consumer stops once it has read everything published. */
  close(): void {
    this.publish();
    Atomics.store(this.header, END_FLAG, 1);
    this.consumerBell.ring();
  }

  /**
   * Called by a producer that found the ring full, before it waits on its
   * doorbell: the consumer rings it once it has drained to the low-water mark.
   * Returns false if space appeared meanwhile (do not wait).
   */
  announceWaiting(size: number): boolean {
    Atomics.store(this.header, PRODUCER_WAITING, 1);
    // Re-check after announcing, or a release between the failed reserve and the announcement is missed.
    this.cachedTail = Atomics.load(this.header, TAIL);
    if (this.capacity - ((this.head - this.cachedTail) | 0) >= this.need(size)) {
      Atomics.store(this.header, PRODUCER_WAITING, 0);
      return false;
    }
    return true;
  }

  /** Bytes written but not yet released by the consumer (producer's view). */
  usedBytes(): number {
    return (Atomics.load(this.header, HEAD) - Atomics.load(this.header, TAIL)) | 0;
  }

  occupancy(): number {
    return this.usedBytes() / this.capacity;
  }

  // ───────────────────────────── consumer side ─────────────────────────────

  loadHead(): number {
    return Atomics.load(this.header, HEAD);
  }

  loadTail(): number {
    return Atomics.load(this.header, TAIL);
  }

  isClosed(): boolean {
    return Atomics.load(this.header, END_FLAG) !== 0;
  }

  /**
   * Release space up to `tail`. Wakes a waiting producer once at most half
   * the ring is used, so it resumes with room for a full batch.
   */
  release(tail: number): void {
    Atomics.store(this.header, TAIL, tail);
    if (Atomics.load(this.header, PRODUCER_WAITING) !== 0
      && ((Atomics.load(this.header, HEAD) - tail) | 0) <= this.capacity >> 1
      && Atomics.exchange(this.header, PRODUCER_WAITING, 0) !== 0) {
      this.producerBell.ring();
    }
  }
}

