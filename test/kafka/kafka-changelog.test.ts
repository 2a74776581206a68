// A job's changelog topic against the real broker: units written in Kafka
// transactions (chunks, head, tombstones) are read back by readChangelog as
// the latest committed state per partition. An aborted transaction is
// ignored; an open one holds the read until it is settled (or the read times
// out); a head whose chunks are missing or do not match is
// ERR_CHANGELOG_CORRUPT; ensureChangelogTopic creates compacted topics and
// refuses ones that would misplace or lose state.
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ConfigResourceTypes, createAdmin, createKafka, createProducer, ensureTopic, type Admin, type Producer, type Transaction,
} from '../../dist/src/io/kafka/kafka-client.js';
import { changelogTopicExists, CHANGELOG_MIN_COMPACTION_LAG_MS, ensureChangelogTopic } from '../../dist/src/io/kafka/changelog/changelog-topic.js';
import { changelogMessages, CHUNK_BYTES, type ChangelogMessage, type UnitState } from '../../dist/src/io/kafka/changelog/changelog-record.js';
import { readChangelog, type ChangelogProgress } from '../../dist/src/io/kafka/changelog/changelog-reader.js';
import { sendChangelogMessages } from '../../dist/src/io/kafka/changelog/changelog-send.js';
import { SabreError } from '../../dist/src/errors.js';
import { brokers, describeKafka, unique, until } from '../helpers/kafka-env.js';

const JOB = 'job-fingerprint-1';
const kafka = createKafka(brokers, 'sabre-test-changelog');
let admin: Admin;
const producers: Producer[] = [];

const unit = (partition: number, checkpoint: number, state: Uint8Array): UnitState =>
  ({ partition, checkpoint, job: JOB, sourceOffset: String(100 * checkpoint + partition), state });

async function changelog(partitions: number): Promise<string> {
  const topic = unique('sabre-changelog');
  expect(await ensureChangelogTopic(admin, topic, partitions)).toBe('created');
  return topic;
}

async function transactional(): Promise<Producer> {
  const p = createProducer(kafka, { transactionalId: unique('sabre-changelog-tx'), transactionTimeout: 60_000 });
  await p.connect();
  producers.push(p);
  return p;
}

/** `messages` sent in one transaction, left open for the caller to settle. */
async function open(topic: string, messages: ChangelogMessage[]): Promise<Transaction> {
  const txn = await (await transactional()).transaction();
  await sendChangelogMessages(txn, topic, messages);
  return txn;
}

async function commit(topic: string, messages: ChangelogMessage[]): Promise<void> {
  await (await open(topic, messages)).commit();
}

function expectUnit(got: UnitState | undefined, want: UnitState): void {
  expect(got).toBeDefined();
  const { state, ...rest } = got!;
  const { state: wantState, ...wantRest } = want;
  expect(rest).toEqual(wantRest);
  // Buffer.equals: toEqual walks a multi-MB array element by element.
  expect(state.length).toBe(wantState.length);
  expect(Buffer.from(state).equals(wantState)).toBe(true);
}

async function failure(p: Promise<unknown>): Promise<SabreError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(SabreError);
  return e as SabreError;
}

