// The out-drain's side of a job run: OUTPUT frames (src/codec/out-frames.ts
// OUT_*) read from a real out-ring and written where F_HASH says, the
// default sink (--sink), a named sink of the job, the late output or the
// dead-letter output, through the run's real sinks (SinkSet), counted.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RingBuffer } from '../../../src/ring/ring-buffer.js';
import { Doorbell } from '../../../src/ring/doorbell.js';
import { FRAME_HEADER_BYTES, F_BODY_LEN, F_HASH, F_INGEST, F_KIND, F_TIME, KIND_BARRIER_ACK, KIND_OUTPUT, KIND_WORKER_DONE } from '../../../src/codec/frame.js';
import { OUT_DEAD_LETTER, OUT_LATE } from '../../../src/codec/out-frames.js';
import { OutDrain } from '../../../src/engine/out-drain.js';
import { JobOutputs, jobKeyFields } from '../../../src/engine/job-outputs.js';
import type { JobPlan } from '../../../src/job/plan.js';
import { SinkSet } from '../../../src/engine/sink-wiring.js';
import { resolveOptions } from '../../../src/options.js';
import { checkOutputTargets } from '../../../src/io/sinks/output-targets.js';
import { needsLines } from '../../../src/io/sinks/line-sink.js';

const encoder = new TextEncoder();
let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'sabre-job-outputs-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** One OUTPUT frame as a worker writes it: JSON body, target in F_HASH, event and ingest time. */
function output(ring: RingBuffer, target: number, obj: unknown, time = 0, ingest = 0): void {
  const body = encoder.encode(JSON.stringify(obj));
  const at = ring.reserve(FRAME_HEADER_BYTES + body.length);
  expect(at).toBeGreaterThanOrEqual(0);
  ring.i32[(at + F_KIND) >> 2] = KIND_OUTPUT;
  ring.i32[(at + F_HASH) >> 2] = target;
  ring.i32[(at + F_BODY_LEN) >> 2] = body.length;
  ring.f64[(at + F_TIME) >> 3] = time;
  ring.f64[(at + F_INGEST) >> 3] = ingest;
  ring.u8.set(body, at + FRAME_HEADER_BYTES);
}

function done(ring: RingBuffer, worker: number): void {
  const at = ring.reserve(FRAME_HEADER_BYTES);
  ring.i32[(at + F_KIND) >> 2] = KIND_WORKER_DONE;
  ring.i32[(at + F_HASH) >> 2] = worker;
  ring.i32[(at + F_BODY_LEN) >> 2] = 0;
}

/** A worker's acknowledgement of checkpoint `id`'s barrier: its outputs after it belong to epoch id + 1. */
function ack(ring: RingBuffer, worker: number, id: number): void {
  const at = ring.reserve(FRAME_HEADER_BYTES);
  ring.i32[(at + F_KIND) >> 2] = KIND_BARRIER_ACK;
  ring.i32[(at + F_HASH) >> 2] = worker;
  ring.i32[(at + F_BODY_LEN) >> 2] = 0;
  ring.f64[(at + F_TIME) >> 3] = id;
  ring.f64[(at + F_INGEST) >> 3] = 0;
}

