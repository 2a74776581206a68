// A worker's loop runs a job's pipeline: record frames carrying row bodies (key read from the
// body, not a flatbuffers Record) drain through the PipelineOperator chain into OUTPUT frames.
// The loop runs in this thread over rings filled beforehand and ended with END frames.
import { describe, expect, it } from 'vitest';
import { runWorkerLoop } from '../../../dist/workers/worker-loop.js';
import { job, file, tumbling, count, sum } from '../../../dist/src/job/index.js';
import { planOf } from '../../../dist/src/job/plan.js';
import { rowLayout } from '../../../dist/src/codec/row-layout.js';
import {
  FRAME_HEADER_BYTES, F_BODY_LEN, F_HASH, F_INGEST, F_KIND, F_TIME, KIND_END, KIND_OUTPUT, KIND_RECORD, KIND_WORKER_DONE,
} from '../../../dist/src/codec/frame.js';
import { align8 } from '../../../dist/src/ring/layout.js';
import { Counters } from '../../../dist/src/metrics/counters.js';
import { RingBuffer, Doorbell, murmur2 } from '../../../dist/src/index.js';
import type { WorkerTask } from '../../../dist/src/engine/worker-contract.js';
import { writeRow } from '../../helpers/row-body.js';

const source = file('t.ndjson', { fields: { card: 'string', amount: 'number', status: 'string', at: 'time' }, time: 'at' });
const enc = new TextEncoder();

describe('worker loop with a job plan', () => {
  it('reads keys from row bodies and writes the pipeline\'s outputs', () => {
    const stream = job({ source }).filter((t) => t.status === 'ok').keyBy('card').window(tumbling(1000)).aggregate({ n: count(), total: sum('amount') });
    const plan = planOf({ default: stream }, 'job.ts');
    const layout = rowLayout(plan.fields);
    const rings = [0, 1].map(() => RingBuffer.create(1 << 14, Doorbell.create(), Doorbell.create()));
    const out = RingBuffer.create(1 << 16, Doorbell.create(), Doorbell.create());
    const rows: [number, string, number, string, number][] = [
      [0, 'a', 1, 'ok', 100], [1, 'bb', 10, 'ok', 200], [0, 'a', 2, 'test', 300], [0, 'a', 4, 'ok', 900], [1, 'bb', 5, 'ok', 1500],
    ];
    for (const [p, card, amount, status, at] of rows) {
      const r = rings[p]!;
      const scratch = new Uint8Array(512);
      const bodyLen = writeRow(scratch, 0, layout, card, { card, amount, status, at });
      const size = FRAME_HEADER_BYTES + bodyLen;
      const f = r.reserve(size);
      r.i32[(f + F_KIND) >> 2] = KIND_RECORD;
      r.i32[(f + F_HASH) >> 2] = murmur2(enc.encode(card));
      r.i32[(f + F_BODY_LEN) >> 2] = bodyLen;
      r.f64[(f + F_TIME) >> 3] = at;
      r.f64[(f + F_INGEST) >> 3] = 1;
      r.u8.set(scratch.subarray(0, bodyLen), f + FRAME_HEADER_BYTES);
    }
    for (const r of rings) {
      const f = r.reserve(FRAME_HEADER_BYTES);
      r.i32[(f + F_KIND) >> 2] = KIND_END;
      r.i32[(f + F_BODY_LEN) >> 2] = 0;
      r.publish();
    }
    const counterLayout = { partitions: 2, workers: 1 };
    const task: WorkerTask = {
      worker: 0, partitions: [0, 1], rings: rings.map((r) => r.handle), out: out.handle, bell: Doorbell.create().sab,
      counters: Counters.create(counterLayout).sab, counterLayout, window: { kind: 'tumbling', size: 60000 },
      outOfOrderness: 0, watermarkFromRecords: true, allowedLateness: 0, earlyFire: 0, spin: 0, maxBatch: 64, tickMs: 10,
      keyGroups: 16, totalPartitions: 2, metrics: false, job: { module: 'job.ts', onUserError: 'fail' },
    };
    const summary = runWorkerLoop(task, undefined, plan);
    expect(summary).toMatchObject({ records: 5, results: 3, keys: 2 });

    const got: Record<string, unknown>[] = [];
    let done = false;
    const reader = new RingBuffer(out.handle);
    for (let t = reader.loadTail(); t !== reader.loadHead();) {
      const at = t & reader.mask;
      const kind = reader.i32[(at + F_KIND) >> 2];
      if (kind === KIND_OUTPUT) {
        const len = reader.i32[(at + F_BODY_LEN) >> 2]!;
        got.push(JSON.parse(Buffer.from(reader.u8.slice(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + len)).toString()));
      }
      if (kind === KIND_WORKER_DONE) done = true;
      t = (t + align8(reader.i32[at >> 2]!)) | 0;
    }
    expect(done).toBe(true);
    const byKey = (x: Record<string, unknown>) => `${x.card}/${x.start}`;
    expect(got.sort((x, y) => byKey(x).localeCompare(byKey(y)))).toEqual([
      { card: 'a', start: 0, end: 1000, fire: 'watermark', n: 2, total: 5 },
      { card: 'bb', start: 0, end: 1000, fire: 'watermark', n: 1, total: 10 },
      { card: 'bb', start: 1000, end: 2000, fire: 'watermark', n: 1, total: 5 },
    ]);
  });
});
