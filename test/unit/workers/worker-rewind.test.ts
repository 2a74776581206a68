// A worker's side of a rewind: REWIND(n) aligns over its rings like a
// barrier (a barrier before it completes first), the chain is replaced by a
// fresh one holding the rewind's files, REWIND_ACK(n) follows everything the
// old chain published, and what follows it is what a worker started afresh
// (or restored from those files) would write. The loop runs in this thread
// over rings filled beforehand and ended with END.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWorkerLoop } from '../../../dist/workers/worker-loop.js';
import { RingBuffer, Doorbell, Partitioner, murmur2, parseWindow } from '../../../dist/src/index.js';
import { Counters } from '../../../dist/src/metrics/counters.js';
import { writeRewindFile } from '../../../dist/src/checkpoint/rewind-file.js';
import { checkpointPath } from '../../../dist/src/checkpoint/manifest.js';
import {
  FRAME_HEADER_BYTES, F_HASH, F_KIND, F_TIME, KIND_BARRIER_ACK, KIND_LATE, KIND_RESULT, KIND_REWIND_ACK, KIND_WORKER_DONE,
} from '../../../dist/src/codec/frame.js';
import { L_KEY, L_KEY_LEN, R_COUNT, R_KEY, R_KEY_LEN } from '../../../dist/src/codec/out-frames.js';
import { align8 } from '../../../dist/src/ring/layout.js';
import type { WorkerTask } from '../../../dist/src/engine/worker-contract.js';
import { rig, type Rig } from '../../helpers/ring-frames.js';

type Out = { kind: 'result'; key: string; start: number; count: number } | { kind: 'late'; key: string } | { kind: 'barrier-ack' | 'rewind-ack'; id: number } | { kind: 'done' };

/** One worker over two partitions; `fill` writes its input (every ring is ended after it). */
async function runWorker(fill: (r: Rig) => Promise<void>, dirs: Partial<WorkerTask> = {}): Promise<Out[]> {
  const r = rig(2, { capacity: 1 << 20, keyGroups: 16 });
  await fill(r);
  await r.writer.end(true);
  const out = RingBuffer.create(1 << 16, Doorbell.create(), Doorbell.create());
  const counterLayout = { partitions: 2, workers: 1 };
  const task: WorkerTask = {
    worker: 0, partitions: [0, 1], rings: r.rings.map((x) => x.handle), out: out.handle, bell: Doorbell.create().sab,
    counters: Counters.create(counterLayout).sab, counterLayout, window: parseWindow('tumbling:1s'),
    outOfOrderness: 0, watermarkFromRecords: true, allowedLateness: 0, earlyFire: 0, spin: 0, maxBatch: 64, tickMs: 10,
    keyGroups: 16, totalPartitions: 2, metrics: false, ...dirs,
  };
  runWorkerLoop(task, undefined);
  const frames: Out[] = [];
  const reader = new RingBuffer(out.handle);
  for (let t = reader.loadTail(); t !== reader.loadHead();) {
    const at = t & reader.mask;
    const kind = reader.i32[(at + F_KIND) >> 2];
    const b = at + FRAME_HEADER_BYTES;
    if (kind === KIND_RESULT) {
      const len = reader.i32[(b + R_KEY_LEN) >> 2]!;
      const key = Buffer.from(reader.u8.slice(b + R_KEY, b + R_KEY + len)).toString();
      frames.push({ kind: 'result', key, start: reader.f64[(at + F_TIME) >> 3]!, count: reader.f64[(b + R_COUNT) >> 3]! });
    } else if (kind === KIND_BARRIER_ACK || kind === KIND_REWIND_ACK) {
      expect(reader.i32[(at + F_HASH) >> 2]).toBe(0);
      frames.push({ kind: kind === KIND_BARRIER_ACK ? 'barrier-ack' : 'rewind-ack', id: reader.f64[(at + F_TIME) >> 3]! });
    } else if (kind === KIND_LATE) {
      const len = reader.i32[(b + L_KEY_LEN) >> 2]!;
      frames.push({ kind: 'late', key: Buffer.from(reader.u8.slice(b + L_KEY, b + L_KEY + len)).toString() });
    } else if (kind === KIND_WORKER_DONE) {
      frames.push({ kind: 'done' });
    }
    t = (t + align8(reader.i32[at >> 2]!)) | 0;
  }
  return frames;
}

function write(r: Rig, keys: number, from: number, to: number): void {
  for (let ts = from; ts < to; ts += 50) {
    for (let k = 0; k < keys; k++) expect(r.writer.writeRecord(`k${k}`, ts, 1, 0)).toBe(-1);
  }
  r.writer.publishAll();
}

const results = (frames: Out[]): string[] => frames.filter((f) => f.kind === 'result').map((f) => JSON.stringify(f)).sort();

