// A PartitionedWriter over real rings, and a consumer side that reads back
// what it wrote: frames with their header fields and bodies decoded (row
// frames by src/codec/row-layout.ts, record frames as flatbuffers Records).
import * as flatbuffers from 'flatbuffers';
import { RingBuffer } from '../../dist/src/ring/ring-buffer.js';
import { Doorbell } from '../../dist/src/ring/doorbell.js';
import { WRAP_MARKER, align8 } from '../../dist/src/ring/layout.js';
import { Partitioner } from '../../dist/src/partition/partitioner.js';
import { PartitionedWriter } from '../../dist/src/partition/partitioned-writer.js';
import { Counters } from '../../dist/src/metrics/counters.js';
import { FRAME_HEADER_BYTES, F_BODY_LEN, F_HASH, F_INGEST, F_KIND, F_TIME } from '../../dist/src/codec/frame.js';
import { ROW_KEY, ROW_KEY_LEN, ROW_NULL_STRING, ROW_STR_BYTES, rowNumAt, rowStrRefsAt, type RowLayout } from '../../dist/src/codec/row-layout.js';
import { Record as FbRecord } from '../../dist/src/codec/flat/generated/sabre/fb/record.js';

export interface Rig {
  rings: RingBuffer[];
  writer: PartitionedWriter;
  partitioner: Partitioner;
  counters: Counters;
}

export function rig(partitions = 4, opts: { capacity?: number; maxBatch?: number; maxFutureSkew?: number; keyGroups?: number } = {}): Rig {
  const rings = Array.from({ length: partitions }, () => RingBuffer.create(opts.capacity ?? 1 << 16, Doorbell.create(), Doorbell.create()));
  const partitioner = new Partitioner(opts.keyGroups ?? 128, partitions, 1);
  const counters = Counters.create({ partitions, workers: 1 });
  const writer = new PartitionedWriter(rings, partitioner, counters, opts.maxBatch ?? 64, opts.maxFutureSkew ?? Infinity);
  return { rings, writer, partitioner, counters };
}

export interface Frame {
  partition: number;
  kind: number;
  hash: number;
  time: number;
  ingest: number;
  /** A copy of the body (8-aligned, so its doubles read through a DataView at their offsets). */
  body: Uint8Array;
}

/** Every published frame of ring p, in order; releases them (as a worker would). */
export function drainRing(ring: RingBuffer, partition: number): Frame[] {
  const out: Frame[] = [];
  let tail = ring.loadTail();
  const head = ring.loadHead();
  while (tail !== head) {
    const at = tail & ring.mask;
    const size = ring.i32[at >> 2]!;
    if (size === WRAP_MARKER) {
      tail = (tail + ring.capacity - at) | 0;
      continue;
    }
    const bodyLen = ring.i32[(at + F_BODY_LEN) >> 2]!;
    out.push({
      partition,
      kind: ring.i32[(at + F_KIND) >> 2]!,
      hash: ring.i32[(at + F_HASH) >> 2]!,
      time: ring.f64[(at + F_TIME) >> 3]!,
      ingest: ring.f64[(at + F_INGEST) >> 3]!,
      body: ring.u8.slice(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + bodyLen),
    });
    tail = (tail + align8(size)) | 0;
  }
  ring.release(tail);
  return out;
}

/** Every published frame of every ring, partition by partition. */
export function drainAll(rings: RingBuffer[]): Frame[] {
  return rings.flatMap((r, p) => drainRing(r, p));
}

/**
 * Run a source (`run`) against a rig while playing the workers' side: drain
 * every ring and wake the writer's space waiters, until the source ends.
 * The frames read, in drain order.
 */
export async function runDraining({ writer, rings }: Pick<Rig, 'writer' | 'rings'>, run: () => Promise<void>): Promise<Frame[]> {
  const frames: Frame[] = [];
  let done = false;
  const consumer = (async () => {
    while (!done) {
      frames.push(...drainAll(rings));
      writer.wakeWaiters();
      await new Promise((r) => setImmediate(r));
    }
  })();
  try {
    await run();
  } finally {
    done = true;
    await consumer;
  }
  writer.publishAll();
  frames.push(...drainAll(rings));
  return frames;
}

export interface DecodedRow {
  key: string;
  /** Field name → value: number, string, boolean (boolean fields), or null. */
  values: Record<string, number | string | boolean | null>;
  strBytes: number;
}

/** A row frame's body read by its layout. */
export function decodeRow(body: Uint8Array, layout: RowLayout): DecodedRow {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const keyLen = dv.getUint32(ROW_KEY_LEN, true);
  const strBytes = dv.getUint32(ROW_STR_BYTES, true);
  const td = new TextDecoder();
  const key = td.decode(body.subarray(ROW_KEY, ROW_KEY + keyLen));
  const numAt = rowNumAt(keyLen);
  const refsAt = rowStrRefsAt(layout, keyLen);
  const values: DecodedRow['values'] = {};
  layout.fields.forEach((f, i) => {
    const n = layout.numSlot[i]!;
    if (n >= 0) {
      const v = dv.getFloat64(numAt + n * 8, true);
      values[f.name] = Number.isNaN(v) ? null : f.type === 'boolean' ? v === 1 : v;
      return;
    }
    const s = layout.strSlot[i]!;
    const off = dv.getInt32(refsAt + s * 8, true);
    const len = dv.getInt32(refsAt + s * 8 + 4, true);
    values[f.name] = len === ROW_NULL_STRING ? null : td.decode(body.subarray(off, off + len));
  });
  return { key, values, strBytes };
}

/** A record frame's body (the built-in job's flatbuffers Record). */
export function decodeRecord(body: Uint8Array): { key: string; time: number; value: number } {
  const r = FbRecord.getRootAsRecord(new flatbuffers.ByteBuffer(body));
  return { key: r.key() ?? '', time: r.eventTime(), value: r.value() };
}