const lines = (path: string): unknown[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

async function jobSinks(sinkNames: string[], named: [string, string][], checkpoints?: { restoredId: number }) {
  const o = resolveOptions({ sink: `file:${join(dir, 'main.ndjson')}`, lateOutput: `file:${join(dir, 'late.ndjson')}`, deadLetter: `file:${join(dir, 'dead.ndjson')}`,
    checkpointDir: checkpoints ? join(dir, 'cp') : undefined });
  const sinks = new SinkSet();
  await sinks.openTransactional(o, { named, keyFields: [] });
  const errors: unknown[] = [];
  await sinks.open(o, checkpoints?.restoredId ?? 0, (e) => errors.push(e));
  await sinks.openNamed(o, named, (e) => errors.push(e), checkpoints?.restoredId);
  const rings = [0, 1].map(() => RingBuffer.create(1 << 14, Doorbell.create(), Doorbell.create()));
  const drain = new OutDrain(rings, o.aggregates, undefined, sinks.sink, sinks.late, needsLines(sinks.sink));
  drain.jobOutputs = new JobOutputs({ sinkNames, named: sinks.named, deadLetter: (l) => sinks.deadLetterLine(l) });
  return { sinks, rings, drain, errors };
}

describe('OutDrain with a job: OUTPUT frames', () => {
  it('go to the sink their index names, the late output or the dead letters, and are counted', async () => {
    // sinkNames as a plan orders them: the default sink need not be first.
    const { sinks, rings, drain, errors } = await jobSinks(['alerts', '', 'audit'], [['alerts', `file:${join(dir, 'alerts.ndjson')}`], ['audit', `file:${join(dir, 'audit.ndjson')}`]]);
    const seen: unknown[] = [];
    drain.observer = { onOutput: (w, ingest, now) => seen.push([w, ingest, now]) };
    const [w0, w1] = rings as [RingBuffer, RingBuffer];
    output(w0, 1, { card: 'c1', n: 3, start: 0, end: 1000 }, 0, 900);
    output(w0, 0, { card: 'c1', alert: 'many', 'ü': 'ünïcode' });
    output(w1, 2, { seen: 1 });
    output(w1, 2, { seen: 2 });
    output(w1, OUT_LATE, { card: 'c9', at: 5 });
    output(w1, OUT_DEAD_LETTER, { reason: 'user-function', detail: 'TypeError: x is undefined (at /jobs/j.ts:7:12)', record: { card: 'c2' } });
    output(w0, 1, { card: 'c2', n: 1, start: 0, end: 1000 });
    done(w0, 0);
    done(w1, 1);
    w0.publish();
    w1.publish();
    const r = drain.drain(1000);
    expect(r).toEqual({ frames: 9, blocked: false });
    expect(drain.workersDone).toBe(2);
    // Outputs to any sink are the run's results; the late one is late; the dead letter is a dead letter.
    expect(drain.resultLines).toBe(5);
    expect(drain.lateLines).toBe(1);
    expect(sinks.deadLetters).toBe(1);
    expect(seen).toEqual([[0, 900, 1000], [0, 0, 1000], [0, 0, 1000], [1, 0, 1000], [1, 0, 1000]]);
    await sinks.close();
    expect(errors).toEqual([]);
    expect(lines(join(dir, 'main.ndjson'))).toEqual([{ card: 'c1', n: 3, start: 0, end: 1000 }, { card: 'c2', n: 1, start: 0, end: 1000 }]);
    expect(lines(join(dir, 'alerts.ndjson'))).toEqual([{ card: 'c1', alert: 'many', 'ü': 'ünïcode' }]);
    expect(lines(join(dir, 'audit.ndjson'))).toEqual([{ seen: 1 }, { seen: 2 }]);
    expect(lines(join(dir, 'late.ndjson'))).toEqual([{ card: 'c9', at: 5 }]);
    expect(lines(join(dir, 'dead.ndjson'))).toEqual([{
      code: 'ERR_USER_FUNCTION', reason: 'user-function', detail: 'TypeError: x is undefined (at /jobs/j.ts:7:12)', source: 'worker 1', record: { card: 'c2' },
    }]);
  });

  it('hand the default sink\'s outputs to onResult listeners as objects', async () => {
    const { sinks, rings, drain } = await jobSinks([''], []);
    const got: unknown[] = [];
    drain.callbacks.push((r) => got.push(r));
    output(rings[0]!, 0, { k: 'a', total: 7 });
    rings[0]!.publish();
    drain.drain(0);
    await sinks.close();
    expect(got).toEqual([{ k: 'a', total: 7 }]);
  });

  it('an index the plan does not have is dead-lettered as an internal error, not dropped', async () => {
    const { sinks, rings, drain } = await jobSinks([''], []);
    output(rings[0]!, 3, { k: 'a' });
    rings[0]!.publish();
    drain.drain(0);
    await sinks.close();
    expect(sinks.deadLetters).toBe(1);
    expect(lines(join(dir, 'dead.ndjson'))).toMatchObject([{ code: 'ERR_INTERNAL', reason: 'no-such-sink', record: { k: 'a' } }]);
  });
});

describe("a job's named file sink with checkpoints", () => {
  it('is part files by checkpoint epoch, like the results sink: each worker\'s outputs after its barrier ack go to the next part', async () => {
    const { sinks, rings, drain, errors } = await jobSinks(['', 'alerts'], [['alerts', `file:${join(dir, 'alerts.ndjson')}`]], { restoredId: 0 });
    const [w0, w1] = rings as [RingBuffer, RingBuffer];
    output(w0, 1, { a: 'w0 epoch 1' });
    ack(w0, 0, 1);
    output(w0, 1, { a: 'w0 epoch 2' });
    output(w0, 0, { r: 'w0 epoch 2' });
    output(w1, 1, { a: 'w1 epoch 1' });
    w0.publish();
    w1.publish();
    drain.drain(0);
    expect(sinks.partSinks.map((p) => p.name)).toEqual([`file:${join(dir, 'main.ndjson')}`, `file:${join(dir, 'alerts.ndjson')}`]);
    for (const p of sinks.partSinks) await p.commit(1);
    await sinks.close();
    expect(errors).toEqual([]);
    expect(existsSync(join(dir, 'alerts.ndjson'))).toBe(false);
    expect(lines(join(dir, 'alerts.ndjson.part-00000001'))).toEqual([{ a: 'w0 epoch 1' }, { a: 'w1 epoch 1' }]);
    expect(lines(join(dir, 'alerts.ndjson.part-00000002.inprogress'))).toEqual([{ a: 'w0 epoch 2' }]);
    expect(lines(join(dir, 'main.ndjson.part-00000002.inprogress'))).toEqual([{ r: 'w0 epoch 2' }]);
  });

  it('is recovered on restore: in-progress parts up to the restored checkpoint are committed, later ones discarded', async () => {
    writeFileSync(join(dir, 'alerts.ndjson.part-00000001'), '{"a":1}\n');
    writeFileSync(join(dir, 'alerts.ndjson.part-00000002.inprogress'), '{"a":2}\n');
    writeFileSync(join(dir, 'alerts.ndjson.part-00000003'), '{"a":3}\n');
    writeFileSync(join(dir, 'alerts.ndjson.part-00000004.inprogress'), '{"a":4}\n');
    const { sinks } = await jobSinks(['', 'alerts'], [['alerts', `file:${join(dir, 'alerts.ndjson')}`]], { restoredId: 2 });
    await sinks.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('alerts.')).sort()).toEqual(['alerts.ndjson.part-00000001', 'alerts.ndjson.part-00000002']);
  });
});

