import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../../dist/src/index.js';
import { createKafka, createProducer } from '../../dist/src/io/kafka/kafka-client.js';
import { KafkaSource } from '../../dist/src/io/kafka/source/kafka-source.js';
import type { IngestPort } from '../../dist/src/io/sources/ingest-port.js';
import { sendUntilAcked } from '../../dist/src/io/kafka/sink/send-retry.js';
import { runReference, canonicalLines, type RefRecord } from '../reference/reference-job.js';
import { tmpDir } from '../helpers/engine-run.js';
import { brokers, createTopic, describeKafka, kafkaSourceOf, unique, until } from '../helpers/kafka-env.js';

// Issue 13 item 1: a topic read while it is produced. Every Kafka partition is
// in event-time order within the bound, but half of them run 1.5 s of event
// time behind the others (a slower upstream), at the same wall-clock rate.
// Keys are spread over all Kafka partitions, so every Sabre partition is fed
// by all eight: its watermark must follow the slowest of them.
const KAFKA_PARTITIONS = 8;
const BOUND = 200; // --out-of-orderness
const DISORDER = 100; // within a Kafka partition, ≤ the bound
const SKEW = 1500; // event-time lag of the slow partitions, > the bound
const TICK_MS = 20; // one send per tick: every partition gets PER_TICK records
const PER_TICK = 30;
const TICKS = 300; // 6 s of production, 72k records
const KEYS = 200;
const T0 = 1_700_000_000_000;

/** Partition kp's records of tick j: event time advances TICK_MS per tick, the slow half SKEW behind, jitter ≤ DISORDER. */
function tickRecords(j: number, rnd: () => number): { partition: number; record: RefRecord }[] {
  const out: { partition: number; record: RefRecord }[] = [];
  for (let kp = 0; kp < KAFKA_PARTITIONS; kp++) {
    const base = T0 + j * TICK_MS - (kp % 2 === 1 ? SKEW : 0);
    for (let i = 0; i < PER_TICK; i++) {
      const ts = base + Math.floor((i * TICK_MS) / PER_TICK) - Math.floor(rnd() * DISORDER);
      out.push({ partition: kp, record: { key: `K${Math.floor(rnd() * KEYS)}`, ts, value: Math.floor(rnd() * 1000) } });
    }
  }
  return out;
}

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Produce TICKS ticks (every partition PER_TICK records per tick, paced by the
 * wall clock) while an engine consumes the topic; `engineFirst`: the job starts
 * on the empty topic and waits `waitMs` (past --idle-timeout) before the
 * producer starts. Checks no record is late and the windows equal the reference.
 */
