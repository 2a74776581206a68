// Test helper: drives a PipelineOperator directly, as a worker's loop does —
// row bodies written by hand into ring-like memory, io slots set per record —
// with a real OutWriter over a real out-ring whose OUTPUT frames are read back.
import { PipelineOperator, type PipelineConfig } from '../../dist/src/operators/pipeline/pipeline-operator.js';
import type { RecordAggregate } from '../../dist/src/operators/pipeline/window-stage.js';
import { planOf, type JobPlan } from '../../dist/src/job/plan.js';
import { rowLayout, ROW_KEY } from '../../dist/src/codec/row-layout.js';
import { FRAME_HEADER_BYTES, F_BODY_LEN, F_HASH, F_INGEST, F_KIND, F_TIME, KIND_OUTPUT } from '../../dist/src/codec/frame.js';
import { IN_BODY, IN_INGEST, IN_TS } from '../../dist/src/state/record-io.js';
import { WRAP_MARKER, align8 } from '../../dist/src/ring/layout.js';
import { RingBuffer, Doorbell, murmur2 } from '../../dist/src/index.js';
import { OutWriter } from '../../dist/workers/out-writer.js';
import type { AggSpec } from '../../dist/src/job/aggregates.js';
import { writeRow } from './row-body.js';

export interface Output {
  target: number;
  time: number;
  ingest: number;
  body: Record<string, unknown>;
}

/** A minimal aggregate set (count, sum, custom) for tests: the real AggregateSet lives on another branch. */
export function testAggregates(specs: Readonly<Record<string, AggSpec>>): RecordAggregate {
  const names = Object.keys(specs);
  const list = Object.values(specs);
  const value = (s: AggSpec, r: Record<string, unknown>): number => Number(s.expr ? (s.expr as (x: unknown) => unknown)(r) : r[s.field!]);
  const set = {
    name: 'test-aggregates',
    record: undefined as unknown,
    io: new Float64Array(1),
    init: (): unknown[] => list.map((s) => (s.kind === 'custom' ? s.custom!.init() : 0)),
    add(acc: unknown[]): unknown[] {
      list.forEach((s, i) => {
        if (s.kind === 'count') acc[i] = (acc[i] as number) + 1;
        else if (s.kind === 'sum') acc[i] = (acc[i] as number) + value(s, set.record as Record<string, unknown>);
        else acc[i] = s.custom!.add(acc[i], set.record as never, set.io[0]!);
      });
      return acc;
    },
    merge: (a: unknown[], b: unknown[]): unknown[] => a.map((x, i) => (list[i]!.kind === 'custom' ? list[i]!.custom!.merge(x, b[i]) : (x as number) + (b[i] as number))),
    result: (acc: unknown[]): Record<string, unknown> =>
      Object.fromEntries(names.map((n, i) => [n, list[i]!.kind === 'custom' ? list[i]!.custom!.result(acc[i]) : acc[i]])),
  };
  return set as unknown as RecordAggregate;
}

export function harness(stream: unknown, opts: Partial<PipelineConfig> = {}) {
  const plan: JobPlan = planOf({ default: stream }, 'test-job.ts');
  const partitions = opts.partitions ?? [0];
  const config: PipelineConfig = {
    partitions, outOfOrderness: 0, allowedLateness: 0, watermarkFromRecords: true, earlyFire: false, onUserError: 'dead-letter',
    layout: { keyGroups: 16, partitions: partitions.length, worker: 0, ownPartitions: partitions },
    makeAggregates: testAggregates, ...opts,
  };
  const ring = RingBuffer.create(1 << 16, Doorbell.create(), Doorbell.create());
  const out = new OutWriter(ring, Doorbell.create(), partitions, 64, 10);
  const op = new PipelineOperator(plan, config, out);
  const layout = rowLayout(plan.fields);
  const mem = new Uint8Array(new SharedArrayBuffer(1 << 16));
  const consumer = new RingBuffer(ring.handle);
  let tail = consumer.loadTail();
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return {
    op, plan, config,
    /** One record of input `input` with key `key` (the main thread's key string) at event time `ts`. */
    feed(key: string, values: Record<string, unknown>, ts: number, ingest = 1, input = 0): void {
      writeRow(mem, 0, layout, key, values);
      op.io[IN_BODY] = 0;
      op.io[IN_TS] = ts;
      op.io[IN_INGEST] = ingest;
      const kb = enc.encode(key);
      op.processRecord(input, murmur2(kb), mem, ROW_KEY, kb.length);
    },
    /** OUTPUT frames written since the last call. */
    outputs(): Output[] {
      out.flush();
      const got: Output[] = [];
      const head = consumer.loadHead();
      while (tail !== head) {
        const at = tail & consumer.mask;
        const size = consumer.i32[at >> 2]!;
        if (size === WRAP_MARKER) { tail = (tail + consumer.capacity - at) | 0; continue; }
        if (consumer.i32[(at + F_KIND) >> 2] === KIND_OUTPUT) {
          const len = consumer.i32[(at + F_BODY_LEN) >> 2]!;
          got.push({
            target: consumer.i32[(at + F_HASH) >> 2]!,
            time: consumer.f64[(at + F_TIME) >> 3]!,
            ingest: consumer.f64[(at + F_INGEST) >> 3]!,
            body: JSON.parse(dec.decode(consumer.u8.slice(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + len))) as Record<string, unknown>,
          });
        }
        tail = (tail + align8(size)) | 0;
      }
      consumer.release(tail);
      return got;
    },
  };
}
