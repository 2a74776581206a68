import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as flatbuffers from 'flatbuffers';
import { createEngine, type WindowResult } from '../../dist/src/index.js';
import { Record as FbRecord } from '../../dist/src/codec/flat/generated/sabre/fb/record.js';
import { createKafka, createProducer, type Message } from '../../dist/src/io/kafka/kafka-client.js';
import { sendUntilAcked } from '../../dist/src/io/kafka/sink/send-retry.js';
import { tmpDir } from '../helpers/engine-run.js';
import { NO_IDLE, brokers, createTopic, describeKafka, groupOffsets, kafkaSourceOf, unique, until } from '../helpers/kafka-env.js';

const T = 1_700_000_000_000;

/**
 * Keyless messages name their partition: kafkajs picks one at random per attempt,
 * and an idempotent retry whose batch changed is refused (OUT_OF_ORDER_SEQUENCE_NUMBER).
 */
async function produce(topic: string, messages: Message[]): Promise<void> {
  const kafka = createKafka(brokers);
  await createTopic(kafka, topic, 2);
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    await sendUntilAcked(producer, topic, messages, () => {});
  } finally {
    await producer.disconnect();
  }
}

function fbRecord(key: string | undefined, eventTime: number | undefined, value: number): Buffer {
  const b = new flatbuffers.Builder(64);
  const k = key === undefined ? 0 : b.createString(key);
  FbRecord.startRecord(b);
  if (k) FbRecord.addKey(b, k);
  if (eventTime !== undefined) FbRecord.addEventTime(b, eventTime);
  FbRecord.addValue(b, value);
  b.finish(FbRecord.endRecord(b));
  return Buffer.from(b.asUint8Array());
}

interface Dead { code: string; reason: string; source: string; input: string; detail: string }

/** Run a job over `topic` until `total` messages are accounted for (records in + dead-lettered). */
async function consume(topic: string, format: 'json' | 'flatbuffers', total: number) {
  const dir = tmpDir();
  const group = unique('bad');
  const results: WindowResult[] = [];
  const engine = createEngine({
    source: `kafka:${topic}`, brokers, group, format, partitions: 2, workers: 1, window: 'tumbling:1s', idleTimeout: NO_IDLE,
    sink: 'null', deadLetter: `file:${join(dir, 'dead.ndjson')}`, lateOutput: 'null', progress: 0, httpPort: 0,
  });
  engine.onResult((r) => results.push(r));
  await engine.start();
  const source = kafkaSourceOf(engine);
  await until(() => { const s = engine.snapshot(); return s.recordsIn + s.deadLetter >= total; }, `${total} messages accounted for`, 60_000);
  const summary = await engine.stop();
  await source.closed;
  const dead = readFileSync(join(dir, 'dead.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Dead);
  const offsets = await groupOffsets(group, topic);
  return { summary, dead, results, offsets };
}

describeKafka('Kafka source: bad values', () => {
  it('JSON values that cannot be used are dead-lettered with their reason and position, counted, and their offsets still advance', async () => {
    const topic = unique('bad-json');
    await produce(topic, [
      { key: 'A', value: JSON.stringify({ ts: T + 1, value: 1 }) }, // the key is the message key; the value needs none
      { key: 'B', value: 'not json {' },
      { key: 'C', value: JSON.stringify({ value: 2 }) },
      { key: 'D', value: null }, // a tombstone
      { key: null, partition: 0, value: JSON.stringify({ key: 'E', ts: T + 2, value: 3 }) }, // no message key: the value's key field
      { key: null, partition: 1, value: JSON.stringify({ ts: T + 3, value: 4 }) },
      { key: 'F', value: JSON.stringify({ ts: T + 4, value: 'x' }) },
      { key: 'G', value: '[1,2]' },
      { key: 'H', value: JSON.stringify({ key: 'ignored', ts: new Date(T + 5).toISOString(), value: 5 }) },
    ]);
    const { summary, dead, results, offsets } = await consume(topic, 'json', 9);
    expect(summary.recordsIn).toBe(3);
    expect(summary.deadLetter).toBe(6);
    expect(results.map((r) => `${r.key}:${r.count}`).sort()).toEqual(['A:1', 'E:1', 'H:1']);
    const byInput = new Map(dead.map((d) => [d.input, d]));
    expect(dead.every((d) => d.code === 'ERR_BAD_RECORD' && new RegExp(`^kafka:${topic}/[01]@\\d+$`).test(d.source))).toBe(true);
    expect(byInput.get('not json {')?.reason).toBe('invalid-json');
    expect(byInput.get(JSON.stringify({ value: 2 }))?.reason).toBe('bad-time');
    expect(byInput.get('')?.reason).toBe('not-an-object');
    expect(byInput.get(JSON.stringify({ ts: T + 3, value: 4 }))?.reason).toBe('missing-key');
    expect(byInput.get(JSON.stringify({ ts: T + 4, value: 'x' }))?.reason).toBe('bad-value');
    expect(byInput.get('[1,2]')?.reason).toBe('not-an-object');
    expect(offsets.committed).toEqual(offsets.ends);
  });

  it('flatbuffers values: bad buffers and records without event time are dead-lettered (base64), good ones keyed by the message key', async () => {
    const topic = unique('bad-fb');
    const garbage = Buffer.from('hello, world!!');
    await produce(topic, [
      { key: 'A', value: fbRecord('A', T + 1, 1) },
      { key: 'B', value: garbage },
      { key: 'C', value: fbRecord('C', undefined, 2) },
      { key: 'D', value: Buffer.from([1, 2, 3]) },
      { key: 'Z', value: fbRecord('other', T + 2, 3) }, // the message key wins over the record's
      { key: null, partition: 0, value: fbRecord('E', T + 3, 4) }, // no message key: the record's key
    ]);
    const { summary, dead, results, offsets } = await consume(topic, 'flatbuffers', 6);
    expect(summary.recordsIn).toBe(3);
    expect(summary.deadLetter).toBe(3);
    expect(results.map((r) => `${r.key}:${r.count}`).sort()).toEqual(['A:1', 'E:1', 'Z:1']);
    const reasons = new Map(dead.map((d) => [d.input, d.reason]));
    expect(reasons.get(`base64:${garbage.toString('base64')}`)).toBe('bad-flatbuffer');
    expect(reasons.get(`base64:${Buffer.from([1, 2, 3]).toString('base64')}`)).toBe('bad-flatbuffer');
    expect(reasons.get(`base64:${fbRecord('C', undefined, 2).toString('base64')}`)).toBe('bad-time');
    expect(offsets.committed).toEqual(offsets.ends);
  });
});
