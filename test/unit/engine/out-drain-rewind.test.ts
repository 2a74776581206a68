// The out-drain's side of a rewind (Engine.rewind): from beginRewind until a
// worker's REWIND_ACK, every frame of that worker's out-ring is dropped —
// results, barrier acks — and after the ack its results belong to the
// rewind's epoch. A worker an epoch sink holds back (EpochSink.accepts) is
// read anyway while it owes the ack, or the rewind would never end.
import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../../../src/ring/ring-buffer.js';
import { Doorbell } from '../../../src/ring/doorbell.js';
import {
  FRAME_HEADER_BYTES, F_BODY_LEN, F_HASH, F_INGEST, F_KIND, F_TIME, KIND_BARRIER_ACK, KIND_RESULT, KIND_REWIND_ACK,
} from '../../../src/codec/frame.js';
import { R_COUNT, R_KEY, R_KEY_LEN, R_USER_LEN, RESULT_FIXED_BYTES } from '../../../src/codec/out-frames.js';
import { OutDrain } from '../../../src/engine/out-drain.js';
import { openLineSink } from '../../../src/io/sinks/line-sink.js';
import type { EpochSink } from '../../../src/io/sinks/epoch-sink.js';

/**
 * An epoch sink that takes results of epochs up to `open` only, as the
 * transactional Kafka sink does once its memory for later epochs is full.
 */
class HoldingSink implements EpochSink {
  readonly name = 'holding';
  lines = 0;
  open = 1;
  readonly got: { epoch: number; line: unknown }[] = [];
  accepts(epoch: number): boolean {
    return epoch <= this.open;
  }
  writeEpoch(epoch: number, chunk: string, lines: number): boolean {
    this.lines += lines;
    for (const l of chunk.split('\n').filter(Boolean)) this.got.push({ epoch, line: JSON.parse(l) });
    return true;
  }
  write(chunk: string, lines: number): boolean {
    return this.writeEpoch(0, chunk, lines);
  }
  async drained(): Promise<void> {}
  async close(): Promise<void> {}
}

const enc = new TextEncoder();

/** A window result for `key` (count `n`, window [0, 1000)), as a worker's OutWriter writes it. */
function result(ring: RingBuffer, key: string, n: number): void {
  const k = enc.encode(key);
  const size = FRAME_HEADER_BYTES + RESULT_FIXED_BYTES + k.length;
  const at = ring.reserve(size);
  expect(at).toBeGreaterThanOrEqual(0);
  ring.i32[(at + F_KIND) >> 2] = KIND_RESULT;
  ring.i32[(at + F_BODY_LEN) >> 2] = size - FRAME_HEADER_BYTES;
  ring.f64[(at + F_TIME) >> 3] = 0;
  ring.f64[(at + F_INGEST) >> 3] = 1000;
  const b = at + FRAME_HEADER_BYTES;
  ring.u8.fill(0, b, b + RESULT_FIXED_BYTES);
  ring.f64[(b + R_COUNT) >> 3] = n;
  ring.i32[(b + R_KEY_LEN) >> 2] = k.length;
  ring.i32[(b + R_USER_LEN) >> 2] = 0;
  ring.u8.set(k, b + R_KEY);
}

/** A control acknowledgement: BARRIER_ACK(id) or REWIND_ACK(n). */
function ack(ring: RingBuffer, kind: number, worker: number, id: number): void {
  const at = ring.reserve(FRAME_HEADER_BYTES);
  ring.i32[(at + F_KIND) >> 2] = kind;
  ring.i32[(at + F_HASH) >> 2] = worker;
  ring.i32[(at + F_BODY_LEN) >> 2] = 0;
  ring.f64[(at + F_TIME) >> 3] = id;
  ring.f64[(at + F_INGEST) >> 3] = 0;
}

describe('OutDrain during a rewind', () => {
  it('drops every frame of a worker until its REWIND_ACK, held back by an epoch sink or not; then its results go to the rewind\'s epoch', () => {
    const rings = [0, 1].map(() => RingBuffer.create(1 << 14, Doorbell.create(), Doorbell.create())) as [RingBuffer, RingBuffer];
    const sink = new HoldingSink();
    const drain = new OutDrain(rings, ['count'], undefined, sink, openLineSink('null', '--late-output'), true);
    const barrierAcks: number[][] = [];
    drain.onBarrierAck = (w, id) => barrierAcks.push([w, id]);
    const [w0, w1] = rings;

    // Worker 0 passed checkpoint 1's barrier: its next results are of epoch 2, which the sink holds back.
    result(w0, 'before', 1);
    ack(w0, KIND_BARRIER_ACK, 0, 1);
    w0.publish();
    drain.drain(0);
    result(w0, 'held', 2);
    w0.publish();
    drain.drain(0);
    expect(sink.got).toEqual([{ epoch: 1, line: expect.objectContaining({ key: 'before', count: 1 }) }]);
    expect(barrierAcks).toEqual([[0, 1]]);
    expect(drain.hasData()).toBe(false); // held

    let rewound = 0;
    drain.beginRewind(1, 1, [0, 1], () => rewound++);
    // Worker 0, held until now, must be read: its ack is behind frames of the undone work.
    expect(drain.hasData()).toBe(true);
    result(w0, 'undone', 3);
    ack(w0, KIND_BARRIER_ACK, 0, 2); // a checkpoint the rewind abandoned
    w0.publish();
    result(w1, 'undone', 4);
    w1.publish();
    drain.drain(0);
    expect(rewound).toBe(0);
    expect(sink.got).toHaveLength(1);
    expect(drain.rewoundResults).toBe(3); // 'held', and both 'undone'

    ack(w0, KIND_REWIND_ACK, 0, 1);
    result(w0, 'after', 5);
    w0.publish();
    result(w1, 'undone', 6);
    ack(w1, KIND_REWIND_ACK, 1, 1);
    result(w1, 'after', 7);
    ack(w1, KIND_BARRIER_ACK, 1, 3); // a checkpoint after the rewind counts again
    w1.publish();
    drain.drain(0);
    expect(rewound).toBe(1);
    expect(drain.rewoundResults).toBe(4);
    expect(barrierAcks).toEqual([[0, 1], [1, 3]]);
    expect(sink.got.slice(1).map((g) => [g.epoch, (g.line as { key: string; count: number }).count]).sort()).toEqual([[1, 5], [1, 7]]);
    expect([...drain.epochOf]).toEqual([1, 4]);
  });

  it('a rewind of no worker (none owns a partition) is done at once', () => {
    const rings = [RingBuffer.create(1 << 12, Doorbell.create(), Doorbell.create())];
    const drain = new OutDrain(rings, ['count'], undefined, new HoldingSink(), openLineSink('null', '--late-output'), true);
    let rewound = 0;
    drain.beginRewind(1, 1, [], () => rewound++);
    expect(rewound).toBe(1);
  });
});
