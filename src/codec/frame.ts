// The fixed frame header every ring slot starts with. Offsets are bytes from
// the frame start; frames are 8-byte aligned so the float64 fields can be
// read through a Float64Array at (offset >> 3).
//
//   0  i32  size (bytes, written by the ring)
//   4  i32  kind
//   8  i32  key hash (records, results) | partition (control frames)
//  12  i32  body length (bytes following the header)
//  16  f64  event time (records) | watermark (WATERMARK) | barrier id (BARRIER) | rewind number (REWIND) | start (results)
//  24  f64  ingest time (epoch ms, for latency) | end (results)
//  32  …    body: a flatbuffers Record (records) or a result/late body

export const F_SIZE = 0;
export const F_KIND = 4;
export const F_HASH = 8;
export const F_BODY_LEN = 12;
export const F_TIME = 16;
export const F_INGEST = 24;
export const FRAME_HEADER_BYTES = 32;

/** Frame kinds. Control frames travel in-band so a worker never needs its event loop. */
export const KIND_RECORD = 1;
export const KIND_WATERMARK = 2;
export const KIND_BARRIER = 3;
export const KIND_END = 4;
/** Stop without firing (a stop with a final checkpoint: open windows live on in the checkpoint). */
export const KIND_STOP = 5;
/**
 * Replace the worker's state (Engine.rewind): F_TIME = the rewind's number n; the snapshot
 * files to load are listed in rewind-<n>.json (src/checkpoint/rewind-file.ts). Aligned over a
 * worker's rings like BARRIER.
 */
export const KIND_REWIND = 6;
/** Out-ring kinds (worker → main). */
export const KIND_RESULT = 16;
export const KIND_LATE = 17;
export const KIND_WORKER_DONE = 18;
/** An object a job's pipeline produced (JSON body; see out-frames.ts OUT_*). */
export const KIND_OUTPUT = 20;
/** A worker wrote its snapshot for BARRIER(id): F_HASH = worker, F_TIME = id, F_INGEST = bytes written. */
export const KIND_BARRIER_ACK = 19;
/** A worker replaced its state for REWIND(n): F_HASH = worker, F_TIME = n. Its out-frames before this one belong to the undone work. */
export const KIND_REWIND_ACK = 21;
