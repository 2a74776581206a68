import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, murmur2, toPositive, type EngineOptions } from '../../dist/src/index.js';
import { KafkaSink, SINK_DEFAULTS } from '../../dist/src/io/kafka/sink/kafka-sink.js';
import { WindowResultEncoder, decodeWindowResult } from '../../dist/src/io/kafka/sink/window-result-codec.js';
import { createAdmin, createKafka, createProducer } from '../../dist/src/io/kafka/kafka-client.js';
import { tmpDir } from '../helpers/engine-run.js';
import { brokers, createTopic, describeKafka, readTopic, unique } from '../helpers/kafka-env.js';

const JOB: EngineOptions = {
  source: 'generator', count: 30_000, keys: 200, eventsPerMs: 10, window: 'tumbling:500ms', partitions: 4, workers: 2,
  lateOutput: 'null', deadLetter: 'null', progress: 0, httpPort: 0,
};

async function run(options: EngineOptions): Promise<void> {
  const engine = createEngine({ ...JOB, ...options });
  await engine.start();
  await engine.done;
}

const kafkaPartition = (key: string): number => toPositive(murmur2(new TextEncoder().encode(key))) % 8;

describeKafka('Kafka sink', () => {
  it('JSON: one message per result line, keyed by the result key (Kafka-partitioned by it), equal to the file sink', async () => {
    const dir = tmpDir();
    const topic = unique('windows');
    await run({ sink: `file:${join(dir, 'out.ndjson')}` });
    await run({ sink: `kafka:${topic}`, brokers });
    const expected = readFileSync(join(dir, 'out.ndjson'), 'utf8').split('\n').filter(Boolean).sort();
    const messages = await readTopic(topic);
    expect(messages.map((m) => m.value.toString()).sort()).toEqual(expected);
    for (const m of messages) {
      const key = (JSON.parse(m.value.toString()) as { key: string }).key;
      expect(m.key).toBe(key);
      expect(m.partition).toBe(kafkaPartition(key));
    }
    expect(expected.length).toBeGreaterThan(1000);
  });

  it('flatbuffers: every message decodes (sabre.fb.WindowResult) to the file sink\'s result, user aggregate included', async () => {
    const dir = tmpDir();
    const topic = unique('windows-fb');
    const extra: EngineOptions = {
      agg: 'count,sum,min,max,avg,spread', aggregateModule: new URL('../fixtures/spread-aggregate.mjs', import.meta.url).pathname,
    };
    await run({ ...extra, sink: `file:${join(dir, 'out.ndjson')}` });
    await run({ ...extra, sink: `kafka:${topic}`, brokers, format: 'flatbuffers' });
    const key = (r: Record<string, unknown>): string => `${String(r.key)}|${String(r.start)}|${String(r.fire)}`;
    const expected = readFileSync(join(dir, 'out.ndjson'), 'utf8').split('\n').filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>).sort((a, b) => (key(a) < key(b) ? -1 : 1));
    const messages = await readTopic(topic);
    const decoded = messages.map((m) => {
      const r = decodeWindowResult(new Uint8Array(m.value));
      expect(m.key).toBe(r.key);
      return r;
    }).sort((a, b) => (key(a) < key(b) ? -1 : 1));
    expect(decoded).toEqual(expected);
  });

  it('backpressure: write() returns false above the in-flight bound, drained() resolves below it, every line lands', async () => {
    const topic = unique('sink-bp');
    const kafka = createKafka(brokers);
    await createTopic(kafka, topic, 8);
    const producer = createProducer(kafka);
    await producer.connect();
    const limit = 64 << 10;
    const sink = new KafkaSink(topic, producer, 'json', ['count'], { ...SINK_DEFAULTS, maxInFlightBytes: limit });
    const total = 6000;
    const pad = 'x'.repeat(150);
    let refused = 0;
    let peak = 0;
    for (let i = 0; i < total; i += 50) {
      let chunk = '';
      for (let j = i; j < i + 50; j++) chunk += `{"key":"K${j % 97}","start":${j},"end":${j + 1},"count":1,"pad":"${pad}","fire":"watermark"}\n`;
      const ok = sink.write(chunk, 50);
      peak = Math.max(peak, sink.pendingBytes);
      if (!ok) {
        refused++;
        await sink.drained();
        expect(sink.pendingBytes).toBeLessThan(limit);
      }
    }
    await sink.close();
    expect(refused).toBeGreaterThan(5);
    expect(peak).toBeLessThan(limit + 50 * 250); // the bound plus the chunk that crossed it
    expect(sink.sent).toBe(total);
    const messages = await readTopic(topic);
    expect(messages.length).toBe(total);
    expect(new Set(messages.map((m) => (JSON.parse(m.value.toString()) as { start: number }).start)).size).toBe(total);
  });

  it('flush(): resolves once Kafka acknowledged every line written before it (the linger skipped), not held up by later lines', async () => {
    const topic = unique('sink-flush');
    const kafka = createKafka(brokers);
    await createTopic(kafka, topic, 4);
    const producer = createProducer(kafka);
    await producer.connect();
    // A linger far longer than the test: only flush's hurry sends a small batch.
    const sink = new KafkaSink(topic, producer, 'json', ['count'], { ...SINK_DEFAULTS, lingerMs: 600_000 });
    const line = (j: number): string => `{"key":"K${j % 13}","start":${j},"end":${j + 1},"count":1,"fire":"watermark"}\n`;
    let before = '';
    for (let j = 0; j < 300; j++) before += line(j);
    sink.write(before, 300);
    const flushed = sink.flush();
    let after = '';
    for (let j = 300; j < 400; j++) after += line(j);
    sink.write(after, 100);
    await flushed;
    expect(sink.sent).toBeGreaterThanOrEqual(300);
    const admin = createAdmin(kafka);
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    expect(ends.reduce((a, p) => a + Number(p.high), 0)).toBeGreaterThanOrEqual(300);
    await sink.flush();
    expect(sink.sent).toBe(400);
    await sink.close();
    expect((await readTopic(topic)).length).toBe(400);
  });
});

describe('WindowResult flatbuffers codec', () => {
  it('round-trips zeros and absent aggregates (optional scalars), every fire kind and user aggregates', () => {
    const all = new WindowResultEncoder(['count', 'sum', 'min', 'max', 'avg', 'spread']);
    for (const fire of ['watermark', 'early', 'late']) {
      const r = { key: 'ключ-0', start: 0, end: 1000, count: 0, sum: 0, min: 0, max: -0.5, avg: 0, spread: { lo: 0, hi: [1, 2] }, fire };
      expect(decodeWindowResult(all.encode(r))).toEqual(r);
    }
    const countOnly = new WindowResultEncoder(['count']);
    expect(decodeWindowResult(countOnly.encode({ key: 'k', start: 5, end: 6, count: 3, fire: 'late' })))
      .toEqual({ key: 'k', start: 5, end: 6, count: 3, fire: 'late' });
  });
});
