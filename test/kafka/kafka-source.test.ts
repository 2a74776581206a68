import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../../dist/src/index.js';
import { produceCommand } from '../../dist/src/cli/produce-command.js';
import { runReference, canonicalLines } from '../reference/reference-job.js';
import { generatedRecords } from '../reference/generated-records.js';
import { partitionOf, tmpDir } from '../helpers/engine-run.js';
import { NO_IDLE, brokers, describeKafka, groupOffsets, kafkaSourceOf, sum, unique, until } from '../helpers/kafka-env.js';

// 200k records over 10 s of event time (20 per ms), 1000 keys, jitter ≤ 100 ms.
const SPEC = { count: 200_000, keys: 1000, seed: 7, disorder: 100, eventsPerMs: 20 };

describeKafka('Kafka source → Sabre: window results equal the single-threaded reference', () => {
  it('200k keyed records produced by `sabre produce`, consumed by a consumer group', async () => {
    const topic = unique('trades');
    const group = unique('oracle');
    const code = await produceCommand({
      brokers, count: SPEC.count, keys: SPEC.keys, seed: SPEC.seed, disorder: SPEC.disorder, eventsPerMs: SPEC.eventsPerMs, progress: 0,
    }, topic);
    expect(code).toBe(0);

    const dir = tmpDir();
    // P = 8 = the topic's partitions: Kafka's partitioner and the key groups use the same
    // murmur2, so ring p receives exactly Kafka partition p, in offset order — the order the
    // reference sees each partition's records in. The bound (150 ms) exceeds the disorder
    // (100 ms), so no record is late whatever the interleaving; idle watermarks are off
    // so that a partition waiting for its first or next fetch is not declared idle.
    const engine = createEngine({
      source: `kafka:${topic}`, brokers, group, partitions: 8, workers: 2, window: 'tumbling:1s',
      outOfOrderness: '150ms', idleTimeout: NO_IDLE, sink: `file:${join(dir, 'out.ndjson')}`,
      lateOutput: `file:${join(dir, 'late.ndjson')}`, deadLetter: `file:${join(dir, 'dead.ndjson')}`, progress: 0, httpPort: 0,
    });
    await engine.start();
    const source = kafkaSourceOf(engine);
    // The records go through Sabre's record batch decoder (RecordViews read in place), and the stats say so.
    expect(engine.snapshot().sources.find((x) => x.name === `kafka:${topic}` && x.readsWith)?.readsWith).toBe("Sabre's record batch decoder");
    await until(() => engine.snapshot().recordsIn >= SPEC.count, '200k records in', 90_000);
    const summary = await engine.stop();
    await source.closed;

    expect(summary.recordsIn).toBe(SPEC.count);
    expect(summary.recordsProcessed).toBe(SPEC.count);
    // One stats entry for the source (its ingest port's counts and how it reads).
    expect(summary.sources.filter((x) => x.name === `kafka:${topic}`)).toEqual([
      expect.objectContaining({ records: SPEC.count, readsWith: "Sabre's record batch decoder" }),
    ]);
    expect(summary.deadLetter).toBe(0);
    expect(summary.late).toBe(0);
    expect(source.duplicates).toBe(0);
    // Accepted positions cover the topic, and exactly they were committed.
    const accepted = source.positions();
    expect(accepted.reduce((a, p) => a + Number(p.offset), 0)).toBe(SPEC.count);
    const { committed, ends } = await groupOffsets(group, topic);
    expect(committed).toEqual(ends);
    expect(sum(committed)).toBe(SPEC.count);

    const ref = runReference(generatedRecords(SPEC), {
      window: { kind: 'tumbling', size: 1000 }, aggregates: ['count', 'sum', 'min', 'max', 'avg'],
      outOfOrderness: 150, allowedLateness: 0, partitions: 8, partitionOf: partitionOf(8),
    });
    const lines = readFileSync(join(dir, 'out.ndjson'), 'utf8').split('\n').filter(Boolean).sort();
    expect(ref.late).toEqual([]);
    expect(lines.length).toBeGreaterThan(9000);
    expect(lines).toEqual(canonicalLines(ref.results));
  });
});
