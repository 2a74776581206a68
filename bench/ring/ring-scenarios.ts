// The engine's floor: the SAB ring alone, no codec, no operator.
// ring-1p1c: the main thread writes 32-byte frames (the size of a frame
//   header) and publishes every B frames; one worker_threads consumer drains
//   and releases once per batch it finds. Records/s per batch size.
// ring-ping-pong: the main thread sends one 16-byte frame through ring A, the
//   worker echoes it through ring B; the round trip is timed on the main
//   thread (its own clock only). Percentiles over every round trip.
import { Worker } from 'node:worker_threads';
import { Doorbell } from '../../src/ring/doorbell.js';
import { RingBuffer } from '../../src/ring/ring-buffer.js';
import { WRAP_MARKER, align8 } from '../../src/ring/layout.js';
import { percentile, stats } from '../bench-util.js';
import { DONE_FLAG, DONE_FRAMES, DONE_SUM } from './done-words.js';
import type { RingWorkerData } from './ring-worker.js';

const WORKER_URL = new URL('./ring-worker.js', import.meta.url);
const FRAME = 32;

function startWorker(data: RingWorkerData): { worker: Worker; exited: Promise<void> } {
  const worker = new Worker(WORKER_URL, { workerData: data });
  const exited = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ring worker exited with ${code}`))));
  });
  return { worker, exited };
}

async function waitOnline(w: Worker): Promise<void> {
  await new Promise<void>((r) => w.once('online', () => r()));
}

/** One 1p1c run: `frames` frames of 32 bytes, published every `batch`. Returns records/s. */
export async function ring1p1cOnce(frames: number, batch: number, ringBytes: number): Promise<{ recordsPerSec: number; framesSeen: number; checksumOk: boolean }> {
  const ring = RingBuffer.create(ringBytes, Doorbell.create(), Doorbell.create());
  const done = new Int32Array(new SharedArrayBuffer(16));
  const { worker, exited } = startWorker({ mode: '1p1c', rings: [ring.handle], done: done.buffer as SharedArrayBuffer });
  await waitOnline(worker);
  const i32 = ring.i32;
  let expect = 0;
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) {
    let at = ring.reserve(FRAME);
    if (at < 0) {
      ring.publish();
      while ((at = ring.reserve(FRAME)) < 0) { /* spin: the consumer runs on the other core */ }
    }
    i32[(at >> 2) + 1] = i;
    expect = (expect + i) | 0;
    if (ring.pending >= batch) ring.publish();
  }
  ring.close();
  // Blocks the main thread, which has nothing else to do here; waits only while the flag is still 0.
  while (Atomics.load(done, DONE_FLAG) === 0) Atomics.wait(done, DONE_FLAG, 0, 1000);
  const seconds = (performance.now() - t0) / 1000;
  await exited;
  return { recordsPerSec: frames / seconds, framesSeen: done[DONE_FRAMES]!, checksumOk: done[DONE_SUM] === expect };
}

export interface Ring1p1cResult {
  frameBytes: number;
  ringBytes: number;
  frames: number;
  batches: { batch: number; recordsPerSec: ReturnType<typeof stats>; framesSeen: number; checksumOk: boolean }[];
}

export async function ring1p1c(o: { frames: number; repeat: number; ringBytes: number; batches: number[] }, tick: (label: string) => void): Promise<Ring1p1cResult> {
  const per = new Map<number, number[]>(o.batches.map((b) => [b, []]));
  let framesSeen = 0;
  let checksumOk = true;
  for (let r = 0; r < o.repeat; r++) {
    for (const b of o.batches) {
      tick(`ring-1p1c batch ${b} run ${r + 1}/${o.repeat}`);
      const x = await ring1p1cOnce(o.frames, b, o.ringBytes);
      per.get(b)!.push(x.recordsPerSec);
      framesSeen = x.framesSeen;
      checksumOk &&= x.checksumOk && x.framesSeen === o.frames;
    }
  }
  return {
    frameBytes: FRAME, ringBytes: o.ringBytes, frames: o.frames,
    batches: o.batches.map((b) => ({ batch: b, recordsPerSec: stats(per.get(b)!), framesSeen, checksumOk })),
  };
}

/** Round trips through two rings; latency in µs measured on the main thread. */
export async function ringPingPongOnce(trips: number, warmup: number): Promise<{ p50: number; p99: number; p999: number; max: number; trips: number; echoed: number }> {
  const a = RingBuffer.create(64 * 1024, Doorbell.create(), Doorbell.create());
  const b = RingBuffer.create(64 * 1024, Doorbell.create(), Doorbell.create());
  const done = new Int32Array(new SharedArrayBuffer(16));
  const { worker, exited } = startWorker({ mode: 'ping-pong', rings: [a.handle, b.handle], done: done.buffer as SharedArrayBuffer });
  await waitOnline(worker);
  const rtt = new Float64Array(trips);
  const bI32 = b.i32;
  const bMask = b.mask;
  let bTail = b.loadTail();
  for (let i = 0; i < warmup + trips; i++) {
    const t0 = performance.now();
    const at = a.reserve(16);
    a.i32[(at >> 2) + 1] = i;
    a.publish();
    for (;;) {
      const head = b.loadHead();
      if (head === bTail) continue;
      let off = bTail & bMask;
      if (bI32[off >> 2] === WRAP_MARKER) {
        bTail = (bTail + b.capacity - off) | 0;
        off = 0;
      }
      if (bI32[(off >> 2) + 1] !== i) throw new Error(`ping-pong: expected echo ${i}, got ${bI32[(off >> 2) + 1]}`);
      bTail = (bTail + align8(bI32[off >> 2]!)) | 0;
      b.release(bTail);
      break;
    }
    if (i >= warmup) rtt[i - warmup] = (performance.now() - t0) * 1000;
  }
  a.close();
  while (Atomics.load(done, DONE_FLAG) === 0) Atomics.wait(done, DONE_FLAG, 0, 1000);
  await exited;
  rtt.sort();
  return { trips, echoed: done[DONE_FRAMES]! - warmup, p50: percentile(rtt, 0.5), p99: percentile(rtt, 0.99), p999: percentile(rtt, 0.999), max: rtt[rtt.length - 1]! };
}
