// A Kafka lookup table's feed (src/io/kafka/table-feed.ts) against the broker:
// start() resolves once the messages in the topic when it began are in the
// file (last value of a key wins, null deletes, a value that is not a JSON
// object is counted and skipped, a message without a key is keyed by its
// key field); later messages reach the file after the load.
import { expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafka, createProducer } from '../../dist/src/io/kafka/kafka-client.js';
import { sendUntilAcked } from '../../dist/src/io/kafka/sink/send-retry.js';
import { KafkaTableFeed } from '../../dist/src/io/kafka/table-feed.js';
import { tmpDir } from '../helpers/engine-run.js';
import { brokers, createTopic, describeKafka, groupOffsets, unique, until } from '../helpers/kafka-env.js';

interface Msg { key: string | null; value: string | null }

async function produce(topic: string, messages: Msg[]): Promise<void> {
  const producer = createProducer(createKafka(brokers, 'sabre-test-producer'));
  await producer.connect();
  try {
    await sendUntilAcked(producer, topic, messages, () => {});
  } finally {
    await producer.disconnect();
  }
}

/** What the file must hold after `messages`: one line per live key, computed here from the messages alone. */
function expected(messages: Msg[]): string[] {
  const rows = new Map<string, string>();
  for (const m of messages) {
    if (m.value === null) { rows.delete(m.key!); continue; }
    let row: unknown;
    try { row = JSON.parse(m.value); } catch { continue; }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) continue;
    rows.set(m.key ?? String((row as { id: unknown }).id), JSON.stringify(row));
  }
  return [...rows.values()].sort();
}

/**
 * `topic` with `partitions` partitions whose offsets can be listed: the feed lists them once, and a
 * partition whose leader the broker has just elected can still answer NOT_LEADER_FOR_PARTITION.
 */
async function newTopic(topic: string, partitions: number): Promise<void> {
  await createTopic(createKafka(brokers, 'sabre-test-admin'), topic, partitions);
  await until(async () => (await groupOffsets(unique('table-feed-probe'), topic).catch(() => undefined)) !== undefined, `offsets of ${topic}`, 30_000, 100);
}

const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).sort();

describeKafka('Kafka lookup table feed', () => {
  it('start() resolves with every message already in the topic in the file; later ones follow', async () => {
    const topic = unique('table-feed');
    await newTopic(topic, 3);
    const before: Msg[] = [];
    for (let i = 0; i < 300; i++) before.push({ key: `m${i % 120}`, value: JSON.stringify({ id: `m${i % 120}`, name: `n${i}` }) });
    for (let i = 0; i < 120; i += 7) before.push({ key: `m${i}`, value: null });
    before.push({ key: 'bad', value: 'not json' }, { key: 'arr', value: '[1,2]' }, { key: null, value: JSON.stringify({ id: 'keyless', name: 'k' }) });
    await produce(topic, before);

    const path = join(tmpDir(), 'table.ndjson');
    const feed = new KafkaTableFeed({ topic, keyField: 'id', brokers, path });
    try {
      await feed.start();
      const want = expected(before);
      expect(want.length).toBeGreaterThan(100);
      expect(lines(path)).toEqual(want);
      expect(feed.badValues).toBe(2);

      const after: Msg[] = [{ key: 'm1', value: null }, { key: 'new', value: JSON.stringify({ id: 'new', name: 'late' }) }];
      await produce(topic, after);
      const wantAfter = expected([...before, ...after]);
      await until(() => JSON.stringify(lines(path)) === JSON.stringify(wantAfter), 'the later messages in the file', 20_000, 100);
    } finally {
      await feed.stop();
    }
  }, 60_000);

  it('an empty topic: start() resolves at once with an empty file', async () => {
    const topic = unique('table-feed-empty');
    await newTopic(topic, 2);
    const path = join(tmpDir(), 'table.ndjson');
    const feed = new KafkaTableFeed({ topic, keyField: 'id', brokers, path });
    try {
      await feed.start();
      expect(existsSync(path)).toBe(true);
      expect(lines(path)).toEqual([]);
    } finally {
      await feed.stop();
    }
  }, 60_000);
});
