// The consumer thread of the ring scenarios (bench/ring/ring-scenarios.ts).
// - '1p1c': drain the ring until END, summing one field of every frame so the
//   reads cannot be skipped, and report frames and checksum in `done`.
// - 'ping-pong': read each frame from `rings[0]` and echo it into `rings[1]`
//   at once (one frame per publish), until END.
// Both spin: the scenarios run exactly two busy threads on this machine's two
// cores (main producer + this consumer), the layout DESIGN.md allows.
import { workerData } from 'node:worker_threads';
import { RingBuffer, type RingHandle } from '../../src/ring/ring-buffer.js';
import { WRAP_MARKER, align8 } from '../../src/ring/layout.js';
import { DONE_FLAG, DONE_FRAMES, DONE_SUM } from './done-words.js';

export interface RingWorkerData {
  mode: '1p1c' | 'ping-pong';
  rings: RingHandle[];
  /** Int32 words laid out in done-words.ts. */
  done: SharedArrayBuffer;
}


const d = workerData as RingWorkerData;
const done = new Int32Array(d.done);

function consume(ring: RingBuffer): void {
  const i32 = ring.i32;
  const mask = ring.mask;
  const cap = ring.capacity;
  let tail = ring.loadTail();
  let frames = 0;
  let sum = 0;
  for (;;) {
    const head = ring.loadHead();
    if (head === tail) {
      // END is set after the last publish, so END seen with head === tail means everything was read.
      if (ring.isClosed() && ring.loadHead() === tail) break;
      continue;
    }
    while (tail !== head) {
      const at = tail & mask;
      const size = i32[at >> 2]!;
      if (size === WRAP_MARKER) {
        tail = (tail + cap - at) | 0;
        continue;
      }
      sum = (sum + i32[(at >> 2) + 1]!) | 0;
      frames++;
      tail = (tail + align8(size)) | 0;
    }
    ring.release(tail);
  }
  done[DONE_FRAMES] = frames;
  done[DONE_SUM] = sum;
}

function echo(inRing: RingBuffer, outRing: RingBuffer): void {
  const inI32 = inRing.i32;
  const outI32 = outRing.i32;
  const mask = inRing.mask;
  const cap = inRing.capacity;
  let tail = inRing.loadTail();
  let frames = 0;
  for (;;) {
    const head = inRing.loadHead();
    if (head === tail) {
      if (inRing.isClosed() && inRing.loadHead() === tail) break;
      continue;
    }
    while (tail !== head) {
      const at = tail & mask;
      const size = inI32[at >> 2]!;
      if (size === WRAP_MARKER) {
        tail = (tail + cap - at) | 0;
        continue;
      }
      const seq = inI32[(at >> 2) + 1]!;
      tail = (tail + align8(size)) | 0;
      let o = outRing.reserve(16);
      while (o < 0) o = outRing.reserve(16); // the main thread reads every echo before sending the next ping
      outI32[(o >> 2) + 1] = seq;
      outRing.publish();
      frames++;
    }
    inRing.release(tail);
  }
  done[DONE_FRAMES] = frames;
}

if (d.mode === '1p1c') consume(new RingBuffer(d.rings[0]!));
else echo(new RingBuffer(d.rings[0]!), new RingBuffer(d.rings[1]!));
// Publish the results before the flag: Atomics.store is sequentially consistent.
Atomics.store(done, DONE_FLAG, 1);
Atomics.notify(done, DONE_FLAG); // the main thread waits on the flag it read as 0
