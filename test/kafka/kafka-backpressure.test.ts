import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../../dist/src/index.js';
import { runReference, canonicalLines } from '../reference/reference-job.js';
import { generatedRecords } from '../reference/generated-records.js';
import { partitionOf, tmpDir } from '../helpers/engine-run.js';
import { NO_IDLE, brokers, describeKafka, groupOffsets, kafkaSourceOf, produceTrades, sum, unique, until } from '../helpers/kafka-env.js';

const SPEC = { count: 60_000, keys: 300, seed: 3, disorder: 100, eventsPerMs: 10 };

describeKafka('Kafka source backpressure', () => {
  it('a slow worker behind small rings pauses exactly the Kafka partitions being fed, resumes them, keeps memory bounded and loses nothing', async () => {
    const topic = unique('slow');
    const group = unique('slow');
    await produceTrades(topic, SPEC);

    const dir = tmpDir();
    const engine = createEngine({
      source: `kafka:${topic}`, brokers, group, partitions: 8, workers: 2, window: 'tumbling:1s',
      outOfOrderness: '150ms', idleTimeout: NO_IDLE, ringSize: '4KiB', slowMicrosPerRecord: 40,
      sink: `file:${join(dir, 'out.ndjson')}`, lateOutput: `file:${join(dir, 'late.ndjson')}`, deadLetter: 'null',
      progress: 0, httpPort: 0,
    });
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    await engine.start();
    const source = kafkaSourceOf(engine);
    const seenPaused = new Set<number>();
    let maxPausedAtOnce = 0;
    let maxInFlight = 0;
    let heapPeak = 0;
    const timer = setInterval(() => {
      const paused = source.pausedPartitions();
      for (const p of paused) {
        expect(p.topic).toBe(topic);
        seenPaused.add(p.partition);
      }
      maxPausedAtOnce = Math.max(maxPausedAtOnce, paused.length);
      const s = engine.snapshot();
      maxInFlight = Math.max(maxInFlight, s.recordsIn - s.recordsProcessed);
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }, 2);
    await until(() => engine.snapshot().recordsProcessed >= SPEC.count, 'every record processed', 90_000);
    clearInterval(timer);
    const pausedAtEnd = source.pausedPartitions();
    const summary = await engine.stop();
    await source.closed;

    // Pausing is per batch: one Kafka partition at a time (the one whose batch hit a full ring).
    expect(source.kafkaPauses).toBeGreaterThan(10);
    expect(seenPaused.size).toBeGreaterThan(0);
    expect(maxPausedAtOnce).toBe(1);
    expect(pausedAtEnd).toEqual([]);
    const port = summary.sources.find((s) => s.name === `kafka:${topic}` && s.records > 0)!;
    expect(port.pauses).toBeGreaterThan(10);
    expect(port.pausedSeconds).toBeGreaterThan(0);
    // In flight: what 8 rings of 4 KiB hold (frames ≥ 88 bytes) plus a batch in each worker's hands.
    expect(maxInFlight).toBeLessThanOrEqual(8 * Math.floor(4096 / 88) + 2 * 256);
    // Heap: kafkajs holds at most one fetch (≤ 10 MiB of values) while the rings are full.
    expect(heapPeak - heapBefore).toBeLessThan(64 << 20);

    expect(summary.recordsIn).toBe(SPEC.count);
    expect(summary.recordsProcessed).toBe(SPEC.count);
    const { committed } = await groupOffsets(group, topic);
    expect(sum(committed)).toBe(SPEC.count);
    const ref = runReference(generatedRecords(SPEC), {
      window: { kind: 'tumbling', size: 1000 }, aggregates: ['count', 'sum', 'min', 'max', 'avg'],
      outOfOrderness: 150, allowedLateness: 0, partitions: 8, partitionOf: partitionOf(8),
    });
    expect(readFileSync(join(dir, 'out.ndjson'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(canonicalLines(ref.results));
  });
});