describeKafka('changelog topic', () => {
  beforeAll(async () => {
    admin = createAdmin(kafka);
    await admin.connect();
  });
  afterAll(async () => {
    for (const p of producers) await p.disconnect().catch(() => {});
    await admin?.disconnect();
  });

  it('reads back each written partition\'s unit (multi-MB, empty, small) and nothing for a partition never written', async () => {
    const topic = await changelog(4);
    const big = unit(0, 3, randomBytes(6 * CHUNK_BYTES + 12345));
    const empty = unit(1, 3, new Uint8Array(0));
    const small = unit(2, 3, randomBytes(1000));
    await commit(topic, [...changelogMessages(big), ...changelogMessages(empty), ...changelogMessages(small)]);
    const progress = new Map<number, ChangelogProgress>();
    const units = await readChangelog(brokers, topic, [0, 1, 2, 3], { onProgress: (p) => progress.set(p.partition, p) });
    expect([...units.keys()].sort()).toEqual([0, 1, 2]);
    expectUnit(units.get(0), big);
    expectUnit(units.get(1), empty);
    expectUnit(units.get(2), small);
    // Restore figures: every partition reported done, with the bytes it read.
    expect([...progress.values()].every((p) => p.done)).toBe(true);
    expect(progress.get(0)!.messages).toBe(8);
    expect(progress.get(0)!.bytes).toBeGreaterThan(big.state.length);
    expect(progress.get(3)).toMatchObject({ bytes: 0, messages: 0, done: true });
    // Only the partitions asked for.
    expect([...(await readChangelog(brokers, topic, [2])).keys()]).toEqual([2]);
  });

  it('returns a newer checkpoint with fewer chunks over an older one', async () => {
    const topic = await changelog(2);
    const older = unit(1, 1, randomBytes(5 * CHUNK_BYTES));
    const newer = unit(1, 2, randomBytes(CHUNK_BYTES / 2));
    await commit(topic, changelogMessages(older));
    await commit(topic, changelogMessages(newer, 5));
    const units = await readChangelog(brokers, topic, [0, 1]);
    expect([...units.keys()]).toEqual([1]);
    expectUnit(units.get(1), newer);
  });

  it('ignores the newer head of an aborted transaction', async () => {
    const topic = await changelog(1);
    const committed = unit(0, 7, randomBytes(2 * CHUNK_BYTES + 1));
    await commit(topic, changelogMessages(committed));
    const aborted = await open(topic, changelogMessages(unit(0, 8, randomBytes(CHUNK_BYTES)), 3));
    await aborted.abort();
    expectUnit((await readChangelog(brokers, topic, [0])).get(0), committed);
  });

  it('waits while a transaction is open, returns its state once committed, and times out while it stays open', async () => {
    const topic = await changelog(2);
    const first = unit(0, 1, randomBytes(CHUNK_BYTES + 3));
    await commit(topic, [...changelogMessages(first), ...changelogMessages(unit(1, 1, randomBytes(10)))]);
    const second = unit(0, 2, randomBytes(3 * CHUNK_BYTES));
    const txn = await open(topic, changelogMessages(second, 2));

    let read = 0;
    let settled = false;
    const reading = readChangelog(brokers, topic, [0, 1], { timeoutMs: 30_000, onProgress: (p) => { if (p.partition === 0) read = p.messages; } });
    void reading.finally(() => { settled = true; });
    // The reader got everything before the open transaction, and stays there.
    await until(() => read >= 3, 'the reader to read the committed messages', 20_000);
    await delay(1500);
    expect(settled).toBe(false);
    await txn.commit();
    const units = await reading;
    expectUnit(units.get(0), second);

    const third = await open(topic, changelogMessages(unit(0, 3, randomBytes(100)), 3));
    const t0 = Date.now();
    const e = await failure(readChangelog(brokers, topic, [0, 1], { timeoutMs: 2000 }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(e.code).toBe('ERR_CHANGELOG_TIMEOUT');
    expect(e.message).toMatch(new RegExp(`changelog ${topic}: .*partition 0 at offset \\d+ of \\d+`));
    expect(e.message).not.toMatch(/partition 1 at/);
    await third.abort();
    expectUnit((await readChangelog(brokers, topic, [0])).get(0), second);
  });

  it('fails with ERR_CHANGELOG_CORRUPT naming the partition for a missing chunk, a doctored chunk and an undecodable head', async () => {
    const topic = await changelog(4);
    // Partition 0: checkpoint 2's head alone, over checkpoint 1's chunks.
    await commit(topic, changelogMessages(unit(0, 1, randomBytes(2 * CHUNK_BYTES))));
    await commit(topic, changelogMessages(unit(0, 2, randomBytes(2 * CHUNK_BYTES))).filter((m) => m.key === '0'));
    // Partition 1: a head whose chunks were never written.
    await commit(topic, changelogMessages(unit(1, 5, randomBytes(CHUNK_BYTES + 1))).filter((m) => m.key === '1'));
    // Partition 2: one byte of a chunk flipped.
    const doctored = changelogMessages(unit(2, 4, randomBytes(CHUNK_BYTES + 9)));
    doctored[0]!.value![40]! ^= 0x10;
    await commit(topic, doctored);
    // Partition 3: a head that is no changelog record.
    await commit(topic, [{ partition: 3, key: '3', value: Buffer.from('{"note":"a JSON value, long enough to hold a head header"}') }]);

    const expectCorrupt = async (p: number, what: RegExp): Promise<void> => {
      const e = await failure(readChangelog(brokers, topic, [p]));
      expect(e.code).toBe('ERR_CHANGELOG_CORRUPT');
      expect(e.message).toMatch(new RegExp(`^changelog ${topic} partition ${p}: `));
      expect(e.message).toMatch(what);
    };
    await expectCorrupt(0, /checkpoint 2: chunk 0 is of checkpoint 1/);
    await expectCorrupt(1, /checkpoint 5: chunk 0 of 2 is missing/);
    await expectCorrupt(2, /checkpoint 4: CRC-32/);
    await expectCorrupt(3, /bad magic/);
  });

  it('ensureChangelogTopic creates a compacted topic once, and refuses a wrong partition count or a non-compacted topic', async () => {
    const topic = unique('sabre-changelog');
    expect(await changelogTopicExists(admin, topic)).toBe(false);
    expect(await ensureChangelogTopic(admin, topic, 3)).toBe('created');
    expect(await changelogTopicExists(admin, topic)).toBe(true);
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics[0]!.partitions.length).toBe(3);
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy', 'min.compaction.lag.ms'] }],
      includeSynonyms: false,
    });
    const config = Object.fromEntries(resources[0]!.configEntries.map((c) => [c.configName, c.configValue]));
    expect(config).toEqual({ 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(CHANGELOG_MIN_COMPACTION_LAG_MS) });
    expect(await ensureChangelogTopic(admin, topic, 3)).toBe('exists');

    const wrongCount = await failure(ensureChangelogTopic(admin, topic, 4));
    expect(wrongCount.code).toBe('ERR_CHANGELOG_INVALID');
    expect(wrongCount.message).toMatch(new RegExp(`${topic} has 3 partitions, this job needs 4`));

    const plain = unique('sabre-changelog-plain');
    await ensureTopic(admin, plain, 3);
    const notCompacted = await failure(ensureChangelogTopic(admin, plain, 3));
    expect(notCompacted.code).toBe('ERR_CHANGELOG_INVALID');
    expect(notCompacted.message).toMatch(/cleanup\.policy=delete, not compact.*--add-config cleanup\.policy=compact/);

    const noPartition = await failure(readChangelog(brokers, topic, [3]));
    expect(noPartition.code).toBe('ERR_CHANGELOG_INVALID');
    expect(noPartition.message).toMatch(/has no partition 3 \(it has 3\)/);
    // Reading a missing topic neither creates it (the broker auto-creates topics on metadata requests) nor waits.
    const absent = unique('sabre-changelog-absent');
    const noTopic = await failure(readChangelog(brokers, absent, [0]));
    expect(noTopic.code).toBe('ERR_CHANGELOG_INVALID');
    expect(noTopic.message).toMatch(new RegExp(`changelog topic ${absent} does not exist`));
    expect(await changelogTopicExists(admin, absent)).toBe(false);
  });
});
