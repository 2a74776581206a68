// A Kafka lookup table's feed (src/io/kafka/table-feed.ts) against the broker:
// start() resolves once the messages in the topic when it began are in the
// file (last value of a key wins, null deletes, a value that is not a JSON
// object is counted and skipped, a message without a key is keyed by its
// key field); later messages reach the file after the load. A topic written
// in transactions loads its committed rows only, even when its last commit
// marker comes in a fetch of its own; a transaction still open when start()
// begins is not waited for (its rows follow its commit); a topic just created is waited for, a
// missing one fails at once; stop() deletes the feed's consumer group.
import { expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAdmin, createKafka, createProducer } from '../../dist/src/io/kafka/kafka-client.js';
import { sendUntilAcked } from '../../dist/src/io/kafka/sink/send-retry.js';
import { KafkaTableFeed } from '../../dist/src/io/kafka/table-feed.js';
import { tmpDir } from '../helpers/engine-run.js';
import { brokers, createTopic, describeKafka, settled, unique, until } from '../helpers/kafka-env.js';

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

/** `topic` with `partitions` partitions and their leaders; the feed starts on it at once (it retries offsets a leader just elected does not answer yet). */
async function newTopic(topic: string, partitions: number): Promise<void> {
  await createTopic(createKafka(brokers, 'sabre-test-admin'), topic, partitions);
}

/** `txns` sent by one transactional producer, each to its partition in one send (one record batch), committed unless `abort`. */
async function produceTransactions(topic: string, txns: { abort?: boolean; messages: (Msg & { partition: number })[] }[]): Promise<void> {
  const producer = createProducer(createKafka(brokers, 'sabre-test-producer'), { transactionalId: unique('table-feed-tx'), transactionTimeout: 60_000 });
  await producer.connect();
  try {
    for (const t of txns) {
      const txn = await producer.transaction();
      await txn.send({ topic, messages: t.messages });
      await (t.abort ? txn.abort() : txn.commit());
    }
  } finally {
    await producer.disconnect();
  }
}

/** The ids of the consumer groups whose id starts with `prefix`. */
async function groupsLike(prefix: string): Promise<string[]> {
  const admin = createAdmin(createKafka(brokers, 'sabre-test-admin'));
  await admin.connect();
  try {
    return (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
  } finally {
    await admin.disconnect();
  }
}

const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).sort();

/** A feed of `topic` into a fresh file, handed to `use` and stopped after it, however it ends. */
async function withFeed(topic: string, use: (feed: KafkaTableFeed, path: string) => Promise<void>): Promise<void> {
  const path = join(tmpDir(), 'table.ndjson');
  const feed = new KafkaTableFeed({ topic, keyField: 'id', brokers, path });
  try {
    await use(feed, path);
  } finally {
    await feed.stop();
  }
}

