import { expect, it } from 'vitest';
import { createEngine } from '../../dist/src/index.js';
import { runReference, canonicalLines } from '../reference/reference-job.js';
import { generatedRecords } from '../reference/generated-records.js';
import { partitionOf } from '../helpers/engine-run.js';
import { startBroker, stopBroker } from '../helpers/kafka-broker.js';
import { NO_IDLE, brokers, describeKafka, groupOffsets, kafkaSourceOf, produceTrades, readTopic, sum, unique, until } from '../helpers/kafka-env.js';

const SPEC = { count: 150_000, keys: 500, seed: 5, disorder: 100, eventsPerMs: 15 };
const OUTAGE_MS = 10_000;

describeKafka('Kafka broker outage', () => {
  it('broker stopped for 10 s mid-run and restarted: source and sink recover, results equal the reference, exactly once', async () => {
    const topic = unique('outage-in');
    const out = unique('outage-out');
    const group = unique('outage');
    await produceTrades(topic, SPEC);

    // Slow workers behind small rings keep most of the input in Kafka when the broker goes away;
    // results keep firing during the outage, so the sink has to hold and retry them.
    const engine = createEngine({
      source: `kafka:${topic}`, sink: `kafka:${out}`, brokers, group, partitions: 8, workers: 2, window: 'tumbling:1s',
      outOfOrderness: '150ms', idleTimeout: NO_IDLE, ringSize: '16KiB', slowMicrosPerRecord: 40,
      lateOutput: 'null', deadLetter: 'null', progress: 0, httpPort: 0,
    });
    await engine.start();
    const source = kafkaSourceOf(engine);
    await until(() => engine.snapshot().recordsIn >= 20_000, '20k records in before the outage', 60_000);

    const t0 = Date.now();
    await stopBroker();
    const inAtStop = engine.snapshot().recordsIn;
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - t0)));
    const inAfterOutage = engine.snapshot().recordsIn;
    await startBroker();
    const restartedAt = Date.now();
    await until(() => engine.snapshot().recordsProcessed >= SPEC.count, 'every record processed after the restart', 120_000, 50);
    const recoveredMs = Date.now() - restartedAt;
    const summary = await engine.stop();
    await source.closed;

    expect(inAtStop).toBeLessThan(SPEC.count); // the outage hit mid-run
    expect(inAfterOutage).toBeLessThan(SPEC.count);
    expect(summary.recordsIn).toBe(SPEC.count);
    expect(summary.recordsProcessed).toBe(SPEC.count);
    const { committed } = await groupOffsets(group, topic);
    expect(sum(committed)).toBe(SPEC.count);

    const ref = runReference(generatedRecords(SPEC), {
      window: { kind: 'tumbling', size: 1000 }, aggregates: ['count', 'sum', 'min', 'max', 'avg'],
      outOfOrderness: 150, allowedLateness: 0, partitions: 8, partitionOf: partitionOf(8),
    });
    const messages = await readTopic(out);
    const lines = messages.map((m) => m.value.toString()).sort();
    // Exactly once: the idempotent producer's retries left no duplicate, the source re-read nothing twice.
    expect(lines).toEqual(canonicalLines(ref.results));
    for (const m of messages) expect(m.key).toBe((JSON.parse(m.value.toString()) as { key: string }).key);
    process.stderr.write(`[outage test] in at stop ${inAtStop}, after ${OUTAGE_MS} ms ${inAfterOutage}, all processed ${recoveredMs} ms after the restart; `
      + `source skipped ${source.duplicates} re-read records\n`);
  });
});
