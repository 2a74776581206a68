// Shared-memory layout of a ring and of a doorbell, declared once. No other
// file indexes these Int32Arrays with bare numbers.

/** Header words of a ring, in Int32 units. Producer and consumer words sit on separate 64-byte lines. */
export const HEAD = 0; // producer: bytes published (wrapping int32 counter)
export const END_FLAG = 1; // producer: 1 once no more frames will come
export const TAIL = 16; // consumer: bytes released (wrapping int32 counter)
export const PRODUCER_WAITING = 32; // producer sets, consumer consumes: producer is waiting for space
export const CAPACITY = 48; // immutable: data bytes (power of two)
export const HEADER_WORDS = 64;
export const HEADER_BYTES = HEADER_WORDS * 4;

/** Frames start 8-byte aligned so float64 fields can be read through a Float64Array. */
export const FRAME_ALIGN = 8;
/** A frame's first int32 is its size in bytes; this marks "skip to the start of the buffer". */
export const WRAP_MARKER = -1;

export const MIN_CAPACITY = 1 << 10;
export const MAX_CAPACITY = 1 << 30;

/** Doorbell words: one sleeper per doorbell. */
export const BELL_SLEEPING = 0; // sleeper sets before waiting; a waker consumes it with exchange
export const BELL_EPOCH = 1; // incremented by the waker; the sleeper waits on it
export const BELL_WORDS = 16;

export function align8(n: number): number {
  return (n + 7) & ~7;
}