describe('worker loop: REWIND', () => {
  it('after a barrier: ack, then a fresh state from the rewind\'s files; what follows equals a restored worker\'s output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sabre-worker-rewind-'));
    const after = (r: Rig): void => write(r, 6, 2500, 4000);
    const frames = await runWorker(async (r) => {
      write(r, 8, 0, 2200); // fires [0,1000) and [1000,2000) on the way; [2000,3000) stays open
      await r.writer.writeBarrierAll(1);
      write(r, 10, 2200, 9000); // undone: everything it fires or keeps
      writeRewindFile(dir, 7, [join(checkpointPath(dir, 1), 'worker-0.snap')]);
      await r.writer.writeRewindAll(7);
      after(r);
    }, { checkpointDir: dir, rewindDir: dir });
    const kinds = frames.map((f) => (f.kind === 'result' ? 'r' : f.kind));
    const barrier = kinds.indexOf('barrier-ack');
    const rewind = kinds.indexOf('rewind-ack');
    expect(barrier).toBeGreaterThan(0);
    expect(rewind).toBeGreaterThan(barrier);
    expect(frames[rewind]).toEqual({ kind: 'rewind-ack', id: 7 });
    expect(kinds.at(-1)).toBe('done');
    // A worker restored from checkpoint 1 that reads only what followed the rewind.
    const restored = await (async () => {
      const rdir = mkdtempSync(join(tmpdir(), 'sabre-worker-rewind-'));
      writeRewindFile(rdir, 1, [join(checkpointPath(dir, 1), 'worker-0.snap')]);
      const f = await runWorker(async (r) => {
        await r.writer.writeRewindAll(1);
        after(r);
      }, { rewindDir: rdir });
      return f.slice(f.findIndex((x) => x.kind === 'rewind-ack') + 1);
    })();
    const followed = frames.slice(rewind + 1);
    expect(results(followed)).toEqual(results(restored));
    // The restored window [2000,3000) holds the 8 keys' records before the barrier and the 6 keys' after it.
    expect(followed).toContainEqual({ kind: 'result', key: 'k0', start: 2000, count: 4 + 10 });
    expect(followed).toContainEqual({ kind: 'result', key: 'k7', start: 2000, count: 4 });
    expect(followed.some((f) => f.kind === 'result' && f.key === 'k9')).toBe(false); // a key only the undone work had
  });

  it('per-partition files (--changelog layout): a partition no file covers starts empty, with no watermark', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sabre-worker-rewind-'));
    await runWorker(async (r) => {
      write(r, 8, 0, 2200);
      await r.writer.writeBarrierAll(1);
    }, { checkpointDir: dir, snapshotPerPartition: true });
    const partitioner = new Partitioner(16, 2, 1);
    const partitionOf = (key: string): number => partitioner.partitionOf(murmur2(new TextEncoder().encode(key)));
    const keys = Array.from({ length: 8 }, (_, k) => `k${k}`);
    expect(new Set(keys.map(partitionOf))).toEqual(new Set([0, 1]));
    const rdir = mkdtempSync(join(tmpdir(), 'sabre-worker-rewind-'));
    writeRewindFile(rdir, 1, [join(checkpointPath(dir, 1), 'partition-1.snap')]);
    const frames = await runWorker(async (r) => {
      write(r, 16, 9000, 9100); // undone
      await r.writer.writeRewindAll(1);
      write(r, 8, 500, 550); // on time where nothing was restored, late after partition 1's restored watermark (2150)
      write(r, 8, 2500, 3000);
    }, { rewindDir: rdir });
    const followed = frames.slice(frames.findIndex((f) => f.kind === 'rewind-ack') + 1);
    for (const key of keys) {
      if (partitionOf(key) === 0) {
        expect(followed).toContainEqual({ kind: 'result', key, start: 0, count: 1 });
        expect(followed).toContainEqual({ kind: 'result', key, start: 2000, count: 10 });
      } else {
        expect(followed).toContainEqual({ kind: 'late', key });
        expect(followed).toContainEqual({ kind: 'result', key, start: 2000, count: 4 + 10 });
      }
    }
    expect(followed.some((f) => f.kind === 'result' && f.key === 'k12')).toBe(false);
  });

  it('to no files: the state is empty, with no watermark', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sabre-worker-rewind-'));
    writeRewindFile(dir, 1, []);
    const frames = await runWorker(async (r) => {
      write(r, 4, 5000, 9000);
      await r.writer.writeRewindAll(1);
      write(r, 3, 0, 1500); // late for the old watermark, on time for the new (empty) state
    }, { rewindDir: dir });
    const followed = frames.slice(frames.findIndex((f) => f.kind === 'rewind-ack') + 1);
    expect(results(followed)).toEqual(results(await runWorker(async (r) => write(r, 3, 0, 1500))));
  });
});