describe('jobKeyFields', () => {
  it('is the keyBy fields, `key` for a key function, none for an unkeyed job', () => {
    const plan = (key: JobPlan['key']): JobPlan => ({ key }) as JobPlan;
    expect(jobKeyFields(plan({ kind: 'fields', fields: ['card', 'region'], where: 'j.ts:3' }))).toEqual(['card', 'region']);
    expect(jobKeyFields(plan({ kind: 'fn', fn: () => 'k', where: 'j.ts:3' }))).toEqual(['key']);
    expect(jobKeyFields(plan({ kind: 'none' }))).toEqual([]);
  });
});

describe("a job's named sinks at start-up", () => {
  it('a file sink in a missing directory fails the start-up check with ERR_SINK_OPEN naming the sink', () => {
    const o = resolveOptions({ sink: 'null' });
    const spec = `file:${join(dir, 'no', 'such', 'x.ndjson')}`;
    expect(() => checkOutputTargets(o, [['sink "alerts"', spec]])).toThrow(expect.objectContaining({ code: 'ERR_SINK_OPEN', message: expect.stringContaining('sink "alerts"') }));
  });

  it('a sink that cannot be opened is ERR_SINK_OPEN naming the sink', async () => {
    const sinks = new SinkSet();
    const o = resolveOptions({ sink: 'null' });
    await expect(sinks.openNamed(o, [['audit', `file:${dir}`]], () => {})).rejects.toMatchObject({ code: 'ERR_SINK_OPEN', message: expect.stringContaining('sink "audit"') });
    await expect(sinks.openNamed(o, [['audit', 'ftp:x']], () => {})).rejects.toMatchObject({ code: 'ERR_SINK_OPEN', message: expect.stringContaining('sink "audit"') });
  });
});