async function skewedRun(opts: { engineFirst: boolean; idleTimeout?: string; waitMs?: number }): Promise<void> {
  const topic = unique('skewed');
  const kafka = createKafka(brokers, 'sabre-test-producer');
  await createTopic(kafka, topic, KAFKA_PARTITIONS);
  const producer = createProducer(kafka);
  await producer.connect();
  const rnd = prng(13);
  const all: RefRecord[] = [];
  // Steady production, paced by the wall clock, running while the engine consumes.
  let produced = 0;
  let go!: () => void;
  let cancelled = false;
  const started = new Promise<void>((r) => { go = r; });
  if (!opts.engineFirst) go();
  const production = (async () => {
    await started;
    const t0 = performance.now();
    for (let j = 0; j < TICKS && !cancelled; j++) {
      const batch = tickRecords(j, rnd);
      for (const b of batch) all.push(b.record);
      await sendUntilAcked(producer, topic, batch.map((b) => ({
        key: b.record.key, partition: b.partition, value: JSON.stringify(b.record),
      })), () => {});
      produced += batch.length;
      const due = t0 + (j + 1) * TICK_MS;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  const total = TICKS * KAFKA_PARTITIONS * PER_TICK;

  const dir = tmpDir();
  // 4 Sabre partitions ≠ 8 Kafka partitions: each ring mixes records of every Kafka partition.
  // No partition pauses while producing, so none may turn idle.
  const engine = createEngine({
    source: `kafka:${topic}`, brokers, group: unique('skew'), partitions: 4, workers: 2, window: 'tumbling:1s',
    outOfOrderness: `${BOUND}ms`, ...(opts.idleTimeout ? { idleTimeout: opts.idleTimeout } : {}), sink: `file:${join(dir, 'out.ndjson')}`,
    lateOutput: `file:${join(dir, 'late.ndjson')}`, deadLetter: `file:${join(dir, 'dead.ndjson')}`, progress: 0,
  });
  try {
    await engine.start();
    const source = kafkaSourceOf(engine);
    if (opts.engineFirst) {
      await until(() => source.eventTime.size === KAFKA_PARTITIONS, 'the partitions assigned', 30_000);
      await new Promise((r) => setTimeout(r, opts.waitMs));
      expect(source.eventTime.snapshot(performance.timeOrigin + performance.now()).every((x) => x.idle)).toBe(true);
      go();
    }
    // Windows fire while the topic is being produced (the watermark moves), not only at the end.
    await until(() => engine.snapshot().results > 0, 'a window fired while producing', 30_000);
    expect(produced).toBeLessThan(total);
    await production;
    await until(() => engine.snapshot().recordsIn >= total, `${total} records in`, 30_000);
    // The source's watermark is its slowest partition's progress (read before the partitions turn idle), and the stats show it.
    const perPartition = source.eventTime.snapshot(0).map((x) => x.watermark);
    const wm = source.watermark();
    const stats = engine.snapshot().sources.find((x) => x.name === `kafka:${topic}`);
    const summary = await engine.stop();
    await source.closed;

    expect(summary.recordsIn).toBe(total);
    expect(summary.deadLetter).toBe(0);
    expect(summary.late).toBe(0);
    expect(readFileSync(join(dir, 'late.ndjson'), 'utf8')).toBe('');

    // Reference: the same records, single-threaded, in event-time order (so none is late there either).
    const ref = runReference([...all].sort((a, b) => a.ts - b.ts), {
      window: { kind: 'tumbling', size: 1000 }, aggregates: ['count', 'sum', 'min', 'max', 'avg'],
      outOfOrderness: BOUND, allowedLateness: 0, partitions: 1, partitionOf: () => 0,
    });
    expect(ref.late).toEqual([]);
    const lines = readFileSync(join(dir, 'out.ndjson'), 'utf8').split('\n').filter(Boolean).sort();
    expect(lines.length).toBeGreaterThan(KEYS * 5);
    expect(lines).toEqual(canonicalLines(ref.results));
    expect(perPartition).toHaveLength(KAFKA_PARTITIONS);
    expect(wm).toBe(Math.min(...perPartition));
    expect(stats?.watermark).toBe(wm);
    expect(Math.max(...perPartition) - Math.min(...perPartition)).toBeGreaterThan(SKEW - DISORDER - TICK_MS);
  } finally {
    cancelled = true;
    go();
    await production.catch(() => {});
    await producer.disconnect();
    await engine.stop().catch(() => {});
  }
}

describeKafka('Kafka source: event time per Kafka partition (the watermark waits for the slowest)', () => {
  it('8 partitions produced at a steady rate while consumed, half 1.5 s behind in event time: no late record, windows = reference', async () => {
    await skewedRun({ engineFirst: false });
  });

  it('the job waited on the empty topic past --idle-timeout (every partition idle) when the producer starts: still no late record', async () => {
    await skewedRun({ engineFirst: true, idleTimeout: '2s', waitMs: 3000 });
  });
});

// A rebalance changes which Kafka partitions feed this process: revoked ones stop holding the
// watermark back, newly assigned ones hold it back until read (or idle).
describe('Kafka source: the partitions tracked follow the group assignment', () => {
  it('GROUP_JOIN adds the assigned partitions and drops the revoked ones', () => {
    const handlers = new Map<string, (e: unknown) => void>();
    const consumer = {
      events: { COMMIT_OFFSETS: 'commit', GROUP_JOIN: 'join', REBALANCING: 'rebalancing', CRASH: 'crash' },
      on: (event: string, fn: (e: unknown) => void) => { handlers.set(event, fn); },
    };
    const port = { needsValue: true } as unknown as IngestPort;
    const source = new KafkaSource('t', 'g', consumer as never, port, 'json', { time: 'ts', value: 'value' }, false, [],
      { outOfOrderness: BOUND, idleTimeout: 60_000 });
    const join = (partitions: number[]): void => handlers.get('join')!({ payload: { memberAssignment: { t: partitions } } });
    expect(source.watermark()).toBe(-Infinity);
    join([0, 1, 2]);
    expect(source.eventTime.snapshot(0).map((x) => x.input)).toEqual([0, 1, 2]);
    const now = performance.timeOrigin + performance.now(); // the source's idle clock (no ring waits here)
    source.eventTime.onEvent(0, 5000, now, true);
    source.eventTime.onEvent(1, 3000, now, true);
    expect(source.watermark()).toBe(-Infinity); // partition 2 not read yet
    join([0, 1]); // 2 revoked
    expect(source.watermark()).toBe(3000 - BOUND);
    join([0, 3]); // 1 revoked, 3 assigned: holds back until read
    expect(source.eventTime.snapshot(0).map((x) => x.input)).toEqual([0, 3]);
    expect(source.watermark()).toBe(-Infinity);
    source.eventTime.onEvent(3, 4000, now, true);
    expect(source.watermark()).toBe(4000 - BOUND);
  });
});