describeKafka('Kafka lookup table feed', () => {
  it('start() resolves with every message already in the topic in the file; later ones follow', async () => {
    const topic = unique('table-feed');
    await newTopic(topic, 3);
    const before: Msg[] = [];
    for (let i = 0; i < 300; i++) before.push({ key: `m${i % 120}`, value: JSON.stringify({ id: `m${i % 120}`, name: `n${i}` }) });
    for (let i = 0; i < 120; i += 7) before.push({ key: `m${i}`, value: null });
    before.push({ key: 'bad', value: 'not json' }, { key: 'arr', value: '[1,2]' }, { key: null, value: JSON.stringify({ id: 'keyless', name: 'k' }) });
    await produce(topic, before);

    await withFeed(topic, async (feed, path) => {
      await feed.start();
      const want = expected(before);
      expect(want.length).toBeGreaterThan(100);
      expect(lines(path)).toEqual(want);
      expect(feed.badValues).toBe(2);

      const after: Msg[] = [{ key: 'm1', value: null }, { key: 'new', value: JSON.stringify({ id: 'new', name: 'late' }) }];
      await produce(topic, after);
      const wantAfter = expected([...before, ...after]);
      await until(() => JSON.stringify(lines(path)) === JSON.stringify(wantAfter), 'the later messages in the file', 20_000, 100);
    });
  }, 60_000);

  it('an empty topic: start() resolves at once with an empty file', async () => {
    const topic = unique('table-feed-empty');
    await newTopic(topic, 2);
    await withFeed(topic, async (feed, path) => {
      await feed.start();
      expect(existsSync(path)).toBe(true);
      expect(lines(path)).toEqual([]);
    });
  }, 60_000);

  it('a topic written in transactions: start() loads the committed rows only, though its last commit marker comes in a fetch of its own', async () => {
    const topic = unique('table-feed-tx');
    await newTopic(topic, 2);
    const row = (id: string, v: string, pad = 0): Msg => ({ key: id, value: JSON.stringify({ id, v, pad: 'x'.repeat(pad) }) });
    const at = (i: number, m: Msg): Msg & { partition: number } => ({ ...m, partition: i % 2 });
    const range = (n: number): number[] => [...Array(n).keys()];
    const txns = [
      { messages: range(40).map((i) => at(i, row(`k${i}`, 't1'))) },
      { abort: true, messages: [...range(20).map((i) => at(i, row(`k${i}`, 'aborted'))), ...range(10).map((i) => at(i, row(`a${i}`, 'aborted')))] },
      { messages: [...range(10).map((i) => at(i, { key: `k${i}`, value: null })), ...range(10).map((i) => at(i + 10, row(`k${i + 10}`, 't3')))] },
      // Last, in each partition one record batch larger than a fetch of the feed (256 KiB a partition): the fetch
      // after it holds only the transaction's commit marker, which kafkajs does not pass to eachBatch.
      { messages: range(120).map((i) => at(i, row(`big${i}`, 't4', 5000))) },
    ];
    await produceTransactions(topic, txns);
    // commit() returns once the coordinator has decided; the broker writes the partitions' commit markers after
    // that. Until they are written the last transaction is open to read_committed readers, and the feed (which
    // loads what was committed when it started: its last stable offsets) rightly leaves it to the later reads.
    // A CI run started the feed in that gap and found 90 of the 150 rows.
    await settled(topic);

    await withFeed(topic, async (feed, path) => {
      const t0 = Date.now();
      await feed.start();
      expect(Date.now() - t0).toBeLessThan(10_000);
      const want = expected(txns.filter((t) => !t.abort).flatMap((t) => t.messages));
      expect(want.length).toBe(150);
      expect(lines(path)).toEqual(want);
      expect(readFileSync(path, 'utf8')).not.toContain('aborted');
    });
  }, 30_000);

  it('a transaction open when start() begins is not waited for: start() loads what was committed, the open one\'s rows follow its commit', async () => {
    const topic = unique('table-feed-open');
    await newTopic(topic, 2);
    await produce(topic, [{ key: 'c1', value: JSON.stringify({ id: 'c1', v: 'committed' }) }]);
    const producer = createProducer(createKafka(brokers, 'sabre-test-producer'), { transactionalId: unique('table-feed-open'), transactionTimeout: 60_000 });
    await producer.connect();
    try {
      const txn = await producer.transaction();
      await txn.send({ topic, messages: [{ key: 'c2', value: JSON.stringify({ id: 'c2', v: 'later' }), partition: 0 }] });
      await withFeed(topic, async (feed, path) => {
        const t0 = Date.now();
        await feed.start();
        expect(Date.now() - t0).toBeLessThan(10_000);
        expect(lines(path)).toEqual([JSON.stringify({ id: 'c1', v: 'committed' })]);
        await txn.commit();
        await until(() => lines(path).length === 2, 'the committed transaction\'s row in the file', 20_000, 50);
        expect(lines(path)).toEqual([JSON.stringify({ id: 'c1', v: 'committed' }), JSON.stringify({ id: 'c2', v: 'later' })]);
      });
    } finally {
      await producer.disconnect();
    }
  }, 60_000);

  it('a topic just created, its leaders not awaited: start() waits for its offsets', async () => {
    const topic = unique('table-feed-new');
    const admin = createAdmin(createKafka(brokers, 'sabre-test-admin'));
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: false });
    } finally {
      await admin.disconnect();
    }
    await withFeed(topic, async (feed, path) => {
      await feed.start();
      expect(lines(path)).toEqual([]);
    });
  }, 30_000);

  it('a topic that does not exist: start() fails at once with ERR_SOURCE', async () => {
    const topic = unique('table-feed-missing');
    const feed = new KafkaTableFeed({ topic, keyField: 'id', brokers, path: join(tmpDir(), 'table.ndjson') });
    const t0 = Date.now();
    await expect(feed.start()).rejects.toMatchObject({ code: 'ERR_SOURCE' });
    expect(Date.now() - t0).toBeLessThan(5000);
    await feed.stop();
  }, 30_000);

  it('stop() deletes the consumer group the feed read in', async () => {
    const topic = unique('table-feed-group');
    await newTopic(topic, 1);
    await produce(topic, [{ key: 'a', value: JSON.stringify({ id: 'a' }) }]);
    await withFeed(topic, async (feed) => {
      await feed.start();
      expect(await groupsLike(`sabre-table-${topic}-`)).toHaveLength(1);
    });
    expect(await groupsLike(`sabre-table-${topic}-`)).toEqual([]);
  }, 30_000);
});
