import { expect, it } from 'vitest';
import { createEngine, murmur2, toPositive } from '../../dist/src/index.js';
import { runReference, canonicalLines } from '../reference/reference-job.js';
import { generatedRecords } from '../reference/generated-records.js';
import { partitionOf } from '../helpers/engine-run.js';
import { runSabre } from '../helpers/sabre-process.js';
import { NO_IDLE, brokers, describeKafka, kafkaSourceOf, readTopic, unique, until } from '../helpers/kafka-env.js';

const SPEC = { count: 20_000, keys: 50, seed: 9, disorder: 100, eventsPerMs: 10 };

describeKafka('sabre produce', () => {
  it('without a topic: usage on stderr, exit 2', async () => {
    const r = await runSabre(['produce', '--count', '10', '--brokers', brokers]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage: sabre produce TOPIC/);
  });

  it('writes the generator sequence as flatbuffers, keyed and Kafka-partitioned by key; Sabre reads it back (--format flatbuffers) to the reference\'s results', async () => {
    const topic = unique('produce-fb');
    const r = await runSabre(['produce', topic, '--count', String(SPEC.count), '--keys', String(SPEC.keys), '--seed', String(SPEC.seed),
      '--events-per-ms', String(SPEC.eventsPerMs), '--format', 'flatbuffers', '--brokers', brokers]);
    expect(r.code, r.stderr).toBe(0);
    // Not a TTY: plain progress lines, then the summary.
    expect(r.stderr).toMatch(new RegExp(`\\[sabre produce\\] 20,000 flatbuffers records to ${topic} \\(created, 8 partitions\\) in [\\d.]+s`));
    const messages = await readTopic(topic);
    expect(messages.length).toBe(SPEC.count);
    const enc = new TextEncoder();
    for (const m of messages) expect(m.partition).toBe(toPositive(murmur2(enc.encode(m.key!))) % 8);

    const lines: string[] = [];
    const engine = createEngine({
      source: `kafka:${topic}`, format: 'flatbuffers', brokers, group: unique('produce-fb'), partitions: 8, workers: 1,
      window: 'tumbling:1s', outOfOrderness: '150ms', idleTimeout: NO_IDLE, sink: 'null', lateOutput: 'null', deadLetter: 'null',
      progress: 0, httpPort: 0,
    });
    engine.onResult((w) => lines.push(JSON.stringify(w)));
    await engine.start();
    const source = kafkaSourceOf(engine);
    await until(() => engine.snapshot().recordsIn >= SPEC.count, 'every record in');
    await engine.stop();
    await source.closed;
    const ref = runReference(generatedRecords(SPEC), {
      window: { kind: 'tumbling', size: 1000 }, aggregates: ['count', 'sum', 'min', 'max', 'avg'],
      outOfOrderness: 150, allowedLateness: 0, partitions: 8, partitionOf: partitionOf(8),
    });
    expect(lines.sort()).toEqual(canonicalLines(ref.results));
  });
});
