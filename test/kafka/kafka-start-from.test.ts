import { expect, it } from 'vitest';
import { createEngine, type WindowResult } from '../../dist/src/index.js';
import { createAdmin, createKafka, createProducer, type Message } from '../../dist/src/io/kafka/kafka-client.js';
import { sendUntilAcked } from '../../dist/src/io/kafka/sink/send-retry.js';
import { NO_IDLE, brokers, createTopic, describeKafka, kafkaSourceOf, unique, until } from '../helpers/kafka-env.js';

// Where a fresh group starts each partition (--start-from), and that committed offsets win whatever it says.
// Every record has its own key (`p<partition>-<offset>`), so the window results name exactly the records read.

const PARTITIONS = 4;
/**
 * Records per partition; partition p's record i carries timestamp T0 + (4i + p) s, in its value and as the
 * message timestamp; the records readWith adds later are at T0 + 1000 s and after, one second apart per run.
 */
const PER_PARTITION = 6;
const T0 = Date.now() - 10 * 60_000;

interface Produced { key: string; partition: number; offset: number; ts: number; seq: number }

/** What each topic holds, in produce order (seq). */
const topics = new Map<string, Produced[]>();

async function produce(topic: string, records: { partition: number; ts: number; key: string }[]): Promise<void> {
  const all = topics.get(topic)!;
  const producer = createProducer(createKafka(brokers));
  await producer.connect();
  try {
    const messages: Message[] = records.map((r) => ({
      key: r.key, partition: r.partition, timestamp: String(r.ts), value: JSON.stringify({ ts: r.ts, value: 1 }),
    }));
    await sendUntilAcked(producer, topic, messages, () => {});
  } finally {
    await producer.disconnect();
  }
  for (const r of records) {
    all.push({ ...r, offset: all.filter((x) => x.partition === r.partition).length, seq: all.length });
  }
}

/** A topic of PARTITIONS × PER_PARTITION records at known timestamps. */
async function seededTopic(): Promise<string> {
  const topic = unique('start-from');
  await createTopic(createKafka(brokers), topic, PARTITIONS);
  topics.set(topic, []);
  const records = [];
  for (let i = 0; i < PER_PARTITION; i++) {
    for (let p = 0; p < PARTITIONS; p++) records.push({ key: `p${p}-${i}`, partition: p, ts: T0 + (4 * i + p) * 1000 });
  }
  await produce(topic, records);
  return topic;
}

/** Commit `offset` for `partitions` of a group that has never run. */
async function commit(group: string, topic: string, partitions: number[], offset: number): Promise<void> {
  const admin = createAdmin(createKafka(brokers));
  await admin.connect();
  try {
    await admin.setOffsets({ groupId: group, topic, partitions: partitions.map((partition) => ({ partition, offset: String(offset) })) });
  } finally {
    await admin.disconnect();
  }
}

/** readWith runs so far (names and times its later records). */
let runs = 0;

/**
 * Run a job over `topic` with `startFrom` (and a fresh `group`). Once it has started, one more
 * record goes to each partition (timestamp after every T used here); the job runs until it has
 * read every partition to its end. As a partition is read in offset order from where it started,
 * what it read is then exactly the records from that start on: `want`, checked by key and count.
 * Returns [keys read, keys wanted], sorted.
 */
async function readWith(topic: string, group: string, startFrom: string | undefined,
  want: (r: Produced, firstLater: number) => boolean): Promise<[string[], string[]]> {
  const results: WindowResult[] = [];
  const engine = createEngine({
    source: `kafka:${topic}`, brokers, group, ...(startFrom ? { startFrom } : {}), partitions: 2, workers: 1,
    window: 'tumbling:1s', idleTimeout: NO_IDLE, sink: 'null', lateOutput: 'null', deadLetter: 'null', progress: 0, httpPort: 0,
  });
  engine.onResult((r) => results.push(r));
  await engine.start();
  const source = kafkaSourceOf(engine);
  const all = topics.get(topic)!;
  const firstLater = all.length;
  const run = runs++;
  await produce(topic, [...Array(PARTITIONS).keys()].map((p) => ({ key: `p${p}-later${run}`, partition: p, ts: T0 + 1_000_000 + 1000 * run })));
  const ends = new Map<number, number>();
  for (const r of all) ends.set(r.partition, r.offset + 1);
  const wanted = all.filter((r) => want(r, firstLater));
  await until(() => {
    const at = new Map(source.positions().map((p) => [p.partition, Number(p.offset)]));
    return [...ends].every(([p, end]) => (at.get(p) ?? -1) >= end);
  }, 'every partition read to its end', 20_000);
  const summary = await engine.stop();
  await source.closed;
  expect(summary.late).toBe(0);
  expect(summary.recordsIn).toBe(wanted.length);
  return [results.map((r) => r.key).sort(), wanted.map((r) => r.key).sort()];
}

const everything = (): boolean => true;
const producedAfterStart = (r: Produced, firstLater: number): boolean => r.seq >= firstLater;

describeKafka('--start-from: where a partition without a committed offset starts', () => {
  it('committed (the default) and earliest read every record of a fresh group', async () => {
    const topic = await seededTopic();
    for (const startFrom of [undefined, 'earliest']) {
      const [read, want] = await readWith(topic, unique('g'), startFrom, everything);
      expect(read, startFrom).toEqual(want);
    }
  });

  it('latest reads only what is produced after the source started', async () => {
    const topic = await seededTopic();
    const [read, want] = await readWith(topic, unique('g'), 'latest', producedAfterStart);
    expect(want).toHaveLength(PARTITIONS);
    expect(read).toEqual(want);
  });

  it('timestamp:T reads exactly the records whose timestamp is >= T, per partition (epoch ms and ISO-8601)', async () => {
    const topic = await seededTopic();
    const at = T0 + 10_500; // partitions 0-2 start at their record 3, partition 3 at its record 2
    expect(topics.get(topic)!.filter((r) => r.ts >= at)).toHaveLength(13);
    for (const startFrom of [`timestamp:${at}`, `timestamp:${new Date(at).toISOString()}`]) {
      const [read, want] = await readWith(topic, unique('g'), startFrom, (r) => r.ts >= at);
      expect(read, startFrom).toEqual(want);
    }
    // After every record there is: each partition starts at its end then.
    const after = Math.max(...topics.get(topic)!.map((r) => r.ts)) + 1;
    const [read, want] = await readWith(topic, unique('g'), `timestamp:${after}`, producedAfterStart);
    expect(read).toEqual(want);
  });

  it('a group with committed offsets resumes from them whatever --start-from says', async () => {
    const topic = await seededTopic();
    const at = T0 + 10_500;
    // Partitions 0 and 1 committed at offset 2; 2 and 3 not.
    const resumed = (r: Produced): boolean => r.partition <= 1 && r.offset >= 2;
    const cases = [
      ['committed', (r: Produced) => r.partition >= 2],
      ['earliest', (r: Produced) => r.partition >= 2],
      ['latest', producedAfterStart],
      [`timestamp:${at}`, (r: Produced) => r.partition >= 2 && r.ts >= at],
    ] as const;
    const groups = cases.map(() => unique('g'));
    // kafkajs's setOffsets joins the group first (about 5 s each here): all four at once.
    await Promise.all(groups.map((group) => commit(group, topic, [0, 1], 2)));
    for (const [i, [startFrom, uncommitted]] of cases.entries()) {
      const group = groups[i]!;
      const [read, want] = await readWith(topic, group, startFrom, (r, firstLater) => resumed(r) || uncommitted(r, firstLater));
      expect(read, startFrom).toEqual(want);
    }
  });
});
